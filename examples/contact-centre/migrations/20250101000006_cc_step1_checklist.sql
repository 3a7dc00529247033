-- 20250101000006_cc_step1_checklist.sql
-- Migration 006: Add Missing CC Step 1 Checklist Items.
--
-- Adds every column, index, constraint, trigger and RLS policy required by the Step 1
-- Checklist while preserving the existing schema and data:
--   1. cc_conversations   provider, provider_conversation_id, wider status check, index
--   2. cc_messages        provider; provider_msg_id -> provider_message_id and text -> body_text
--                         (conditional renames); from/to address, body_json, status;
--                         UNIQUE (provider, provider_message_id) for idempotency; indexes
--   3. cc_cases           wider case_type/status checks; summary, closed_at; indexes
--   4. cc_auth_sessions   channel, destination, provider, provider_request_id, wider status
--                         check, updated_at + trigger, UNIQUE INDEX (provider, provider_request_id)
--   5. cc_audit_logs      case_id, bank_customer_id; actor -> actor_type, action -> event_type,
--                         payload_redacted -> input_redacted (conditional renames); actor_id,
--                         event_version, output_redacted, success, error_code, error_message;
--                         indexes; IMMUTABILITY TRIGGER (BEFORE UPDATE OR DELETE raises)
--   6. cc_identity_links  new table, UNIQUE (channel, address), indexes
--   7. cc_comm_preferences  cc_preferences renamed (conditional); allowed_channels, timezone; index
--   8. cc_assignments     new table (conversation_id and/or case_id), indexes
--   9. RLS enabled on all nine cc_ tables + "Service role full access" policy on each
-- Written to be re-runnable: every step is guarded (IF [NOT] EXISTS / catalog checks).
-- Note: as in the source document, only UPDATE and DELETE are blocked on cc_audit_logs;
-- TRUNCATE is not (row triggers do not fire on TRUNCATE).

-- ---------------------------------------------------------------------------------------------
-- 1. CC_CONVERSATIONS
-- ---------------------------------------------------------------------------------------------
alter table public.cc_conversations add column if not exists provider text;
alter table public.cc_conversations add column if not exists provider_conversation_id text;

alter table public.cc_conversations drop constraint if exists cc_conversations_provider_check;
alter table public.cc_conversations add constraint cc_conversations_provider_check
  check (provider in ('twilio', 'sendgrid', 'vapi', 'other'));

alter table public.cc_conversations drop constraint if exists cc_conversations_status_check;
alter table public.cc_conversations add constraint cc_conversations_status_check
  check (status in ('open', 'pending', 'active', 'closed'));

create index if not exists idx_cc_conversations_channel_provider_conversation_id
  on public.cc_conversations (channel, provider_conversation_id);

-- ---------------------------------------------------------------------------------------------
-- 2. CC_MESSAGES
-- ---------------------------------------------------------------------------------------------
alter table public.cc_messages add column if not exists provider text;

alter table public.cc_messages drop constraint if exists cc_messages_provider_check;
alter table public.cc_messages add constraint cc_messages_provider_check
  check (provider in ('twilio', 'sendgrid', 'vapi', 'other'));

-- provider_msg_id -> provider_message_id (only if the old name exists and the new one does not)
do $$
begin
  if exists (select 1 from information_schema.columns
              where table_schema = 'public' and table_name = 'cc_messages'
                and column_name = 'provider_msg_id')
     and not exists (select 1 from information_schema.columns
                      where table_schema = 'public' and table_name = 'cc_messages'
                        and column_name = 'provider_message_id') then
    alter table public.cc_messages rename column provider_msg_id to provider_message_id;
  end if;
end
$$;
alter table public.cc_messages add column if not exists provider_message_id text;

alter table public.cc_messages add column if not exists from_address text;
alter table public.cc_messages add column if not exists to_address text;

-- text -> body_text (only if the old name exists and the new one does not)
do $$
begin
  if exists (select 1 from information_schema.columns
              where table_schema = 'public' and table_name = 'cc_messages'
                and column_name = 'text')
     and not exists (select 1 from information_schema.columns
                      where table_schema = 'public' and table_name = 'cc_messages'
                        and column_name = 'body_text') then
    alter table public.cc_messages rename column text to body_text;
  end if;
