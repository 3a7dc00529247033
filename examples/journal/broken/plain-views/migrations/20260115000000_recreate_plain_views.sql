-- 20260115000000_recreate_plain_views.sql
-- BROKEN VARIANT (plain-views): re-creates the six snake_case views WITHOUT
-- security_invoker = true, as the schema guide's example "CREATE VIEW chat_messages AS SELECT ..."
-- literally reads. A plain view runs with its OWNER's privileges (postgres, which bypasses RLS),
-- so every authenticated user reading chat_messages, journal_entries, ... sees EVERY user's
-- rows. Grants are re-applied exactly as in 20260114 so that only the security_invoker option
-- differs. Must FAIL the view/RLS-bypass check and any "user sees only own rows via the view"
-- scenario.

DROP VIEW IF EXISTS public.daily_mood, public.chat_session, public.chat_sessions,
    public.chat_messages, public.journal_entries, public.user_memory;

CREATE VIEW public.daily_mood AS
SELECT "id" AS id, "userId" AS user_id, "emotion" AS emotion, "intensity" AS intensity,
       "fruit" AS fruit, "createdAt" AS created_at, "updatedAt" AS updated_at
  FROM public."DailyMood";

CREATE VIEW public.chat_session AS
SELECT "sessionId" AS session_id, "userId" AS user_id, "dominantEmotion" AS dominant_emotion,
       "summary" AS summary, "createdAt" AS created_at, "updatedAt" AS updated_at
  FROM public."ChatSession";

CREATE VIEW public.chat_sessions AS
SELECT "sessionId" AS session_id, "userId" AS user_id, "dominantEmotion" AS dominant_emotion,
       "summary" AS summary, "createdAt" AS created_at, "updatedAt" AS updated_at
  FROM public."ChatSession";

CREATE VIEW public.chat_messages AS
SELECT "id" AS id, "sessionId" AS session_id, "userId" AS user_id, "role" AS role,
       "content" AS content, "timestamp" AS "timestamp"
  FROM public."ChatMessage";

CREATE VIEW public.journal_entries AS
SELECT "id" AS id, "userId" AS user_id, "title" AS title, "content" AS content, "date" AS date,
       "emotion" AS emotion, "tags" AS tags, "createdAt" AS created_at, "updatedAt" AS updated_at
  FROM public."JournalEntry";

CREATE VIEW public.user_memory AS
SELECT "id" AS id, "userId" AS user_id, "summary" AS summary, "sourceType" AS source_type,
       "sourceId" AS source_id, "createdAt" AS created_at, "updatedAt" AS updated_at
  FROM public."UserMemory";

REVOKE ALL ON TABLE public.daily_mood, public.chat_session, public.chat_sessions,
    public.chat_messages, public.journal_entries, public.user_memory
  FROM anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.daily_mood, public.chat_session,
    public.chat_sessions, public.chat_messages, public.journal_entries, public.user_memory
  TO authenticated;
GRANT ALL ON TABLE public.daily_mood, public.chat_session, public.chat_sessions,
    public.chat_messages, public.journal_entries, public.user_memory
  TO service_role;
