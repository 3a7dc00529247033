-- -----------------------------------------------------------------------------
-- realtime: the supabase_realtime publication (empty; migrations ALTER
-- PUBLICATION ... ADD TABLE), realtime.messages (Realtime Authorization
-- policies are written on it; a plain table here, partitioned on Supabase) and
-- realtime.topic().
-- -----------------------------------------------------------------------------
do $preset$
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$preset$;

create table if not exists realtime.messages (
  topic       text not null,
  extension   text not null,
  payload     jsonb,
  event       text,
  private     boolean default false,
  updated_at  timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id          uuid not null default gen_random_uuid(),
  constraint messages_pkey primary key (id, inserted_at)
);
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic()
returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;
grant execute on function realtime.topic() to anon, authenticated, service_role;

