-- Every role with its attributes and direct memberships.
select r.oid,
       r.rolname::text as name,
       r.rolsuper,
       r.rolinherit,
       r.rolcreaterole,
       r.rolcreatedb,
       r.rolcanlogin,
       r.rolreplication,
       r.rolbypassrls,
       array(select g.rolname::text
               from pg_auth_members m
               join pg_roles g on g.oid = m.roleid
              where m.member = r.oid
              order by 1) as member_of
  from pg_roles r
 order by 1
