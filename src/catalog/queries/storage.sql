-- Supabase Storage, when installed: one row per public bucket (storage.buckets is data; it is read
-- through query_to_xml only when the table exists, so this query runs without Storage) and one
-- row per policy on storage.objects (role oids are named from roles.sql; 0 is PUBLIC).
select 'bucket' as kind,
       (xpath('/row/id/text()', b.x))[1]::text as name,
       null::text as cmd,
       null::bool as permissive,
       null::oid[] as roles,
       null::text as using_expr
  from unnest(case when to_regclass('storage.buckets') is not null
                   then xpath('/table/row', query_to_xml(
                          'select id from storage.buckets where public order by id', false, false, ''))
                   else array[]::xml[]
              end) b(x)
union all
select 'policy',
       p.polname::text,
       p.polcmd::text,
       p.polpermissive,
       p.polroles,
       pg_get_expr(p.polqual, p.polrelid)
  from pg_policy p
 where p.polrelid = to_regclass('storage.objects')