end
$$;
alter table public.cc_messages add column if not exists body_text text;

alter table public.cc_messages add column if not exists body_json jsonb;

-- status: backfill existing rows from direction, then default + NOT NULL + check
alter table public.cc_messages add column if not exists status text;
update public.cc_messages
   set status = case direction when 'inbound' then 'received' else 'sent' end
 where status is null;
alter table public.cc_messages alter column status set default 'received';
alter table public.cc_messages alter column status set not null;
alter table public.cc_messages drop constraint if exists cc_messages_status_check;
alter table public.cc_messages add constraint cc_messages_status_check
  check (status in ('received', 'sent', 'delivered', 'failed', 'read'));

-- idempotency key: one row per provider message
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint
                  where conrelid = 'public.cc_messages'::regclass
                    and conname = 'cc_messages_provider_message_id_key') then
    alter table public.cc_messages
      add constraint cc_messages_provider_message_id_key unique (provider, provider_message_id);
  end if;
end
$$;

create index if not exists idx_cc_messages_conversation_id_created_at
  on public.cc_messages (conversation_id, created_at desc);
create index if not exists idx_cc_messages_from_address
  on public.cc_messages (from_address);

-- ---------------------------------------------------------------------------------------------
-- 3. CC_CASES
-- ---------------------------------------------------------------------------------------------
alter table public.cc_cases drop constraint if exists cc_cases_case_type_check;
alter table public.cc_cases add constraint cc_cases_case_type_check
  check (case_type in ('fraud', 'cards', 'payments', 'loans', 'disputes', 'complaints', 'general'));

alter table public.cc_cases drop constraint if exists cc_cases_status_check;
alter table public.cc_cases add constraint cc_cases_status_check
  check (status in ('new', 'triage', 'in_progress', 'waiting_customer', 'resolved', 'closed'));

alter table public.cc_cases add column if not exists summary text;     -- keeps description
alter table public.cc_cases add column if not exists closed_at timestamptz;  -- keeps resolved_at

create index if not exists idx_cc_cases_bank_customer_id_created_at
  on public.cc_cases (bank_customer_id, created_at desc);
create index if not exists idx_cc_cases_status_priority
  on public.cc_cases (status, priority);
create index if not exists idx_cc_cases_case_type_created_at
  on public.cc_cases (case_type, created_at desc);

-- ---------------------------------------------------------------------------------------------
-- 4. CC_AUTH_SESSIONS
-- ---------------------------------------------------------------------------------------------
alter table public.cc_auth_sessions add column if not exists channel text;
alter table public.cc_auth_sessions add column if not exists destination text;  -- masked phone/email
alter table public.cc_auth_sessions add column if not exists provider text;
alter table public.cc_auth_sessions add column if not exists provider_request_id text;
alter table public.cc_auth_sessions add column if not exists updated_at timestamptz not null default now();

alter table public.cc_auth_sessions drop constraint if exists cc_auth_sessions_channel_check;
alter table public.cc_auth_sessions add constraint cc_auth_sessions_channel_check
  check (channel in ('sms', 'email', 'voice'));

alter table public.cc_auth_sessions drop constraint if exists cc_auth_sessions_provider_check;
alter table public.cc_auth_sessions add constraint cc_auth_sessions_provider_check
  check (provider in ('twilio_verify', 'sendgrid', 'vapi', 'other'));

alter table public.cc_auth_sessions drop constraint if exists cc_auth_sessions_status_check;
alter table public.cc_auth_sessions add constraint cc_auth_sessions_status_check
  check (status in ('created', 'sent', 'verified', 'failed', 'expired', 'cancelled'));

create unique index if not exists idx_cc_auth_sessions_provider_request_id
  on public.cc_auth_sessions (provider, provider_request_id);

create or replace function public.cc_set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

drop trigger if exists cc_auth_sessions_set_updated_at on public.cc_auth_sessions;
create trigger cc_auth_sessions_set_updated_at
  before update on public.cc_auth_sessions
  for each row execute function public.cc_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- 5. CC_AUDIT_LOGS
