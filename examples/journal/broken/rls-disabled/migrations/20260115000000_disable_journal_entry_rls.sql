-- 20260115000000_disable_journal_entry_rls.sql
-- BROKEN VARIANT (rls-disabled): turns row-level security off on "JournalEntry". Its five
-- policies remain but are not enforced, so every authenticated user reads every journal entry
-- (directly and through the journal_entries view). Must FAIL the RLS check.

ALTER TABLE public."JournalEntry" DISABLE ROW LEVEL SECURITY;
