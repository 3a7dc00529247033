-- 20260114000000_comprehensive_schema_fix.sql
-- Comprehensive schema fix (20260114_comprehensive_schema_fix.sql in the schema guide):
--   1. Creates the missing tables calendar_events, users_roles, billing_customers,
--      webhook_events (uuid user_id FK to auth.users ON DELETE CASCADE where there is a user)
--   2. Creates the snake_case views over the PascalCase tables, mapping camelCase columns to
--      snake_case: daily_mood, chat_session, chat_sessions, chat_messages, journal_entries,
--      user_memory (the last only if "UserMemory" exists). All views are created
--      WITH (security_invoker = true): they run with the caller's privileges and RLS, so they
--      never show another user's rows (a plain view would run as its owner and bypass RLS).
--   3. Adds the indexes of the new tables
--   4. Enables RLS on every user data table (idempotent for the ones 20260113 already covered)
--   5. Creates the policies of the new tables: calendar_events the standard four +
--      service role; users_roles and billing_customers SELECT own + service role (read-only for
--      users); webhook_events service role only
--   6. Fixes grants: nothing for anon on any of these tables and views; authenticated gets
--      exactly the privileges its policies can use; service_role everything
-- Every statement is guarded, so the file can be re-applied.

-- ---------------------------------------------------------------------------------------------
-- 1. Missing tables
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.calendar_events (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    date             date NOT NULL,
    title            text NOT NULL,
    description      text,
    start_time       time,
    end_time         time,
    location_name    text,
    location_address text,
    location_lat     double precision,
    location_lng     double precision,
    emotion          text,
    intensity        integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_events_intensity_check CHECK (intensity IS NULL OR intensity BETWEEN 1 AND 10),
    CONSTRAINT calendar_events_location_lat_check CHECK (location_lat IS NULL OR location_lat BETWEEN -90 AND 90),
    CONSTRAINT calendar_events_location_lng_check CHECK (location_lng IS NULL OR location_lng BETWEEN -180 AND 180)
);

CREATE TABLE IF NOT EXISTS public.users_roles (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    role       text NOT NULL DEFAULT 'user',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_roles_role_check CHECK (role IN ('user', 'ops', 'admin')),
    CONSTRAINT users_roles_user_id_role_key UNIQUE (user_id, role)
);

CREATE TABLE IF NOT EXISTS public.billing_customers (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    stripe_customer_id text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_customers_user_id_key UNIQUE (user_id),
    CONSTRAINT billing_customers_stripe_customer_id_key UNIQUE (stripe_customer_id)
);

CREATE TABLE IF NOT EXISTS public.webhook_events (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id     text,
    event_type   text NOT NULL,
    payload      jsonb NOT NULL,
    processed    boolean NOT NULL DEFAULT false,
    processed_at timestamptz,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_events_event_id_key UNIQUE (event_id)   -- provider event id: idempotency
);

-- updated_at maintenance (set_updated_at() comes from 20260113000000_rls_and_profiles.sql)
DROP TRIGGER IF EXISTS calendar_events_set_updated_at ON public.calendar_events;
CREATE TRIGGER calendar_events_set_updated_at
    BEFORE UPDATE ON public.calendar_events
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS billing_customers_set_updated_at ON public.billing_customers;
CREATE TRIGGER billing_customers_set_updated_at
    BEFORE UPDATE ON public.billing_customers
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- 2. snake_case views (security_invoker: the caller's RLS applies)
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW public.daily_mood WITH (security_invoker = true) AS
SELECT "id"        AS id,
       "userId"    AS user_id,
       "emotion"   AS emotion,
       "intensity" AS intensity,
       "fruit"     AS fruit,
       "createdAt" AS created_at,
       "updatedAt" AS updated_at
  FROM public."DailyMood";

CREATE OR REPLACE VIEW public.chat_session WITH (security_invoker = true) AS
SELECT "sessionId"       AS session_id,
       "userId"          AS user_id,
       "dominantEmotion" AS dominant_emotion,
       "summary"         AS summary,
       "createdAt"       AS created_at,
       "updatedAt"       AS updated_at
  FROM public."ChatSession";

CREATE OR REPLACE VIEW public.chat_sessions WITH (security_invoker = true) AS
SELECT "sessionId"       AS session_id,
       "userId"          AS user_id,
       "dominantEmotion" AS dominant_emotion,
       "summary"         AS summary,
       "createdAt"       AS created_at,
       "updatedAt"       AS updated_at
  FROM public."ChatSession";

CREATE OR REPLACE VIEW public.chat_messages WITH (security_invoker = true) AS
SELECT "id"        AS id,
       "sessionId" AS session_id,
       "userId"    AS user_id,
       "role"      AS role,
       "content"   AS content,
       "timestamp" AS "timestamp"
  FROM public."ChatMessage";

CREATE OR REPLACE VIEW public.journal_entries WITH (security_invoker = true) AS
SELECT "id"        AS id,
       "userId"    AS user_id,
       "title"     AS title,
       "content"   AS content,
       "date"      AS date,
       "emotion"   AS emotion,
       "tags"      AS tags,
       "createdAt" AS created_at,
       "updatedAt" AS updated_at
  FROM public."JournalEntry";

DO $$
BEGIN
    IF to_regclass('public."UserMemory"') IS NOT NULL THEN
        EXECUTE $view$
            CREATE OR REPLACE VIEW public.user_memory WITH (security_invoker = true) AS
            SELECT "id"         AS id,
                   "userId"     AS user_id,
                   "summary"    AS summary,
                   "sourceType" AS source_type,
                   "sourceId"   AS source_id,
                   "createdAt"  AS created_at,
                   "updatedAt"  AS updated_at
              FROM public."UserMemory"
        $view$;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- 3. Indexes of the new tables (user_id of users_roles is covered by users_roles_user_id_role_key,
--    user_id and stripe_customer_id of billing_customers by their unique constraints)
-- ---------------------------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_calendar_events_user_id      ON public.calendar_events (user_id);
CREATE INDEX IF NOT EXISTS idx_calendar_events_date         ON public.calendar_events (date);
CREATE INDEX IF NOT EXISTS idx_calendar_events_user_id_date ON public.calendar_events (user_id, date);
CREATE INDEX IF NOT EXISTS idx_webhook_events_event_type    ON public.webhook_events (event_type);
CREATE INDEX IF NOT EXISTS idx_webhook_events_processed     ON public.webhook_events (processed);

-- ---------------------------------------------------------------------------------------------
-- 4. RLS on every user data table
-- ---------------------------------------------------------------------------------------------
ALTER TABLE public."ChatMessage"       ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."ChatSession"       ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."DailyMood"         ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."JournalEntry"      ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."UserMemory"        ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."InsightRun"        ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles            ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.calendar_events     ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.users_roles         ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.billing_customers   ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.webhook_events      ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------------------------
-- 5. Policies of the new tables
-- ---------------------------------------------------------------------------------------------
-- calendar_events: users CRUD their own events
DROP POLICY IF EXISTS "calendar_events_select_own" ON public.calendar_events;
CREATE POLICY "calendar_events_select_own" ON public.calendar_events
    FOR SELECT TO authenticated
    USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "calendar_events_insert_own" ON public.calendar_events;
CREATE POLICY "calendar_events_insert_own" ON public.calendar_events
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid() = user_id);

