-- User triggers (not constraint-internal ones) with function, tgtype bits and enabled state.
-- $1: oids of the snapshot's tables and views (oid[]; read through pg_trigger's tgrelid index),
-- $2: read definitions (bool): the definition.
select t.tgrelid,
       t.tgname::text as name,
       fn.nspname::text as function_schema,
       f.proname::text as function_name,
       t.tgtype::int4 as tgtype,
       t.tgenabled::text as enabled,
       case when $2 then pg_get_triggerdef(t.oid) end as definition
  from unnest($1::oid[]) r(oid)
  join pg_trigger t on t.tgrelid = r.oid
  join pg_proc f on f.oid = t.tgfoid
  join pg_namespace fn on fn.oid = f.pronamespace
 where not t.tgisinternal
 order by t.tgrelid, t.tgname
