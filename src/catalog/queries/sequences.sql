-- OWNED BY of the snapshot's sequences (serial: deptype 'a'; identity: 'i'), read set-wise:
-- pg_depend is reached through its depender index (classid, objid, objsubid), never scanned
-- per relation. $1: oids of the snapshot's sequences (oid[]).
select d.objid,
       tn.nspname::text as table_schema,
       tc.relname::text as table_name,
       a.attname::text as column_name
  from unnest($1::oid[]) s(oid)
  join pg_depend d on d.classid = 'pg_class'::regclass
                  and d.objid = s.oid
                  and d.objsubid = 0
  join pg_class tc on tc.oid = d.refobjid
  join pg_namespace tn on tn.oid = tc.relnamespace
  join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
 where d.refclassid = 'pg_class'::regclass
   and d.refobjsubid > 0
   and d.deptype in ('a', 'i')
