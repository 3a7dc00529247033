-- -----------------------------------------------------------------------------
-- Supabase default privileges in schema public (for the role running this
-- script, i.e. the role that will own the application's objects). RLS, not
-- table grants, is what restricts the API roles.
--
-- Deliberately NO "grant all on all tables/sequences/functions in schema
-- public": on a fresh database public is empty, so it would do nothing, and
-- on a re-run after migrations it would silently undo their revokes (e.g.
-- "revoke all on chat_sessions from anon"). The default privileges below
-- cover every object created after this script.
-- -----------------------------------------------------------------------------
alter default privileges in schema public grant all on tables    to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
