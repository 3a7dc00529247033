-- Row-level security policies, as pg_policies shows them. $1: schemas (text[]), $2: read deparsed
-- expressions (bool): USING / WITH CHECK (deparsing opens the table).
select p.polrelid,
       p.polname::text as name,
       p.polcmd::text as cmd,
       p.polpermissive,
       array(select case when r.oid = 0 then 'public' else pg_get_userbyid(r.oid)::text end
               from unnest(p.polroles) r(oid)
              order by 1) as roles,
       case when $2 then pg_get_expr(p.polqual, p.polrelid) end as using_expr,
       case when $2 then pg_get_expr(p.polwithcheck, p.polrelid) end as check_expr
  from pg_policy p
  join pg_class c on c.oid = p.polrelid
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = any($1)
 order by p.polrelid, p.oid
