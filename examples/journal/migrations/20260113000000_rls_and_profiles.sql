-- 20260113000000_rls_and_profiles.sql
-- (rls-and-profiles.sql in the schema guide.)
--   1. Enables row-level security on the PascalCase tables "ChatMessage", "ChatSession",
--      "DailyMood", "JournalEntry", "UserMemory", "InsightRun" and gives each the standard
--      policies: <table>_select_own, <table>_insert_own, <table>_update_own, <table>_delete_own
--      (TO authenticated, auth.uid()::text = "userId") and <table>_service_role (claims role =
--      service_role). Special cases: "ChatMessage" additionally requires that the message's
--      session belongs to the user; "InsightRun" (user_id) has NO update policy (append-only).
--   2. Creates profiles (plan and settings per auth user: uuid user_id FK to auth.users ON DELETE
--      CASCADE, plan free|pro, voice_enabled) with indexes, RLS and the same five policies, plus
--      set_updated_at() / profiles_set_updated_at and profiles_protect_plan() /
--      profiles_protect_plan: API users cannot choose or change their own plan (the Stripe
--      webhook, running as service_role, does).
-- Grants for all of these are fixed in 20260114000000_comprehensive_schema_fix.sql.
-- The service-role policy reads request.jwt.claims through NULLIF(..., '') so that an empty
-- setting (a reset GUC) cannot make the ::json cast fail.

-- ---------------------------------------------------------------------------------------------
-- 1. RLS on the PascalCase tables
-- ---------------------------------------------------------------------------------------------
ALTER TABLE public."ChatMessage"  ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."ChatSession"  ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."DailyMood"    ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."JournalEntry" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."UserMemory"   ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."InsightRun"   ENABLE ROW LEVEL SECURITY;

-- ChatSession -------------------------------------------------------------------------------
DROP POLICY IF EXISTS "ChatSession_select_own" ON public."ChatSession";
CREATE POLICY "ChatSession_select_own" ON public."ChatSession"
    FOR SELECT TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "ChatSession_insert_own" ON public."ChatSession";
CREATE POLICY "ChatSession_insert_own" ON public."ChatSession"
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "ChatSession_update_own" ON public."ChatSession";
CREATE POLICY "ChatSession_update_own" ON public."ChatSession"
    FOR UPDATE TO authenticated
    USING (auth.uid()::text = "userId")
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "ChatSession_delete_own" ON public."ChatSession";
CREATE POLICY "ChatSession_delete_own" ON public."ChatSession"
    FOR DELETE TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "ChatSession_service_role" ON public."ChatSession";
CREATE POLICY "ChatSession_service_role" ON public."ChatSession"
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- ChatMessage: own messages, in own sessions ------------------------------------------------
DROP POLICY IF EXISTS "ChatMessage_select_own" ON public."ChatMessage";
CREATE POLICY "ChatMessage_select_own" ON public."ChatMessage"
    FOR SELECT TO authenticated
    USING (auth.uid()::text = "userId"
           AND EXISTS (SELECT 1 FROM public."ChatSession" s
                        WHERE s."sessionId" = "ChatMessage"."sessionId"
                          AND s."userId" = auth.uid()::text));

DROP POLICY IF EXISTS "ChatMessage_insert_own" ON public."ChatMessage";
CREATE POLICY "ChatMessage_insert_own" ON public."ChatMessage"
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid()::text = "userId"
           AND EXISTS (SELECT 1 FROM public."ChatSession" s
                        WHERE s."sessionId" = "ChatMessage"."sessionId"
                          AND s."userId" = auth.uid()::text));

DROP POLICY IF EXISTS "ChatMessage_update_own" ON public."ChatMessage";
CREATE POLICY "ChatMessage_update_own" ON public."ChatMessage"
    FOR UPDATE TO authenticated
    USING (auth.uid()::text = "userId"
           AND EXISTS (SELECT 1 FROM public."ChatSession" s
                        WHERE s."sessionId" = "ChatMessage"."sessionId"
                          AND s."userId" = auth.uid()::text))
    WITH CHECK (auth.uid()::text = "userId"
           AND EXISTS (SELECT 1 FROM public."ChatSession" s
                        WHERE s."sessionId" = "ChatMessage"."sessionId"
                          AND s."userId" = auth.uid()::text));

DROP POLICY IF EXISTS "ChatMessage_delete_own" ON public."ChatMessage";
CREATE POLICY "ChatMessage_delete_own" ON public."ChatMessage"
    FOR DELETE TO authenticated
    USING (auth.uid()::text = "userId"
           AND EXISTS (SELECT 1 FROM public."ChatSession" s
                        WHERE s."sessionId" = "ChatMessage"."sessionId"
                          AND s."userId" = auth.uid()::text));

DROP POLICY IF EXISTS "ChatMessage_service_role" ON public."ChatMessage";
CREATE POLICY "ChatMessage_service_role" ON public."ChatMessage"
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- DailyMood ---------------------------------------------------------------------------------
DROP POLICY IF EXISTS "DailyMood_select_own" ON public."DailyMood";
CREATE POLICY "DailyMood_select_own" ON public."DailyMood"
    FOR SELECT TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "DailyMood_insert_own" ON public."DailyMood";
CREATE POLICY "DailyMood_insert_own" ON public."DailyMood"
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "DailyMood_update_own" ON public."DailyMood";
CREATE POLICY "DailyMood_update_own" ON public."DailyMood"
    FOR UPDATE TO authenticated
    USING (auth.uid()::text = "userId")
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "DailyMood_delete_own" ON public."DailyMood";
CREATE POLICY "DailyMood_delete_own" ON public."DailyMood"
    FOR DELETE TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "DailyMood_service_role" ON public."DailyMood";
