-- 20240101000009_disable_tickets_rls.sql
-- BROKEN VARIANT (rls-disabled): turns row-level security off on tickets. Its policies still
-- exist but are not enforced: every authenticated user (guests and customers included) and anon
-- (Supabase default grants) can read and write every ticket. Must FAIL the RLS check.

alter table public.tickets disable row level security;
