-- Table constraints (primary key, unique, check, foreign key, exclusion) with their column numbers
-- (names are resolved from columns.sql) and, for foreign keys, the referenced table and column
-- names (the target may lie outside the schemas).
-- $1: oids of the snapshot's tables (oid[]; read through pg_constraint's conrelid index),
-- $2: read deparsed expressions (bool): definitions (a CHECK definition opens the table).
select co.conrelid,
       co.conname::text as name,
       co.contype::text as contype,
       coalesce(co.conkey, '{}') as keys,
       case when $2 then pg_get_constraintdef(co.oid) end as definition,
       fn.nspname::text as ref_schema,
       fc.relname::text as ref_table,
       case when co.contype = 'f'
            then array(select a.attname::text
                         from unnest(co.confkey) with ordinality k(num, ord)
                         join pg_attribute a on a.attrelid = co.confrelid and a.attnum = k.num
                        order by k.ord)
       end as ref_columns,
       co.confdeltype::text as on_delete,
       co.confupdtype::text as on_update,
       co.convalidated,
       -- Foreign keys: whether the referenced key is the target's primary key (not another unique index).
       coalesce(ri.indisprimary, false) as to_primary_key
  from unnest($1::oid[]) r(oid)
  join pg_constraint co on co.conrelid = r.oid
  left join pg_class fc on fc.oid = co.confrelid
  left join pg_namespace fn on fn.oid = fc.relnamespace
  left join pg_index ri on co.contype = 'f' and ri.indexrelid = co.conindid
 order by co.conrelid, co.conname
