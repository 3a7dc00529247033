-- Row-level security policies, as pg_policies shows them (role oids are named from roles.sql;
-- 0 is PUBLIC). $1: oids of the snapshot's tables (oid[]; read through pg_policy's
-- (polrelid, polname) index), $2: read deparsed expressions (bool): USING / WITH CHECK (deparsing
-- opens the table).
select p.polrelid,
       p.polname::text as name,
       p.polcmd::text as cmd,
       p.polpermissive,
       p.polroles as roles,
       case when $2 then pg_get_expr(p.polqual, p.polrelid) end as using_expr,
       case when $2 then pg_get_expr(p.polwithcheck, p.polrelid) end as check_expr
  from unnest($1::oid[]) r(oid)
  join pg_policy p on p.polrelid = r.oid
 order by p.polrelid, p.oid
