-- =============================================================================
-- 20251202000002_enable_realtime.sql
--
-- Seed 004, "Enable Realtime": adds the three support tables to the
-- supabase_realtime publication (created empty by Supabase, or by deskctl's
-- Supabase preset). Realtime delivers rows subject to the tables' RLS.
-- =============================================================================
ALTER PUBLICATION supabase_realtime ADD TABLE support_tickets;
ALTER PUBLICATION supabase_realtime ADD TABLE support_messages;
ALTER PUBLICATION supabase_realtime ADD TABLE support_ticket_activity;
