-- 20250101000004_cc_audit_and_preferences.sql
-- Contact centre, original shape, part 4 of 5:
--   * cc_audit_logs  - audit trail with the OLD column names actor, action, payload_redacted
--                      (006 renames them to actor_type, event_type, input_redacted).
--                      The FK to cc_conversations has no ON DELETE action on purpose: an audit
--                      row must never be rewritten by a cascade.
--   * cc_preferences - per-customer contact preferences (OLD table name; 006 renames it to
--                      cc_comm_preferences).

create table public.cc_audit_logs (
  id               uuid primary key default gen_random_uuid(),
  conversation_id  uuid references public.cc_conversations (id),
  actor            text not null,
  action           text not null,
  payload_redacted jsonb,
  created_at       timestamptz not null default now()
);

-- 006 renames this table inside a DO block and enables RLS under the new name, which a static
-- lint cannot follow:
-- deskctl:allow table-without-rls
create table public.cc_preferences (
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
