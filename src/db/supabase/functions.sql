-- -----------------------------------------------------------------------------
-- supabase_functions (Database Webhooks): hooks, migrations, and
-- http_request(), the trigger function webhooks call. Stand-in: it records the
-- call in supabase_functions.hooks and sends nothing (no pg_net here).
-- -----------------------------------------------------------------------------
create table if not exists supabase_functions.migrations (
  version     text not null,
  inserted_at timestamptz not null default now(),
  constraint migrations_pkey primary key (version)
);

create table if not exists supabase_functions.hooks (
  id            bigserial,
  hook_table_id integer not null,
  hook_name     text not null,
  created_at    timestamptz not null default now(),
  request_id    bigint,
  constraint hooks_pkey primary key (id)
);
create index if not exists supabase_functions_hooks_request_id_idx on supabase_functions.hooks (request_id);
create index if not exists supabase_functions_hooks_h_table_id_h_name_idx
  on supabase_functions.hooks (hook_table_id, hook_name);
comment on table supabase_functions.hooks is
  'Supabase Functions Hooks: Audit trail for triggered hooks. (deskctl preset: calls are recorded, no HTTP request is made.)';

create or replace function supabase_functions.http_request()
returns trigger
language plpgsql security definer
set search_path = supabase_functions
as $$
begin
  if tg_nargs < 1 or tg_argv[0] is null or tg_argv[0] = '' then
    raise exception 'url argument is missing';
  end if;
  insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
  values (tg_relid, tg_name, null);
  return coalesce(new, old);
end
$$;
revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request() to anon, authenticated, service_role;

-- -----------------------------------------------------------------------------
-- graphql_public.graphql(): Supabase's placeholder for when pg_graphql is not
-- enabled (pg_graphql itself is not available on plain PostgreSQL).
-- -----------------------------------------------------------------------------
create or replace function graphql_public.graphql(
  "operationName" text default null,
  query           text default null,
  variables       jsonb default null,
  extensions      jsonb default null
)
returns jsonb
language sql
as $$
  select jsonb_build_object(
    'errors', jsonb_build_array(jsonb_build_object(
      'message', 'pg_graphql extension is not enabled.')))
$$;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to anon, authenticated, service_role;

