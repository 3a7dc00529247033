-- The relations each view / materialized view reads, through its rewrite rule's dependencies,
-- set-wise (pg_rewrite by its ev_class index, pg_depend through its depender index; the one row
-- per column dependency is collapsed before naming the relation). $1: oids of the snapshot's
-- views and materialized views (oid[]).
select x.ev_class,
       dn.nspname::text as schema,
       dc.relname::text as name
  from (select distinct r.ev_class, d.refobjid
          from unnest($1::oid[]) v(oid)
          join pg_rewrite r on r.ev_class = v.oid
          join pg_depend d on d.classid = 'pg_rewrite'::regclass
                          and d.objid = r.oid
                          and d.refclassid = 'pg_class'::regclass
                          and d.deptype = 'n'
                          and d.refobjid <> r.ev_class) x
  join pg_class dc on dc.oid = x.refobjid
  join pg_namespace dn on dn.oid = dc.relnamespace
 order by 1, 2, 3
