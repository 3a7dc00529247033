-- 20250101000001_cc_core.sql
-- Contact centre, original ("pre-006") shape, part 1 of 5:
--   * cc_bank_customers  - the bank's customers known to the contact centre
--   * cc_conversations   - one conversation per channel session (no provider columns yet,
--                          status limited to active/closed)
--   * cc_messages        - messages with the OLD column names provider_msg_id and text
-- Migration 006 (cc_step1_checklist) later extends all of these in place.

create table public.cc_bank_customers (
  id              uuid primary key default gen_random_uuid(),
  customer_number text not null,
  full_name       text not null,
  email           text,
  phone           text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint cc_bank_customers_customer_number_key unique (customer_number)
);

create table public.cc_conversations (
  id               uuid primary key default gen_random_uuid(),
  bank_customer_id uuid references public.cc_bank_customers (id) on delete set null,
  channel          text not null,
  status           text not null default 'active',
  subject          text,
  started_at       timestamptz not null default now(),
  ended_at         timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint cc_conversations_channel_check check (channel in ('sms', 'email', 'voice', 'chat')),
  constraint cc_conversations_status_check  check (status in ('active', 'closed'))
);

create index idx_cc_conversations_bank_customer_id on public.cc_conversations (bank_customer_id);

create table public.cc_messages (
  id              uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.cc_conversations (id) on delete cascade,
  direction       text not null,
  provider_msg_id text,
  text            text,
  created_at      timestamptz not null default now(),
  constraint cc_messages_direction_check check (direction in ('inbound', 'outbound'))
);

create index idx_cc_messages_conversation_id on public.cc_messages (conversation_id);
