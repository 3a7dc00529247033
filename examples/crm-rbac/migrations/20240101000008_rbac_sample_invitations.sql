-- 20240101000008_rbac_sample_invitations.sql
-- The four sample invitations of the RBAC extension (development/test data), 30 days expiry,
-- created by the seeded admin (migration 006). Split out of 007 because the 'customer' value
-- of user_role, added there, cannot be used in the same transaction that added it.
--   AGENT001TEST  agent1@test.com     agent
--   AGENT002TEST  agent2@test.com     agent
--   CUST001TEST   customer1@test.com  customer
--   CUST002TEST   customer2@test.com  customer

insert into public.user_invitations (email, role, code, status, expires_at, created_by)
select v.email,
       v.role::public.user_role,
       v.code,
       'pending',
       now() + interval '30 days',
       (select p.id from public.profiles p where p.role = 'admin' order by p.created_at limit 1)
  from (values ('agent1@test.com',    'agent',    'AGENT001TEST'),
               ('agent2@test.com',    'agent',    'AGENT002TEST'),
               ('customer1@test.com', 'customer', 'CUST001TEST'),
               ('customer2@test.com', 'customer', 'CUST002TEST')) as v (email, role, code)
on conflict (code) do nothing;
