-- =============================================================================
-- BROKEN VARIANT (rls-disabled): turns row level security OFF on
-- chat_messages. The policies still exist, but without RLS they are ignored,
-- and every authenticated user can read (and, through Supabase's default
-- table privileges, write) every chat message of every user.
-- =============================================================================
alter table public.chat_messages disable row level security;