CREATE POLICY "DailyMood_service_role" ON public."DailyMood"
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- JournalEntry ------------------------------------------------------------------------------
DROP POLICY IF EXISTS "JournalEntry_select_own" ON public."JournalEntry";
CREATE POLICY "JournalEntry_select_own" ON public."JournalEntry"
    FOR SELECT TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "JournalEntry_insert_own" ON public."JournalEntry";
CREATE POLICY "JournalEntry_insert_own" ON public."JournalEntry"
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "JournalEntry_update_own" ON public."JournalEntry";
CREATE POLICY "JournalEntry_update_own" ON public."JournalEntry"
    FOR UPDATE TO authenticated
    USING (auth.uid()::text = "userId")
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "JournalEntry_delete_own" ON public."JournalEntry";
CREATE POLICY "JournalEntry_delete_own" ON public."JournalEntry"
    FOR DELETE TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "JournalEntry_service_role" ON public."JournalEntry";
CREATE POLICY "JournalEntry_service_role" ON public."JournalEntry"
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- UserMemory --------------------------------------------------------------------------------
DROP POLICY IF EXISTS "UserMemory_select_own" ON public."UserMemory";
CREATE POLICY "UserMemory_select_own" ON public."UserMemory"
    FOR SELECT TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "UserMemory_insert_own" ON public."UserMemory";
CREATE POLICY "UserMemory_insert_own" ON public."UserMemory"
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "UserMemory_update_own" ON public."UserMemory";
CREATE POLICY "UserMemory_update_own" ON public."UserMemory"
    FOR UPDATE TO authenticated
    USING (auth.uid()::text = "userId")
    WITH CHECK (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "UserMemory_delete_own" ON public."UserMemory";
CREATE POLICY "UserMemory_delete_own" ON public."UserMemory"
    FOR DELETE TO authenticated
    USING (auth.uid()::text = "userId");

DROP POLICY IF EXISTS "UserMemory_service_role" ON public."UserMemory";
CREATE POLICY "UserMemory_service_role" ON public."UserMemory"
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- InsightRun: append-only, no UPDATE policy -------------------------------------------------
DROP POLICY IF EXISTS "InsightRun_select_own" ON public."InsightRun";
CREATE POLICY "InsightRun_select_own" ON public."InsightRun"
    FOR SELECT TO authenticated
    USING (auth.uid()::text = user_id);

DROP POLICY IF EXISTS "InsightRun_insert_own" ON public."InsightRun";
CREATE POLICY "InsightRun_insert_own" ON public."InsightRun"
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid()::text = user_id);

DROP POLICY IF EXISTS "InsightRun_delete_own" ON public."InsightRun";
CREATE POLICY "InsightRun_delete_own" ON public."InsightRun"
    FOR DELETE TO authenticated
    USING (auth.uid()::text = user_id);

DROP POLICY IF EXISTS "InsightRun_service_role" ON public."InsightRun";
CREATE POLICY "InsightRun_service_role" ON public."InsightRun"
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');

-- ---------------------------------------------------------------------------------------------
-- 2. profiles
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.profiles (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    plan          text NOT NULL DEFAULT 'free',
    voice_enabled boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT profiles_user_id_key UNIQUE (user_id),     -- also the index on user_id
    CONSTRAINT profiles_plan_check CHECK (plan IN ('free', 'pro'))
);

CREATE INDEX IF NOT EXISTS idx_profiles_plan ON public.profiles (plan);

CREATE OR REPLACE FUNCTION public.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS profiles_set_updated_at ON public.profiles;
CREATE TRIGGER profiles_set_updated_at
    BEFORE UPDATE ON public.profiles
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- The plan is billing state: API users (anon/authenticated) always start on 'free' and cannot
-- change it; service_role (Stripe webhook) and the database owner can.
CREATE OR REPLACE FUNCTION public.profiles_protect_plan()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF current_user IN ('anon', 'authenticated') THEN
        IF TG_OP = 'INSERT' THEN
            NEW.plan := 'free';
        ELSIF NEW.plan IS DISTINCT FROM OLD.plan THEN
            RAISE EXCEPTION 'profiles.plan is managed by billing and cannot be changed by the user'
                USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS profiles_protect_plan ON public.profiles;
CREATE TRIGGER profiles_protect_plan
    BEFORE INSERT OR UPDATE ON public.profiles
    FOR EACH ROW EXECUTE FUNCTION public.profiles_protect_plan();

ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "profiles_select_own" ON public.profiles;
CREATE POLICY "profiles_select_own" ON public.profiles
    FOR SELECT TO authenticated
    USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "profiles_insert_own" ON public.profiles;
CREATE POLICY "profiles_insert_own" ON public.profiles
    FOR INSERT TO authenticated
    WITH CHECK (auth.uid() = user_id);

DROP POLICY IF EXISTS "profiles_update_own" ON public.profiles;
CREATE POLICY "profiles_update_own" ON public.profiles
    FOR UPDATE TO authenticated
    USING (auth.uid() = user_id)
    WITH CHECK (auth.uid() = user_id);

DROP POLICY IF EXISTS "profiles_delete_own" ON public.profiles;
CREATE POLICY "profiles_delete_own" ON public.profiles
    FOR DELETE TO authenticated
    USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "profiles_service_role" ON public.profiles;
CREATE POLICY "profiles_service_role" ON public.profiles
    USING ((NULLIF(current_setting('request.jwt.claims', true), '')::json ->> 'role') = 'service_role');
