-- 20240101000006_seed_admin_user.sql
-- Seeds the initial administrator:
--   * auth.users row a0000000-0000-4000-8000-000000000001 / admin@crm.local (e-mail confirmed,
--     NO password: set one with a password-reset / magic link; no secret lives in this file)
--   * its profile with role 'admin' (the on_auth_user_created trigger creates the profile; the
--     upsert below promotes it)
--   * status 'active' and last_active_at: profiles.status only exists from migration 007 on, so
--     they are set here when the columns exist (re-run after 007); on a fresh database 007's
--     column default ('active') and backfill give the admin the same values.
-- Idempotent.

insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
                        email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                        created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000',
        'a0000000-0000-4000-8000-000000000001',
        'authenticated', 'authenticated', 'admin@crm.local', null,
        now(),
        '{"provider": "email", "providers": ["email"]}'::jsonb,
        '{"full_name": "CRM Administrator"}'::jsonb,
        now(), now())
on conflict (id) do nothing;

insert into public.profiles (id, email, full_name, role)
values ('a0000000-0000-4000-8000-000000000001', 'admin@crm.local', 'CRM Administrator', 'admin')
on conflict (id) do update
  set role      = 'admin',
      email     = excluded.email,
      full_name = coalesce(public.profiles.full_name, excluded.full_name);

do $$
begin
  if exists (select 1 from information_schema.columns
              where table_schema = 'public' and table_name = 'profiles'
                and column_name = 'status') then
    execute $sql$
      update public.profiles
         set status = 'active', last_active_at = now()
       where id = 'a0000000-0000-4000-8000-000000000001'
    $sql$;
  end if;
end
$$;
