-- Relations (tables, partitioned tables, views, materialized views, sequences, foreign tables)
-- of the requested schemas, with RLS flags, reloptions and the ACL (default ACL when NULL). The
-- owner is an oid, named from roles.sql.
-- from_extension: an extension owns it (pg_depend deptype 'e', through the depender index).
-- $1: schemas (text[]), $2: read definitions (bool): view definitions.
select c.oid,
       n.nspname::text as schema,
       c.relname::text as name,
       c.relkind::text as relkind,
       c.relowner as owner,
       c.relrowsecurity,
       c.relforcerowsecurity,
       c.relispartition,
       coalesce(c.reloptions, '{}')::text[] as options,
       coalesce(c.relacl,
                acldefault(case when c.relkind = 'S' then 's' else 'r' end::"char", c.relowner)
       )::text[] as acl,
       case when $2 and c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as definition,
       exists (select 1 from pg_depend d
                where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.objsubid = 0
                  and d.deptype = 'e') as from_extension
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = any($1)
   and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
 order by n.nspname, c.relname
