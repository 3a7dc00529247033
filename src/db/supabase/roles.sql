-- -----------------------------------------------------------------------------
-- Roles (cluster-wide: every CREATE ROLE is guarded)
-- -----------------------------------------------------------------------------
do $preset$
declare
  r text;
  spec record;
begin
  -- Roles are cluster-wide: another session (a parallel test, a second deskctl) may create the
  -- same role between the check and the CREATE. Its commit makes ours fail with
  -- duplicate_object / unique_violation, which only means the role now exists.
  -- Supabase's service roles own its schemas' objects; here they only exist so that
  -- migrations granting to them or switching owner apply (NOLOGIN, no password).
  for spec in select * from (values
      ('anon', 'nologin noinherit'),
      ('authenticated', 'nologin noinherit'),
      ('service_role', 'nologin noinherit bypassrls'),
      ('authenticator', 'login noinherit'),
      ('supabase_admin', 'nologin noinherit'),
      ('supabase_auth_admin', 'nologin noinherit'),
      ('supabase_storage_admin', 'nologin noinherit'),
      ('supabase_realtime_admin', 'nologin noinherit'),
      ('dashboard_user', 'nologin noinherit')) v(name, options) loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = spec.name) then
      begin
        execute format('create role %I %s', spec.name, spec.options);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;

  for r in select unnest(array['anon', 'authenticated', 'service_role']) loop
    if not pg_catalog.pg_has_role('authenticator', r, 'MEMBER') then
      begin
        execute format('grant %I to authenticator', r);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;

  -- On Supabase the migration role ("postgres") can SET ROLE to the API roles.
  -- A superuser can anyway; a non-superuser runner needs membership, which it
  -- can only give itself with CREATEROLE: best effort, a warning otherwise.
  if not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    for r in select unnest(array['anon', 'authenticated', 'service_role']) loop
      if not pg_catalog.pg_has_role(current_user, r, 'MEMBER') then
        begin
          execute format('grant %I to %I', r, current_user);
        exception when insufficient_privilege then
          raise warning 'role % is not a member of %; it cannot SET ROLE % (grant it as a superuser)',
            current_user, r, r;
        end;
      end if;
    end loop;
  end if;
end
$preset$;

