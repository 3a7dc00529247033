-- =============================================================================
-- deskctl Supabase preset
--
-- A MINIMAL STAND-IN for the parts of a Supabase database that application
-- migrations commonly depend on. It is NOT Supabase: there is no GoTrue,
-- PostgREST, Realtime or Storage service behind these objects. It only makes a
-- plain PostgreSQL 15 database *look* like a Supabase database to migrations
-- and to row-level-security checks:
--
--   * roles        anon, authenticated, service_role (NOLOGIN NOINHERIT,
--                  service_role BYPASSRLS) and authenticator (LOGIN NOINHERIT,
--                  member of the three API roles)
--   * schemas      auth, extensions, storage (+ USAGE grants as Supabase does)
--   * extensions   pgcrypto and "uuid-ossp" installed WITH SCHEMA extensions;
--                  the database search_path gets "extensions" appended, as on
--                  Supabase, so unqualified uuid_generate_v4() etc. resolve
--   * auth.users   with the columns of Supabase's real auth.users
--   * auth.uid(), auth.role(), auth.email(), auth.jwt() exactly as Supabase
--                  defines them (they read request.jwt.claim.* / request.jwt.claims)
--   * storage.buckets / storage.objects (core columns only) and the
--                  storage.foldername/filename/extension helpers
--   * the (empty) supabase_realtime publication
--   * Supabase's default privileges on schema public for the API roles
--     (ALTER DEFAULT PRIVILEGES only: re-running never widens grants on
--     objects that migrations have already created and restricted)
--
-- Properties:
--   * idempotent: safe to run any number of times, in any database of a
--     cluster where the (cluster-wide) roles may already exist;
--   * transactional: contains no statement that cannot run inside a
--     transaction block (no CREATE DATABASE, no VACUUM, no CONCURRENTLY);
--   * the first run in a cluster needs a superuser (CREATE ROLE ...
--     BYPASSRLS); once the roles exist, the database owner can run it
--     (pgcrypto and uuid-ossp are trusted extensions). A non-superuser
--     runner is made a member of anon/authenticated/service_role if it has
--     CREATEROLE, and gets a WARNING otherwise.
--
-- To simulate an API request inside a transaction:
--   begin;
--   set local role authenticated;
--   set local request.jwt.claims = '{"sub":"<uuid>","role":"authenticated"}';
--   select auth.uid();   -- <uuid>
--   rollback;
-- =============================================================================

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

-- -----------------------------------------------------------------------------
-- Schemas
-- -----------------------------------------------------------------------------
create schema if not exists auth;
create schema if not exists extensions;
create schema if not exists storage;

grant usage on schema public     to anon, authenticated, service_role;
grant usage on schema auth       to anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;
grant usage on schema storage    to anon, authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Extensions (contrib) in schema "extensions"; gen_random_uuid() is core in 15.
-- -----------------------------------------------------------------------------
create extension if not exists pgcrypto    with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

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

-- -----------------------------------------------------------------------------
-- auth.users (column set of Supabase's GoTrue auth.users)
-- -----------------------------------------------------------------------------
create table if not exists auth.users (
  instance_id                 uuid,
  id                          uuid not null default gen_random_uuid(),
  aud                         varchar(255),
  role                        varchar(255),
  email                       varchar(255),
  encrypted_password          varchar(255),
  email_confirmed_at          timestamptz,
  invited_at                  timestamptz,
  confirmation_token          varchar(255),
  confirmation_sent_at        timestamptz,
  recovery_token              varchar(255),
  recovery_sent_at            timestamptz,
  email_change_token_new      varchar(255),
  email_change                varchar(255),
  email_change_sent_at        timestamptz,
  last_sign_in_at             timestamptz,
  raw_app_meta_data           jsonb,
  raw_user_meta_data          jsonb,
  is_super_admin              boolean,
  created_at                  timestamptz default now(),
  updated_at                  timestamptz default now(),
  phone                       text unique default null,
  phone_confirmed_at          timestamptz,
  phone_change                text default '',
  phone_change_token          varchar(255) default '',
  phone_change_sent_at        timestamptz,
  confirmed_at                timestamptz generated always as
                                (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current  varchar(255) default '',
  email_change_confirm_status smallint default 0
                                check (email_change_confirm_status >= 0
                                       and email_change_confirm_status <= 2),
  banned_until                timestamptz,
  reauthentication_token      varchar(255) default '',
  reauthentication_sent_at    timestamptz,
  is_sso_user                 boolean not null default false,
  deleted_at                  timestamptz,
  is_anonymous                boolean not null default false,
  constraint users_pkey primary key (id)
);

comment on table auth.users is
  'deskctl Supabase preset: stand-in for GoTrue''s auth.users (no auth service behind it).';

-- Supabase: e-mail unique among non-SSO users.
create unique index if not exists users_email_partial_key
  on auth.users (email) where (is_sso_user = false);
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);

-- -----------------------------------------------------------------------------
-- auth helper functions (bodies as in Supabase)
-- -----------------------------------------------------------------------------
create or replace function auth.uid()
returns uuid
language sql stable
as $$
  select
    coalesce(
      nullif(current_setting('request.jwt.claim.sub', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;

create or replace function auth.role()
returns text
language sql stable
as $$
  select
    coalesce(
      nullif(current_setting('request.jwt.claim.role', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
$$;

create or replace function auth.email()
returns text
language sql stable
as $$
  select
    coalesce(
      nullif(current_setting('request.jwt.claim.email', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
    )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql stable
as $$
  select
    coalesce(
      nullif(current_setting('request.jwt.claim', true), ''),
      nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

comment on function auth.uid()   is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role()  is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

grant execute on function auth.uid()   to anon, authenticated, service_role;
grant execute on function auth.role()  to anon, authenticated, service_role;
grant execute on function auth.email() to anon, authenticated, service_role;
grant execute on function auth.jwt()   to anon, authenticated, service_role;

-- -----------------------------------------------------------------------------
-- storage (core columns only)
-- -----------------------------------------------------------------------------
create table if not exists storage.buckets (
  id                 text not null,
  name               text not null,
  owner              uuid,
  created_at         timestamptz default now(),
  updated_at         timestamptz default now(),
  public             boolean default false,
  file_size_limit    bigint,
  allowed_mime_types text[],
  constraint buckets_pkey primary key (id),
  constraint buckets_owner_fkey foreign key (owner) references auth.users (id)
);
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
  id               uuid not null default gen_random_uuid(),
  bucket_id        text,
  name             text,
  owner            uuid,
  created_at       timestamptz default now(),
  updated_at       timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata         jsonb,
  path_tokens      text[] generated always as (string_to_array(name, '/')) stored,
  version          text,
  constraint objects_pkey primary key (id),
  constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets (id),
  constraint objects_owner_fkey foreign key (owner) references auth.users (id)
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

grant all on storage.buckets, storage.objects to anon, authenticated, service_role;

create or replace function storage.foldername(name text)
returns text[]
language plpgsql
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$$;

create or replace function storage.filename(name text)
returns text
language plpgsql
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;

create or replace function storage.extension(name text)
returns text
language plpgsql
as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

grant execute on function storage.foldername(text) to anon, authenticated, service_role;
grant execute on function storage.filename(text)   to anon, authenticated, service_role;
grant execute on function storage.extension(text)  to anon, authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Realtime publication (empty; migrations ALTER PUBLICATION ... ADD TABLE)
-- -----------------------------------------------------------------------------
do $preset$
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$preset$;

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
