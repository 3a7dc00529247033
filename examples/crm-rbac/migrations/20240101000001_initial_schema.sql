-- 20240101000001_initial_schema.sql
-- CRM initial schema: the user_role enum (admin, agent - extended with customer and guest in
-- migration 007) and the twelve base tables of the CRM:
--   profiles, customers, customer_interactions, tickets, ticket_comments, integration_tokens,
--   activities, tags, customer_tags, attachments, notifications, audit_log
-- (user_invitations, the thirteenth table, comes with migration 007).
-- RLS is enabled and policies are created in 002; functions/triggers in 003; indexes in 004.

create type public.user_role as enum ('admin', 'agent');

-- One profile per auth user (created by the handle_new_user() trigger, migration 003).
create table public.profiles (
  id         uuid primary key references auth.users (id) on delete cascade,
  email      text,
  full_name  text,
  avatar_url text,
  phone      text,
  role       public.user_role not null default 'agent',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_email_key unique (email)
);

create table public.customers (
  id          uuid primary key default gen_random_uuid(),
  first_name  text not null,
  last_name   text,
  email       text,
  phone       text,
  company     text,
  address     text,
  notes       text,
  status      text not null default 'active',
  assigned_to uuid references public.profiles (id) on delete set null,
  created_by  uuid references public.profiles (id) on delete set null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint customers_status_check check (status in ('lead', 'active', 'inactive', 'churned'))
);

create table public.customer_interactions (
  id               uuid primary key default gen_random_uuid(),
  customer_id      uuid not null references public.customers (id) on delete cascade,
  user_id          uuid references public.profiles (id) on delete set null,
  type             text not null,
  subject          text,
  notes            text,
  interaction_date timestamptz not null default now(),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint customer_interactions_type_check
    check (type in ('call', 'email', 'meeting', 'note', 'chat'))
);

create table public.tickets (
  id          uuid primary key default gen_random_uuid(),
  customer_id uuid references public.customers (id) on delete set null,
  title       text not null,
  description text,
  status      text not null default 'open',
  priority    text not null default 'medium',
  assigned_to uuid references public.profiles (id) on delete set null,
  created_by  uuid references public.profiles (id) on delete set null,
  due_date    timestamptz,
  resolved_at timestamptz,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint tickets_status_check
    check (status in ('open', 'in_progress', 'waiting', 'resolved', 'closed')),
  constraint tickets_priority_check
    check (priority in ('low', 'medium', 'high', 'urgent'))
);

create table public.ticket_comments (
  id          uuid primary key default gen_random_uuid(),
  ticket_id   uuid not null references public.tickets (id) on delete cascade,
  author_id   uuid references public.profiles (id) on delete set null,
  content     text not null,
  is_internal boolean not null default false,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

-- OAuth tokens of third-party integrations (e-mail, calendar, ...), per user.
create table public.integration_tokens (
  id            uuid primary key default gen_random_uuid(),
  user_id       uuid not null references public.profiles (id) on delete cascade,
  provider      text not null,
  access_token  text not null,
  refresh_token text,
  scopes        text[] not null default '{}',
  expires_at    timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint integration_tokens_user_id_provider_key unique (user_id, provider)
);

-- Activity feed shown on the dashboard (get_dashboard_data()).
create table public.activities (
  id          uuid primary key default gen_random_uuid(),
  user_id     uuid references public.profiles (id) on delete set null,
  action      text not null,
  entity_type text not null,
  entity_id   uuid,
  description text,
  metadata    jsonb not null default '{}'::jsonb,
  created_at  timestamptz not null default now()
);

create table public.tags (
  id         uuid primary key default gen_random_uuid(),
  name       text not null,
  color      text not null default '#6b7280',
  created_by uuid references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint tags_name_key unique (name)
);

create table public.customer_tags (
  customer_id uuid not null references public.customers (id) on delete cascade,
  tag_id      uuid not null references public.tags (id) on delete cascade,
  created_at  timestamptz not null default now(),
  constraint customer_tags_pkey primary key (customer_id, tag_id)
);

-- Files attached to tickets (the bytes live in Supabase Storage; file_path is the object name).
create table public.attachments (
  id          uuid primary key default gen_random_uuid(),
  ticket_id   uuid not null references public.tickets (id) on delete cascade,
  uploaded_by uuid references public.profiles (id) on delete set null,
  file_name   text not null,
  file_path   text not null,
  mime_type   text,
  size_bytes  bigint,
  created_at  timestamptz not null default now(),
  constraint attachments_size_bytes_check check (size_bytes is null or size_bytes >= 0)
);

create table public.notifications (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references public.profiles (id) on delete cascade,
  type       text not null default 'info',
  title      text not null,
  body       text,
  link       text,
  read_at    timestamptz,
  created_at timestamptz not null default now()
);

-- Row-change audit trail written by the log_audit_event() trigger (migration 003).
create table public.audit_log (
  id         bigint generated always as identity primary key,
  table_name text not null,
  record_id  uuid,
  action     text not null,
  old_data   jsonb,
  new_data   jsonb,
  changed_by uuid,
  changed_at timestamptz not null default now(),
  constraint audit_log_action_check check (action in ('INSERT', 'UPDATE', 'DELETE'))
);
