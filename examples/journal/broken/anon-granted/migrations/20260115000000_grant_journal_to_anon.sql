-- 20260115000000_grant_journal_to_anon.sql
-- BROKEN VARIANT (anon-granted): gives the anon role SELECT on "JournalEntry" and on the
-- journal_entries view, against the guide's rule that anon has NO access to user data tables.
-- (RLS still filters the rows - no policy matches anon - but the grant itself must FAIL the
-- grants check.)

GRANT SELECT ON TABLE public."JournalEntry" TO anon;
GRANT SELECT ON TABLE public.journal_entries TO anon;
