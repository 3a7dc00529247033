-- Columns of the snapshot's tables and views, with type, nullability, default and column ACLs.
-- $1: oids of the snapshot's tables, views, materialized views and foreign tables (oid[]; read
-- through pg_attribute's (attrelid, attnum) index, no pg_class scan), $2: read deparsed
-- expressions (bool): defaults. A default without column references is deparsed without opening
-- the table (relid 0); generated columns need the table.
select a.attrelid,
       a.attnum,
       a.attname::text as name,
       format_type(a.atttypid, a.atttypmod) as type_name,
       a.attnotnull,
       case when $2 and a.atthasdef
            then (select pg_get_expr(d.adbin, case when a.attgenerated = '' then 0 else d.adrelid end)
                    from pg_attrdef d
                   where d.adrelid = a.attrelid and d.adnum = a.attnum)
       end as default_expr,
       a.attidentity::text as identity,
       a.attgenerated::text as generated,
       coalesce(a.attacl, '{}')::text[] as acl
  from unnest($1::oid[]) r(oid)
  join pg_attribute a on a.attrelid = r.oid
 where a.attnum > 0
   and not a.attisdropped
 order by a.attrelid, a.attnum
