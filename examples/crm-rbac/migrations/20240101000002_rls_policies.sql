-- 20240101000002_rls_policies.sql
-- Row-level security for the twelve base tables, status-aware and role-aware:
--   * admin    - everything (reads all rows, writes while not disabled)
--   * agent    - customers/tickets it created or is assigned to, its own interactions,
--                comments/attachments on tickets it can see
--   * customer - its own customer record (matched by e-mail), tickets linked to that record,
--                public comments on them (and may add public comments)
--   * guest    - read-only: public data (tags) only, empty results elsewhere
--   * disabled - every INSERT/UPDATE/DELETE policy requires current_user_status() <> 'disabled'
--     (a user without a profile has a NULL status and cannot write either)
-- The role/status/e-mail of the caller come from SECURITY DEFINER helper functions
-- (current_user_role(), current_user_status(), current_user_email()) so that policies never
-- query profiles under RLS (no recursive policy evaluation on profiles).
-- current_user_status() is a placeholder here ('active' for every existing profile): the
-- profiles.status column only arrives with migration 007, which replaces the function with one
-- that reads it. Role names compare as text, so 'customer' and 'guest' (added to user_role in
-- 007) can already be referred to here.
-- All policies are TO authenticated; anon matches none. service_role bypasses RLS (BYPASSRLS).

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------
create or replace function public.current_user_role()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.role::text from public.profiles p where p.id = auth.uid()
$$;

create or replace function public.current_user_status()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  -- Placeholder until migration 007 adds profiles.status: every existing profile is active.
  select 'active'::text from public.profiles p where p.id = auth.uid()
$$;

create or replace function public.current_user_email()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.email from public.profiles p where p.id = auth.uid()
$$;

revoke execute on function public.current_user_role()   from public, anon;
revoke execute on function public.current_user_status() from public, anon;
revoke execute on function public.current_user_email()  from public, anon;
grant execute on function public.current_user_role()   to authenticated, service_role;
grant execute on function public.current_user_status() to authenticated, service_role;
grant execute on function public.current_user_email()  to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Enable RLS
-- ---------------------------------------------------------------------------------------------
alter table public.profiles              enable row level security;
alter table public.customers             enable row level security;
alter table public.customer_interactions enable row level security;
alter table public.tickets               enable row level security;
alter table public.ticket_comments       enable row level security;
alter table public.integration_tokens    enable row level security;
alter table public.activities            enable row level security;
alter table public.tags                  enable row level security;
alter table public.customer_tags         enable row level security;
alter table public.attachments           enable row level security;
alter table public.notifications         enable row level security;
alter table public.audit_log             enable row level security;

-- ---------------------------------------------------------------------------------------------
-- profiles
-- ---------------------------------------------------------------------------------------------
create policy "Users can view own profile" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()));

create policy "Staff can view all profiles" on public.profiles
  for select to authenticated
  using ((select public.current_user_role()) in ('admin', 'agent'));

create policy "Admins can insert profiles" on public.profiles
  for insert to authenticated
  with check ((select public.current_user_role()) = 'admin'
              and (select public.current_user_status()) <> 'disabled');

-- Staff may edit their own profile but not change their own role (migration 007 also pins status).
create policy "Users can update own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid())
         and (select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent'))
  with check (id = (select auth.uid())
              and (select public.current_user_status()) <> 'disabled'
              and role::text = (select public.current_user_role()));

create policy "Admins can update any profile" on public.profiles
  for update to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled')
  with check ((select public.current_user_role()) = 'admin'
              and (select public.current_user_status()) <> 'disabled');

create policy "Admins can delete profiles" on public.profiles
  for delete to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled');

-- ---------------------------------------------------------------------------------------------
-- customers
-- ---------------------------------------------------------------------------------------------
create policy "Staff can view customers" on public.customers
  for select to authenticated
  using ((select public.current_user_role()) = 'admin'
         or ((select public.current_user_role()) = 'agent'
             and (assigned_to = (select auth.uid()) or created_by = (select auth.uid()))));

create policy "Customers can view own customer record" on public.customers
  for select to authenticated
  using ((select public.current_user_role()) = 'customer'
         and lower(email) = lower((select public.current_user_email())));

create policy "Staff can create customers" on public.customers
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and ((select public.current_user_role()) = 'admin'
                   or ((select public.current_user_role()) = 'agent'
                       and created_by = (select auth.uid()))));

