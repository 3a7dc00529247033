-- Indexes of the snapshot's tables: key columns (names, or expression text), unique, primary,
-- valid, partial predicate, full definition. $1: schemas (text[]).
select i.indrelid,
       ic.relname::text as name,
       i.indisunique,
       i.indisprimary,
       i.indisvalid,
       array(select case when i.indkey[k.n - 1] = 0
                         then pg_get_indexdef(i.indexrelid, k.n, true)
                         else (select a.attname::text
                                 from pg_attribute a
                                where a.attrelid = i.indrelid and a.attnum = i.indkey[k.n - 1])
                    end
               from generate_series(1, i.indnkeyatts) k(n)
              order by k.n) as columns,
       pg_get_expr(i.indpred, i.indrelid, true) as predicate,
       pg_get_indexdef(i.indexrelid) as definition
  from pg_index i
  join pg_class ic on ic.oid = i.indexrelid
  join pg_class c on c.oid = i.indrelid
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = any($1)
   and c.relkind in ('r', 'p', 'm')
 order by i.indrelid, ic.relname
