-- Functions and procedures: argument types, result, language, SECURITY DEFINER, proconfig,
-- volatility, owner, ACL (default ACL when NULL), the body (prosrc: SQL / PL/pgSQL text, a C
-- function's symbol) and whether an extension owns it (pg_depend deptype 'e', through the
-- depender index). $1: schemas (text[]).
select p.oid,
       n.nspname::text as schema,
       p.proname::text as name,
       p.prokind::text as prokind,
       array(select format_type(u.t, null)
               from unnest(p.proargtypes::oid[]) with ordinality u(t, ord)
              order by u.ord) as arg_types,
       pg_get_function_identity_arguments(p.oid) as identity_args,
       coalesce(pg_get_function_result(p.oid), '') as returns,
       l.lanname::text as language,
       p.prosecdef,
       coalesce(p.proconfig, '{}')::text[] as config,
       p.provolatile::text as volatility,
       pg_get_userbyid(p.proowner)::text as owner,
       coalesce(p.proacl, acldefault('f', p.proowner))::text[] as acl,
       p.prosrc as body,
       exists (select 1 from pg_depend d
                where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.objsubid = 0
                  and d.deptype = 'e') as from_extension
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  join pg_language l on l.oid = p.prolang
 where n.nspname = any($1)
 order by n.nspname, p.proname, p.oid
