-- 20250101000003_cc_auth_sessions.sql
-- Contact centre, original shape, part 3 of 5:
--   * cc_auth_sessions - one-time-passcode / step-up authentication attempts for a caller.
--                        Original (narrower) status check: created/verified/failed/expired.
--                        No channel/destination/provider columns and no updated_at yet (006).

create table public.cc_auth_sessions (
  id               uuid primary key default gen_random_uuid(),
  bank_customer_id uuid references public.cc_bank_customers (id) on delete cascade,
  conversation_id  uuid references public.cc_conversations (id) on delete set null,
  status           text not null default 'created',
  attempts         integer not null default 0,
  expires_at       timestamptz,
  verified_at      timestamptz,
  created_at       timestamptz not null default now(),
  constraint cc_auth_sessions_status_check check (status in ('created', 'verified', 'failed', 'expired')),
  constraint cc_auth_sessions_attempts_check check (attempts >= 0)
);

create index idx_cc_auth_sessions_bank_customer_id on public.cc_auth_sessions (bank_customer_id);