-- ---------------------------------------------------------------------------------------------
-- No ON DELETE actions on the new FKs: a cascade would UPDATE/DELETE audit rows, which the
-- immutability trigger below forbids. Audited parents therefore cannot be deleted.
alter table public.cc_audit_logs add column if not exists case_id uuid
  references public.cc_cases (id);
alter table public.cc_audit_logs add column if not exists bank_customer_id uuid
  references public.cc_bank_customers (id);

do $$
begin
  -- actor -> actor_type
  if exists (select 1 from information_schema.columns
              where table_schema = 'public' and table_name = 'cc_audit_logs' and column_name = 'actor')
     and not exists (select 1 from information_schema.columns
                      where table_schema = 'public' and table_name = 'cc_audit_logs' and column_name = 'actor_type') then
    alter table public.cc_audit_logs rename column actor to actor_type;
  end if;
  -- action -> event_type
  if exists (select 1 from information_schema.columns
              where table_schema = 'public' and table_name = 'cc_audit_logs' and column_name = 'action')
     and not exists (select 1 from information_schema.columns
                      where table_schema = 'public' and table_name = 'cc_audit_logs' and column_name = 'event_type') then
    alter table public.cc_audit_logs rename column action to event_type;
  end if;
  -- payload_redacted -> input_redacted
  if exists (select 1 from information_schema.columns
              where table_schema = 'public' and table_name = 'cc_audit_logs' and column_name = 'payload_redacted')
     and not exists (select 1 from information_schema.columns
                      where table_schema = 'public' and table_name = 'cc_audit_logs' and column_name = 'input_redacted') then
    alter table public.cc_audit_logs rename column payload_redacted to input_redacted;
  end if;
end
$$;
alter table public.cc_audit_logs add column if not exists actor_type text;
alter table public.cc_audit_logs add column if not exists event_type text;
alter table public.cc_audit_logs add column if not exists input_redacted jsonb;

alter table public.cc_audit_logs add column if not exists actor_id text;
alter table public.cc_audit_logs add column if not exists event_version integer not null default 1;
alter table public.cc_audit_logs add column if not exists output_redacted jsonb;
alter table public.cc_audit_logs add column if not exists success boolean;
alter table public.cc_audit_logs add column if not exists error_code text;
alter table public.cc_audit_logs add column if not exists error_message text;

create index if not exists idx_cc_audit_logs_conversation_id_created_at
  on public.cc_audit_logs (conversation_id, created_at desc);
create index if not exists idx_cc_audit_logs_case_id
  on public.cc_audit_logs (case_id);
create index if not exists idx_cc_audit_logs_bank_customer_id
  on public.cc_audit_logs (bank_customer_id);

-- Immutability: UPDATE and DELETE raise; only INSERT and SELECT are allowed.
create or replace function public.cc_audit_logs_immutable()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'cc_audit_logs is immutable: % is not allowed', tg_op
    using hint = 'Audit log rows may only be inserted and read.';
end
$$;

drop trigger if exists cc_audit_logs_immutable on public.cc_audit_logs;
create trigger cc_audit_logs_immutable
  before update or delete on public.cc_audit_logs
  for each row execute function public.cc_audit_logs_immutable();

-- ---------------------------------------------------------------------------------------------
-- 6. CC_IDENTITY_LINKS (new): which channel address (phone, e-mail, ...) belongs to which customer
-- ---------------------------------------------------------------------------------------------
create table if not exists public.cc_identity_links (
  id               uuid primary key default gen_random_uuid(),
  bank_customer_id uuid not null references public.cc_bank_customers (id) on delete cascade,
  channel          text not null,
  address          text not null,
  verified         boolean not null default false,
  verified_at      timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint cc_identity_links_channel_check check (channel in ('sms', 'email', 'voice', 'chat')),
  constraint cc_identity_links_channel_address_key unique (channel, address)
);

create index if not exists idx_cc_identity_links_bank_customer_id
  on public.cc_identity_links (bank_customer_id);
create index if not exists idx_cc_identity_links_address
  on public.cc_identity_links (address);

