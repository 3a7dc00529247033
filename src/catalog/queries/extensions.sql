-- Installed extensions.
select e.extname::text as name,
       e.extversion::text as version,
       n.nspname::text as schema
  from pg_extension e
  join pg_namespace n on n.oid = e.extnamespace
 order by 1
