-- -----------------------------------------------------------------------------
-- Roles (cluster-wide: every CREATE ROLE is guarded)
-- -----------------------------------------------------------------------------
do $preset$
declare
  r text;
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  -- Supabase's service roles own its schemas' objects; here they only exist so that
  -- migrations granting to them or switching owner apply (NOLOGIN, no password).
  for r in select unnest(array['supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin',
                               'supabase_realtime_admin', 'dashboard_user']) loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute format('create role %I nologin noinherit', r);
    end if;
  end loop;

  if not pg_catalog.pg_has_role('authenticator', 'anon', 'MEMBER') then
    grant anon to authenticator;
  end if;
  if not pg_catalog.pg_has_role('authenticator', 'authenticated', 'MEMBER') then
    grant authenticated to authenticator;
  end if;
  if not pg_catalog.pg_has_role('authenticator', 'service_role', 'MEMBER') then
    grant service_role to authenticator;
  end if;

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

