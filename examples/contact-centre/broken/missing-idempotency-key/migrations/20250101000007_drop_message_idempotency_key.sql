-- 20250101000007_drop_message_idempotency_key.sql
-- BROKEN VARIANT (missing-idempotency-key): drops the UNIQUE (provider, provider_message_id)
-- constraint on cc_messages, so a provider webhook delivered twice stores the message twice.
-- Must FAIL the unique-constraint / duplicate-insert check.

alter table public.cc_messages drop constraint if exists cc_messages_provider_message_id_key;
