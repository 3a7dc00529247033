-- Indexes of the snapshot's tables: key column numbers (names are resolved from columns.sql),
-- expression text for expression columns, unique, primary, valid, partial predicate, full
-- definition, and per key column its options (indoption: bit 0 DESC, bit 1 NULLS FIRST;
-- pg_get_indexdef(oid, k) prints only the key, not its order). $1: oids of the snapshot's tables (oid[]; read through pg_index's indrelid index),
-- $2: read deparsed expressions (bool): the predicate, $3: read definitions (bool): the definition.
-- scans: how often the index was used since statistics were last reset (pg_stat_user_indexes.idx_scan;
-- NULL when the server keeps no statistics for it).
select i.indrelid,
       ic.relname::text as name,
       i.indisunique,
       i.indisprimary,
       i.indisvalid,
       i.indkey::int2[] as keys,
       -- Expression columns (key 0) only: their text, per key position.
       case when 0 = any(i.indkey::int2[])
            then array(select pg_get_indexdef(i.indexrelid, k.n, true)
                         from generate_series(1, i.indnkeyatts) k(n)
                        order by k.n)
       end as expressions,
       i.indnkeyatts,
       case when $2 then pg_get_expr(i.indpred, i.indrelid, true) end as predicate,
       case when $3 then pg_get_indexdef(i.indexrelid) end as definition,
       i.indoption::int2[] as options,
       pg_stat_get_numscans(i.indexrelid) as scans,
       (select am.amname::text from pg_am am where am.oid = ic.relam) as method
  from unnest($1::oid[]) r(oid)
  join pg_index i on i.indrelid = r.oid
  join pg_class ic on ic.oid = i.indexrelid
 order by i.indrelid, ic.relname
