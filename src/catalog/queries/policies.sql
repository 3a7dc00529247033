-- Row-level security policies, as pg_policies shows them (role oids are named from roles.sql;
-- 0 is PUBLIC), of the tables relations.sql reads (same schemas and kinds; it does not need its
-- oids, so a second connection can read it while the first is still reading relations).
-- $1: schemas (text[]), $2: read deparsed expressions (bool): USING / WITH CHECK (deparsing
-- opens the table).
select p.polrelid,
       p.polname::text as name,
       p.polcmd::text as cmd,
       p.polpermissive,
       p.polroles as roles,
       case when $2 then pg_get_expr(p.polqual, p.polrelid) end as using_expr,
       case when $2 then pg_get_expr(p.polwithcheck, p.polrelid) end as check_expr
  from pg_policy p
  join pg_class c on c.oid = p.polrelid
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = any($1)
   and c.relkind in ('r', 'p', 'v', 'm', 'f')
 order by p.polrelid, p.oid