-- ---------------------------------------------------------------------------------------------
-- 7. CC_COMM_PREFERENCES (cc_preferences renamed, if it exists and the new name does not)
-- ---------------------------------------------------------------------------------------------
do $$
begin
  if to_regclass('public.cc_preferences') is not null
     and to_regclass('public.cc_comm_preferences') is null then
    alter table public.cc_preferences rename to cc_comm_preferences;
  end if;
end
$$;

create table if not exists public.cc_comm_preferences (
  id                uuid primary key default gen_random_uuid(),
  bank_customer_id  uuid not null references public.cc_bank_customers (id) on delete cascade,
  preferred_channel text,
  do_not_contact    boolean not null default false,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint cc_preferences_bank_customer_id_key unique (bank_customer_id),
  constraint cc_preferences_preferred_channel_check
    check (preferred_channel is null or preferred_channel in ('sms', 'email', 'voice', 'chat'))
);

alter table public.cc_comm_preferences add column if not exists allowed_channels jsonb
  not null default '["sms", "email", "voice", "chat"]'::jsonb;
alter table public.cc_comm_preferences add column if not exists timezone text
  not null default 'UTC';

create index if not exists idx_cc_comm_preferences_do_not_contact
  on public.cc_comm_preferences (do_not_contact);

-- ---------------------------------------------------------------------------------------------
-- 8. CC_ASSIGNMENTS (new): queue / assignment metadata for a conversation and/or a case
-- ---------------------------------------------------------------------------------------------
create table if not exists public.cc_assignments (
  id              uuid primary key default gen_random_uuid(),
  conversation_id uuid references public.cc_conversations (id) on delete cascade,
  case_id         uuid references public.cc_cases (id) on delete cascade,
  queue_name      text not null,
  assigned_to     uuid references auth.users (id) on delete set null,
  status          text not null default 'queued',
  sla_due_at      timestamptz,
  assigned_at     timestamptz,
  completed_at    timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint cc_assignments_status_check
    check (status in ('queued', 'assigned', 'completed', 'cancelled')),
  constraint cc_assignments_target_check
    check (conversation_id is not null or case_id is not null)
);

create index if not exists idx_cc_assignments_queue_name_sla_due_at
  on public.cc_assignments (queue_name, sla_due_at);
create index if not exists idx_cc_assignments_assigned_to
  on public.cc_assignments (assigned_to);
create index if not exists idx_cc_assignments_conversation_id
  on public.cc_assignments (conversation_id);
create index if not exists idx_cc_assignments_case_id
  on public.cc_assignments (case_id);

-- ---------------------------------------------------------------------------------------------
-- 9. RLS on all cc_ tables + service-role policies
--    service_role bypasses RLS anyway (BYPASSRLS); these policies are explicit placeholders for
--    future user-based access. anon/authenticated have no policy, so they see no rows.
-- ---------------------------------------------------------------------------------------------
alter table public.cc_conversations    enable row level security;
alter table public.cc_messages         enable row level security;
alter table public.cc_cases            enable row level security;
alter table public.cc_auth_sessions    enable row level security;
alter table public.cc_audit_logs       enable row level security;
alter table public.cc_identity_links   enable row level security;
alter table public.cc_comm_preferences enable row level security;
alter table public.cc_assignments      enable row level security;
alter table public.cc_bank_customers   enable row level security;

drop policy if exists "Service role full access" on public.cc_conversations;
create policy "Service role full access" on public.cc_conversations
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_messages;
create policy "Service role full access" on public.cc_messages
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_cases;
create policy "Service role full access" on public.cc_cases
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_auth_sessions;
create policy "Service role full access" on public.cc_auth_sessions
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_audit_logs;
create policy "Service role full access" on public.cc_audit_logs
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_identity_links;
create policy "Service role full access" on public.cc_identity_links
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_comm_preferences;
create policy "Service role full access" on public.cc_comm_preferences
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_assignments;
create policy "Service role full access" on public.cc_assignments
  for all to service_role using (true) with check (true);

drop policy if exists "Service role full access" on public.cc_bank_customers;
create policy "Service role full access" on public.cc_bank_customers
  for all to service_role using (true) with check (true);
