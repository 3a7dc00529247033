-- Enum types with their labels in sort order. $1: schemas (text[]).
select n.nspname::text as schema,
       t.typname::text as name,
       array_agg(e.enumlabel::text order by e.enumsortorder) as labels
  from pg_type t
  join pg_namespace n on n.oid = t.typnamespace
  join pg_enum e on e.enumtypid = t.oid
 where n.nspname = any($1)
 group by n.nspname, t.typname
 order by 1, 2