create policy "Staff can update customers" on public.customers
  for update to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) = 'agent'
                  and (assigned_to = (select auth.uid()) or created_by = (select auth.uid())))))
  with check ((select public.current_user_status()) <> 'disabled'
              and ((select public.current_user_role()) = 'admin'
                   or ((select public.current_user_role()) = 'agent'
                       and (assigned_to = (select auth.uid()) or created_by = (select auth.uid())))));

create policy "Admins can delete customers" on public.customers
  for delete to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled');

-- ---------------------------------------------------------------------------------------------
-- customer_interactions (internal: staff only)
-- ---------------------------------------------------------------------------------------------
create policy "Staff can view interactions" on public.customer_interactions
  for select to authenticated
  using ((select public.current_user_role()) = 'admin'
         or ((select public.current_user_role()) = 'agent'
             and (user_id = (select auth.uid())
                  or exists (select 1 from public.customers c
                              where c.id = customer_interactions.customer_id
                                and (c.assigned_to = (select auth.uid())
                                     or c.created_by = (select auth.uid()))))));

create policy "Staff can create interactions" on public.customer_interactions
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent')
              and user_id = (select auth.uid()));

create policy "Staff can update own interactions" on public.customer_interactions
  for update to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) = 'agent' and user_id = (select auth.uid()))))
  with check ((select public.current_user_status()) <> 'disabled'
              and ((select public.current_user_role()) = 'admin'
                   or ((select public.current_user_role()) = 'agent' and user_id = (select auth.uid()))));

create policy "Staff can delete own interactions" on public.customer_interactions
  for delete to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) = 'agent' and user_id = (select auth.uid()))));

-- ---------------------------------------------------------------------------------------------
-- tickets
-- ---------------------------------------------------------------------------------------------
create policy "Staff can view tickets" on public.tickets
  for select to authenticated
  using ((select public.current_user_role()) = 'admin'
         or ((select public.current_user_role()) = 'agent'
             and (assigned_to = (select auth.uid()) or created_by = (select auth.uid()))));

create policy "Customers can view own tickets" on public.tickets
  for select to authenticated
  using ((select public.current_user_role()) = 'customer'
         and exists (select 1 from public.customers c
                      where c.id = tickets.customer_id
                        and lower(c.email) = lower((select public.current_user_email()))));

create policy "Staff can create tickets" on public.tickets
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and ((select public.current_user_role()) = 'admin'
                   or ((select public.current_user_role()) = 'agent'
                       and created_by = (select auth.uid()))));

create policy "Staff can update tickets" on public.tickets
  for update to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) = 'agent'
                  and (assigned_to = (select auth.uid()) or created_by = (select auth.uid())))))
  with check ((select public.current_user_status()) <> 'disabled'
              and ((select public.current_user_role()) = 'admin'
                   or ((select public.current_user_role()) = 'agent'
                       and (assigned_to = (select auth.uid()) or created_by = (select auth.uid())))));

create policy "Admins can delete tickets" on public.tickets
  for delete to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled');

-- ---------------------------------------------------------------------------------------------
-- ticket_comments (visibility follows tickets; internal notes are staff-only)
-- ---------------------------------------------------------------------------------------------
create policy "Users can view comments on visible tickets" on public.ticket_comments
  for select to authenticated
  using (exists (select 1 from public.tickets t where t.id = ticket_comments.ticket_id)
         and (not is_internal or (select public.current_user_role()) in ('admin', 'agent')));

create policy "Users can comment on visible tickets" on public.ticket_comments
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent', 'customer')
              and author_id = (select auth.uid())
              and exists (select 1 from public.tickets t where t.id = ticket_comments.ticket_id)
              and (not is_internal or (select public.current_user_role()) in ('admin', 'agent')));

create policy "Authors can update own comments" on public.ticket_comments
  for update to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent', 'customer')
         and author_id = (select auth.uid()))
  with check ((select public.current_user_status()) <> 'disabled'
              and author_id = (select auth.uid())
              and (not is_internal or (select public.current_user_role()) in ('admin', 'agent')));

create policy "Authors and admins can delete comments" on public.ticket_comments
  for delete to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) in ('agent', 'customer')
                  and author_id = (select auth.uid()))));

