-- 20250101000007_disable_messages_rls.sql
-- BROKEN VARIANT (rls-disabled): turns row-level security off on cc_messages. Its
-- "Service role full access" policy still exists but is no longer enforced, and anon/authenticated
-- (which hold Supabase's default table grants) can read every message. Must FAIL the RLS check.

alter table public.cc_messages disable row level security;
