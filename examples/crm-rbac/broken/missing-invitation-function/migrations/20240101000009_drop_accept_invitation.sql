-- 20240101000009_drop_accept_invitation.sql
-- BROKEN VARIANT (missing-invitation-function): drops accept_invitation(code), so invitation
-- codes can no longer be validated before sign-up. Must FAIL the function-existence check
-- (the other three invitation functions remain).

drop function if exists public.accept_invitation(text);