-- ---------------------------------------------------------------------------------------------
-- integration_tokens (secrets: owner only, never admins)
-- ---------------------------------------------------------------------------------------------
create policy "Users can view own integration tokens" on public.integration_tokens
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Users can create own integration tokens" on public.integration_tokens
  for insert to authenticated
  with check (user_id = (select auth.uid())
              and (select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent'));

create policy "Users can update own integration tokens" on public.integration_tokens
  for update to authenticated
  using (user_id = (select auth.uid())
         and (select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent'))
  with check (user_id = (select auth.uid())
              and (select public.current_user_status()) <> 'disabled');

create policy "Users can delete own integration tokens" on public.integration_tokens
  for delete to authenticated
  using (user_id = (select auth.uid())
         and (select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent'));

-- ---------------------------------------------------------------------------------------------
-- activities (append-only feed)
-- ---------------------------------------------------------------------------------------------
create policy "Users can view activities" on public.activities
  for select to authenticated
  using ((select public.current_user_role()) = 'admin'
         or ((select public.current_user_role()) in ('agent', 'customer')
             and user_id = (select auth.uid())));

create policy "Staff can log activities" on public.activities
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent')
              and user_id = (select auth.uid()));

create policy "Admins can delete activities" on public.activities
  for delete to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled');

-- ---------------------------------------------------------------------------------------------
-- tags (public data: readable by every signed-in user, guests included)
-- ---------------------------------------------------------------------------------------------
create policy "Authenticated users can view tags" on public.tags
  for select to authenticated
  using (true);

create policy "Staff can create tags" on public.tags
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent'));

create policy "Staff can update tags" on public.tags
  for update to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent'))
  with check ((select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent'));

create policy "Admins can delete tags" on public.tags
  for delete to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled');

-- ---------------------------------------------------------------------------------------------
-- customer_tags (internal tagging: staff only, on customers they can see)
-- ---------------------------------------------------------------------------------------------
create policy "Staff can view tags of visible customers" on public.customer_tags
  for select to authenticated
  using ((select public.current_user_role()) in ('admin', 'agent')
         and exists (select 1 from public.customers c where c.id = customer_tags.customer_id));

create policy "Staff can tag visible customers" on public.customer_tags
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent')
              and exists (select 1 from public.customers c where c.id = customer_tags.customer_id));

create policy "Staff can untag visible customers" on public.customer_tags
  for delete to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent')
         and exists (select 1 from public.customers c where c.id = customer_tags.customer_id));

-- ---------------------------------------------------------------------------------------------
-- attachments (visibility follows tickets)
-- ---------------------------------------------------------------------------------------------
create policy "Users can view attachments of visible tickets" on public.attachments
  for select to authenticated
  using (exists (select 1 from public.tickets t where t.id = attachments.ticket_id));

create policy "Staff can upload attachments" on public.attachments
  for insert to authenticated
  with check ((select public.current_user_status()) <> 'disabled'
              and (select public.current_user_role()) in ('admin', 'agent')
              and uploaded_by = (select auth.uid())
              and exists (select 1 from public.tickets t where t.id = attachments.ticket_id));

create policy "Uploaders and admins can delete attachments" on public.attachments
  for delete to authenticated
  using ((select public.current_user_status()) <> 'disabled'
         and ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) = 'agent' and uploaded_by = (select auth.uid()))));

-- ---------------------------------------------------------------------------------------------
-- notifications (own only; created by admins or by SECURITY DEFINER code)
-- ---------------------------------------------------------------------------------------------
create policy "Users can view own notifications" on public.notifications
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Admins can create notifications" on public.notifications
  for insert to authenticated
  with check ((select public.current_user_role()) = 'admin'
              and (select public.current_user_status()) <> 'disabled');

create policy "Users can update own notifications" on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid())
         and (select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent', 'customer'))
  with check (user_id = (select auth.uid())
              and (select public.current_user_status()) <> 'disabled');

create policy "Users can delete own notifications" on public.notifications
  for delete to authenticated
  using (user_id = (select auth.uid())
         and (select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent', 'customer'));

-- ---------------------------------------------------------------------------------------------
-- audit_log (read by admins; written only by the SECURITY DEFINER audit trigger)
-- ---------------------------------------------------------------------------------------------
create policy "Admins can view audit log" on public.audit_log
  for select to authenticated
  using ((select public.current_user_role()) = 'admin');
