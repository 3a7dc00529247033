-- =============================================================================
-- BROKEN VARIANT (plain-view): recreates chat_session_stats WITHOUT
-- security_invoker. A plain view runs with its owner's privileges, and the
-- owner is not subject to the tables' RLS, so every authenticated user sees
-- the statistics rows of every other user's chat sessions through it.
-- Same columns as the original; only the view option differs.
-- =============================================================================
drop view public.chat_session_stats;

create view public.chat_session_stats
as
select
  s.id                                                    as session_id,
  s.session_number,
  s.user_id,
  s.assigned_agent_id,
  s.status,
  s.priority,
  s.security_flagged,
  s.rating,
  s.started_at,
  s.ended_at,
  s.last_message_at,
  count(m.id)                                             as message_count,
  count(m.id) filter (where m.sender_type = 'user')       as user_message_count,
  count(m.id) filter (where m.sender_type = 'agent')      as agent_message_count,
  min(m.created_at) filter (where m.sender_type = 'agent') as first_agent_response_at,
  round(extract(epoch from (coalesce(s.ended_at, now()) - s.started_at)) / 60.0, 1)
                                                          as duration_minutes
from public.chat_sessions s
left join public.chat_messages m on m.session_id = s.id
group by s.id;

-- Same privileges as the original view (default privileges re-grant to anon).
revoke all on public.chat_session_stats from anon;
