-- 20250101000002_cc_cases.sql
-- Contact centre, original shape, part 2 of 5:
--   * cc_cases - service cases opened from conversations. Original (narrower) checks:
--                case_type in fraud/cards/general, status in new/in_progress/resolved/closed.
--                Has description and resolved_at (006 adds summary and closed_at alongside).

create table public.cc_cases (
  id               uuid primary key default gen_random_uuid(),
  bank_customer_id uuid references public.cc_bank_customers (id) on delete set null,
  conversation_id  uuid references public.cc_conversations (id) on delete set null,
  case_type        text not null default 'general',
  status           text not null default 'new',
  priority         text not null default 'medium',
  description      text,
  resolved_at      timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint cc_cases_case_type_check check (case_type in ('fraud', 'cards', 'general')),
  constraint cc_cases_status_check    check (status in ('new', 'in_progress', 'resolved', 'closed')),
  constraint cc_cases_priority_check  check (priority in ('low', 'medium', 'high', 'urgent'))
);

create index idx_cc_cases_conversation_id on public.cc_cases (conversation_id);
