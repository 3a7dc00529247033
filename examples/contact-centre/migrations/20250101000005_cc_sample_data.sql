-- 20250101000005_cc_sample_data.sql
-- Contact centre, original shape, part 5 of 5: one sample row per table written with the OLD
-- column/table names, so that migration 006's conditional renames can be shown to keep data:
--   cc_messages.provider_msg_id / .text       -> provider_message_id / body_text
--   cc_audit_logs.actor / .action / .payload_redacted -> actor_type / event_type / input_redacted
--   cc_preferences                             -> cc_comm_preferences
-- Fixed UUIDs (prefix c0000000-...) make the rows easy to find from check files.

insert into public.cc_bank_customers (id, customer_number, full_name, email, phone)
values ('c0000000-0000-4000-8000-000000000001', 'CUST-0001', 'Sample Customer',
        'sample.customer@example.com', '+15550000001');

insert into public.cc_conversations (id, bank_customer_id, channel, status, subject)
values ('c0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001',
        'sms', 'active', 'Card question');

insert into public.cc_messages (id, conversation_id, direction, provider_msg_id, text)
values ('c0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000002',
        'inbound', 'SM00000000000000000000000000000001', 'Hello, I need help with my card');

insert into public.cc_audit_logs (id, conversation_id, actor, action, payload_redacted)
values ('c0000000-0000-4000-8000-000000000004', 'c0000000-0000-4000-8000-000000000002',
        'system', 'message.received',
        '{"message_id": "c0000000-0000-4000-8000-000000000003", "from": "+1555***0001"}'::jsonb);

insert into public.cc_preferences (id, bank_customer_id, preferred_channel, do_not_contact)
values ('c0000000-0000-4000-8000-000000000005', 'c0000000-0000-4000-8000-000000000001',
        'sms', false);