DROP POLICY IF EXISTS "calendar_events_update_own" ON public.calendar_events;
CREATE POLICY "calendar_events_update_own" ON public.calendar_events
    FOR UPDATE TO authenticated
    USING (auth.uid() = user_id)
    WITH CHECK (auth.uid() = user_id);

DROP POLICY IF EXISTS "calendar_events_delete_own" ON public.calendar_events;
CREATE POLICY "calendar_events_delete_own" ON public.calendar_events
    FOR DELETE TO authenticated
    USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "calendar_events_service_role" ON public.calendar_events;
CREATE POLICY "calendar_events_service_role" ON public.calendar_events
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- users_roles: users read their own roles; only the service role manages them
DROP POLICY IF EXISTS "users_roles_select_own" ON public.users_roles;
CREATE POLICY "users_roles_select_own" ON public.users_roles
    FOR SELECT TO authenticated
    USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "users_roles_service_role" ON public.users_roles;
CREATE POLICY "users_roles_service_role" ON public.users_roles
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- billing_customers: read-only for users; the Stripe webhook (service role) writes
DROP POLICY IF EXISTS "billing_customers_select_own" ON public.billing_customers;
CREATE POLICY "billing_customers_select_own" ON public.billing_customers
    FOR SELECT TO authenticated
    USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "billing_customers_service_role" ON public.billing_customers;
CREATE POLICY "billing_customers_service_role" ON public.billing_customers
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- webhook_events: service role only
DROP POLICY IF EXISTS "webhook_events_service_role" ON public.webhook_events;
CREATE POLICY "webhook_events_service_role" ON public.webhook_events
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- ---------------------------------------------------------------------------------------------
-- 6. Grants: anon gets nothing; authenticated gets what its policies allow
-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON TABLE
    public."ChatMessage", public."ChatSession", public."DailyMood", public."JournalEntry",
    public."UserMemory", public."InsightRun", public.profiles, public.calendar_events,
    public.users_roles, public.billing_customers, public.webhook_events
  FROM anon;

REVOKE ALL ON TABLE
    public.daily_mood, public.chat_session, public.chat_sessions, public.chat_messages,
    public.journal_entries
  FROM anon;

REVOKE ALL ON TABLE
    public."ChatMessage", public."ChatSession", public."DailyMood", public."JournalEntry",
    public."UserMemory", public."InsightRun", public.profiles, public.calendar_events,
    public.users_roles, public.billing_customers, public.webhook_events,
    public.daily_mood, public.chat_session, public.chat_sessions, public.chat_messages,
    public.journal_entries
  FROM authenticated;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE
    public."ChatMessage", public."ChatSession", public."DailyMood", public."JournalEntry",
    public."UserMemory", public.profiles, public.calendar_events
  TO authenticated;
GRANT SELECT, INSERT, DELETE ON TABLE public."InsightRun" TO authenticated;   -- append-only
GRANT SELECT ON TABLE public.users_roles, public.billing_customers TO authenticated;
-- webhook_events: no grant to authenticated (service role only)

-- the views are simple (auto-updatable) views; with security_invoker the base-table grants and
-- policies of the caller apply as well
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE
    public.daily_mood, public.chat_session, public.chat_sessions, public.chat_messages,
    public.journal_entries
  TO authenticated;

GRANT ALL ON TABLE
    public."ChatMessage", public."ChatSession", public."DailyMood", public."JournalEntry",
    public."UserMemory", public."InsightRun", public.profiles, public.calendar_events,
    public.users_roles, public.billing_customers, public.webhook_events,
    public.daily_mood, public.chat_session, public.chat_sessions, public.chat_messages,
    public.journal_entries
  TO service_role;

DO $$
BEGIN
    IF to_regclass('public.user_memory') IS NOT NULL THEN
        REVOKE ALL ON TABLE public.user_memory FROM anon, authenticated;
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.user_memory TO authenticated;
        GRANT ALL ON TABLE public.user_memory TO service_role;
    END IF;
END
$$;
