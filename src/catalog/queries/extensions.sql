-- Installed extensions, with the version the server would install by default (NULL when the
-- control file is gone) and whether the installed version is one the server still ships.
select e.extname::text as name,
       e.extversion::text as version,
       n.nspname::text as schema,
       a.default_version::text as default_version,
       exists (select 1 from pg_available_extension_versions v
                where v.name = e.extname and v.version = e.extversion) as version_available
  from pg_extension e
  join pg_namespace n on n.oid = e.extnamespace
  left join pg_available_extensions a on a.name = e.extname
 order by 1
