-- The requested schemas that exist, with owner and ACL. $1: schemas (text[]).
select n.nspname::text as name,
       pg_get_userbyid(n.nspowner)::text as owner,
       coalesce(n.nspacl, acldefault('n', n.nspowner))::text[] as acl
  from pg_namespace n
 where n.nspname = any($1)
 order by 1
