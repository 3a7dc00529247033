-- The relations each view / materialized view reads, through its rewrite rule's dependencies,
-- set-wise (pg_rewrite by ev_class, pg_depend through its depender index). $1: schemas (text[]).
select distinct r.ev_class,
       dn.nspname::text as schema,
       dc.relname::text as name
  from pg_rewrite r
  join pg_class v on v.oid = r.ev_class
  join pg_namespace n on n.oid = v.relnamespace
  join pg_depend d on d.classid = 'pg_rewrite'::regclass
                  and d.objid = r.oid
                  and d.refclassid = 'pg_class'::regclass
                  and d.deptype = 'n'
  join pg_class dc on dc.oid = d.refobjid and dc.oid <> r.ev_class
  join pg_namespace dn on dn.oid = dc.relnamespace
 where n.nspname = any($1)
   and v.relkind in ('v', 'm')
 order by 1, 2, 3
