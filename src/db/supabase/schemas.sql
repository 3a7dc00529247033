-- -----------------------------------------------------------------------------
-- Schemas (as Supabase creates them) and the API roles' USAGE on them
-- -----------------------------------------------------------------------------
create schema if not exists auth;
create schema if not exists extensions;
create schema if not exists storage;
create schema if not exists vault;
create schema if not exists realtime;
create schema if not exists supabase_functions;
create schema if not exists graphql_public;

grant usage on schema public         to anon, authenticated, service_role;
grant usage on schema auth           to anon, authenticated, service_role;
grant usage on schema extensions     to anon, authenticated, service_role;
grant usage on schema storage        to anon, authenticated, service_role;
grant usage on schema realtime       to anon, authenticated, service_role;
grant usage on schema graphql_public to anon, authenticated, service_role;
grant usage on schema supabase_functions to anon, authenticated, service_role;
grant all on schema auth     to supabase_auth_admin, dashboard_user;
grant all on schema storage  to supabase_storage_admin, dashboard_user;
grant all on schema realtime to supabase_realtime_admin;

-- -----------------------------------------------------------------------------
-- Extensions Supabase enables by default that PostgreSQL's contrib ships, in
-- schema "extensions" (gen_random_uuid() is core in 13+). pg_graphql, pgjwt,
-- pgsodium and supabase_vault are not contrib: see vault.sql and functions.sql.
-- -----------------------------------------------------------------------------
create extension if not exists pgcrypto           with schema extensions;
create extension if not exists "uuid-ossp"        with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;

-- Supabase puts "extensions" on the database search_path. ALTER DATABASE ... SET
-- only affects new sessions, so also set it for the rest of this session
-- (migrations applied in the same connection call uuid_generate_v4() unqualified).
do $preset$
begin
  execute format('alter database %I set search_path = "$user", public, extensions',
                 current_database());
end
$preset$;
set search_path = "$user", public, extensions;

