-- =============================================================================
-- 20251204000001_add_missing_activity_policy.sql
--
-- Seed 000 fix: adds the 11th RLS policy, the INSERT policy on
-- chat_session_activity that 20251204000000_live_chat_support_system.sql
-- left out. Policy body exactly as the seed document shows it; "to
-- authenticated" is added so that all 11 chat policies apply to the same role
-- (anon has no privileges on the chat tables anyway).
--
-- Afterwards: chat_sessions 5 + chat_messages 3 + chat_session_activity 3
-- = 11 policies.
-- =============================================================================

-- Add missing INSERT policy for chat_session_activity
CREATE POLICY "System can log chat activity"
ON public.chat_session_activity FOR INSERT
TO authenticated
WITH CHECK (
    -- Allow if user is the actor (self-logging)
    auth.uid() = actor_id
    OR
    -- Allow if user is admin/support_agent
    EXISTS (
        SELECT 1 FROM public.user_roles
        WHERE user_id = auth.uid() AND role IN ('admin', 'support_agent')
    )
);
