-- Publications and their member tables in the requested schemas (FOR ALL TABLES and
-- FOR TABLES IN SCHEMA expanded by pg_publication_tables). $1: schemas (text[]).
select p.pubname::text as name,
       p.puballtables,
       pt.schemaname::text as table_schema,
       pt.tablename::text as table_name
  from pg_publication p
  left join pg_publication_tables pt on pt.pubname = p.pubname and pt.schemaname = any($1)
 order by 1, 3, 4
