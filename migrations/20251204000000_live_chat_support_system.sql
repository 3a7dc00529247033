-- =============================================================================
-- 20251204000000_live_chat_support_system.sql
--
-- Live chat support system (seed 000): chat sessions between users and support
-- agents, their messages, and an append-only activity log.
--
-- This is the ORIGINAL version described by seed 000, i.e. WITH THE BUG: it
-- creates 10 of the 11 expected RLS policies. The INSERT policy
-- "System can log chat activity" on chat_session_activity is missing; it is
-- added by 20251204000001_add_missing_activity_policy.sql.
--
-- Requires a Supabase database (or deskctl's Supabase preset): auth.users,
-- auth.uid(), and the anon / authenticated / service_role roles.
--
-- Objects (schema public):
--   tables     user_roles, chat_sessions, chat_messages, chat_session_activity
--   sequence   chat_session_seq                  (session numbers CHAT-000001)
--   views      chat_session_stats, security_flagged_chat_sessions
--              (both security_invoker = true, so they obey the callers' RLS)
--   functions  generate_chat_session_number()   trigger: assigns session_number
--              update_chat_updated_at()         trigger: maintains updated_at
--              protect_chat_session_fields()    trigger: staff-only columns
--              log_chat_session_change()        trigger: logs session changes
--              handle_new_chat_message()        trigger: logs messages, bumps session
--              log_chat_activity(uuid, text, text, jsonb)  SECURITY DEFINER API
--   policies   chat_sessions 5, chat_messages 3, chat_session_activity 2 (+1 later)
--              user_roles 1 ("Users can view own roles")
-- =============================================================================

-- -----------------------------------------------------------------------------
-- user_roles
-- Seed 000 does not create this table, but every staff policy it shows reads
-- public.user_roles (user_id, role in 'admin' / 'support_agent'), so the
-- system implies it. Created only if missing, so it can be shared with other
-- systems that use the same convention.
-- -----------------------------------------------------------------------------
create table if not exists public.user_roles (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references auth.users (id) on delete cascade,
  role       text not null check (role in ('admin', 'support_agent', 'user')),
  created_at timestamptz not null default now(),
  unique (user_id, role)
);

create index if not exists idx_user_roles_user_id on public.user_roles (user_id);

-- Staff policies below run "exists (select 1 from user_roles where user_id =
-- auth.uid() ...)" as the calling user, so a user must be able to read their
-- own role rows -- and nothing else. Nobody but the owner / service_role may
-- write roles (no write policies, and no write privileges).
alter table public.user_roles enable row level security;

drop policy if exists "Users can view own roles" on public.user_roles;
create policy "Users can view own roles"
  on public.user_roles for select
  to authenticated
  using (user_id = auth.uid());

revoke all on public.user_roles from anon;
revoke all on public.user_roles from authenticated;
grant select on public.user_roles to authenticated;

-- -----------------------------------------------------------------------------
-- Sequence for human-readable session numbers
-- -----------------------------------------------------------------------------
create sequence public.chat_session_seq start with 1 increment by 1;

-- -----------------------------------------------------------------------------
-- chat_sessions
-- -----------------------------------------------------------------------------
create table public.chat_sessions (
  id                   uuid primary key default gen_random_uuid(),
  session_number       text not null unique,            -- 'CHAT-000001', set by trigger
  user_id              uuid not null default auth.uid()
                         references auth.users (id) on delete cascade,
  assigned_agent_id    uuid references auth.users (id) on delete set null,
  subject              text check (char_length(subject) <= 200),
  status               text not null default 'waiting'
                         check (status in ('waiting', 'active', 'closed', 'abandoned')),
  priority             text not null default 'normal'
                         check (priority in ('low', 'normal', 'high', 'urgent')),
  security_flagged     boolean not null default false,
  security_flag_reason text,
  flagged_at           timestamptz,
  rating               smallint check (rating between 1 and 5),
  feedback             text,
  ip_address           inet,
  user_agent           text,
  metadata             jsonb not null default '{}'::jsonb,
  started_at           timestamptz not null default now(),
  ended_at             timestamptz,
  last_message_at      timestamptz,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);

create index idx_chat_sessions_user_id        on public.chat_sessions (user_id);
create index idx_chat_sessions_assigned_agent on public.chat_sessions (assigned_agent_id);
create index idx_chat_sessions_status         on public.chat_sessions (status);
create index idx_chat_sessions_created_at     on public.chat_sessions (created_at desc);
create index idx_chat_sessions_flagged        on public.chat_sessions (flagged_at desc)
  where security_flagged;

-- -----------------------------------------------------------------------------
-- chat_messages
-- -----------------------------------------------------------------------------
create table public.chat_messages (
  id          uuid primary key default gen_random_uuid(),
  session_id  uuid not null references public.chat_sessions (id) on delete cascade,
  sender_id   uuid default auth.uid() references auth.users (id) on delete set null,
  sender_type text not null default 'user'
                check (sender_type in ('user', 'agent', 'system')),
  message     text not null check (char_length(message) between 1 and 10000),
  attachments jsonb not null default '[]'::jsonb,
  read_at     timestamptz,
  created_at  timestamptz not null default now()
);

create index idx_chat_messages_session_created on public.chat_messages (session_id, created_at);
create index idx_chat_messages_sender_id       on public.chat_messages (sender_id);

-- -----------------------------------------------------------------------------
-- chat_session_activity (append-only audit trail: no UPDATE / DELETE policies)
-- -----------------------------------------------------------------------------
create table public.chat_session_activity (
  id            uuid primary key default gen_random_uuid(),
  session_id    uuid not null references public.chat_sessions (id) on delete cascade,
  actor_id      uuid references auth.users (id) on delete set null,
  activity_type text not null check (activity_type in (
                  'session_created', 'status_changed', 'agent_assigned',
                  'agent_unassigned', 'message_sent', 'session_closed',
                  'session_rated', 'security_flagged', 'security_cleared', 'note')),
  description   text,
  metadata      jsonb not null default '{}'::jsonb,
  created_at    timestamptz not null default clock_timestamp()  -- orders events within a transaction
);

create index idx_chat_session_activity_session on public.chat_session_activity (session_id, created_at desc);
create index idx_chat_session_activity_actor   on public.chat_session_activity (actor_id);

-- -----------------------------------------------------------------------------
-- Trigger functions
-- -----------------------------------------------------------------------------

-- Assigns 'CHAT-000001', 'CHAT-000002', ... from chat_session_seq. Always
-- overrides a client-supplied value so numbers cannot be forged.
create function public.generate_chat_session_number()
returns trigger
language plpgsql
set search_path = public
as $$
begin
  new.session_number := 'CHAT-' || lpad(nextval('public.chat_session_seq')::text, 6, '0');
  return new;
end
$$;

create function public.update_chat_updated_at()
returns trigger
language plpgsql
set search_path = public
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- "Users can update own chat sessions" lets a user update their own row; this
-- trigger keeps the staff-only columns (assignment, security flag, identity,
-- audit fields) out of their reach. Staff (admin / support_agent) and
-- privileged roles (owner, service_role, SECURITY DEFINER code) are unaffected.
create function public.protect_chat_session_fields()
returns trigger
language plpgsql
set search_path = public
as $$
begin
  if current_user not in ('anon', 'authenticated') then
    return new;
  end if;
  if exists (select 1 from public.user_roles
             where user_id = auth.uid() and role in ('admin', 'support_agent')) then
    return new;
  end if;

  if tg_op = 'INSERT' then
    if new.assigned_agent_id is not null or new.security_flagged
       or new.security_flag_reason is not null or new.flagged_at is not null then
      raise exception 'only support staff can assign or flag a chat session'
        using errcode = '42501';
    end if;
  elsif new.user_id           is distinct from old.user_id
     or new.session_number    is distinct from old.session_number
     or new.assigned_agent_id is distinct from old.assigned_agent_id
     or new.security_flagged  is distinct from old.security_flagged
     or new.security_flag_reason is distinct from old.security_flag_reason
     or new.flagged_at        is distinct from old.flagged_at
     or new.ip_address        is distinct from old.ip_address
     or new.user_agent        is distinct from old.user_agent
     or new.started_at        is distinct from old.started_at
     or new.created_at        is distinct from old.created_at then
    raise exception 'only support staff can change these chat session fields'
      using errcode = '42501';
  end if;
  return new;
end
$$;

-- Writes the activity trail for session creation and for changes of status,
-- assignment, security flag and rating. SECURITY DEFINER: the log is written
-- whatever the caller's policies on chat_session_activity are.
create function public.log_chat_session_change()
returns trigger
language plpgsql
security definer
set search_path = public
as $$
declare
  v_actor uuid := auth.uid();
begin
  if tg_op = 'INSERT' then
    insert into public.chat_session_activity (session_id, actor_id, activity_type, description)
    values (new.id, v_actor, 'session_created', 'Chat session ' || new.session_number || ' created');
    return null;
  end if;

  if new.status is distinct from old.status then
    insert into public.chat_session_activity (session_id, actor_id, activity_type, description, metadata)
    values (new.id, v_actor,
            case when new.status = 'closed' then 'session_closed' else 'status_changed' end,
            'Status changed from ' || old.status || ' to ' || new.status,
            jsonb_build_object('old_status', old.status, 'new_status', new.status));
  end if;

  if new.assigned_agent_id is distinct from old.assigned_agent_id then
    insert into public.chat_session_activity (session_id, actor_id, activity_type, description, metadata)
    values (new.id, v_actor,
            case when new.assigned_agent_id is null then 'agent_unassigned' else 'agent_assigned' end,
            case when new.assigned_agent_id is null then 'Agent unassigned' else 'Agent assigned' end,
            jsonb_build_object('old_agent_id', old.assigned_agent_id, 'new_agent_id', new.assigned_agent_id));
  end if;

  if new.security_flagged is distinct from old.security_flagged then
    insert into public.chat_session_activity (session_id, actor_id, activity_type, description)
    values (new.id, v_actor,
            case when new.security_flagged then 'security_flagged' else 'security_cleared' end,
            coalesce(new.security_flag_reason,
                     case when new.security_flagged then 'Session flagged' else 'Flag cleared' end));
  end if;

  if new.rating is distinct from old.rating and new.rating is not null then
    insert into public.chat_session_activity (session_id, actor_id, activity_type, description, metadata)
    values (new.id, v_actor, 'session_rated', 'Session rated ' || new.rating,
            jsonb_build_object('rating', new.rating));
  end if;

  return null;
end
$$;

-- After a message is inserted: bump the session's last_message_at and log it.
create function public.handle_new_chat_message()
returns trigger
language plpgsql
security definer
set search_path = public
as $$
begin
  update public.chat_sessions
     set last_message_at = new.created_at
   where id = new.session_id;

  insert into public.chat_session_activity (session_id, actor_id, activity_type, description, metadata)
  values (new.session_id, new.sender_id, 'message_sent',
          'Message sent by ' || new.sender_type,
          jsonb_build_object('message_id', new.id, 'sender_type', new.sender_type));
  return null;
end
$$;

-- -----------------------------------------------------------------------------
-- log_chat_activity(): the API for writing the activity log from the client.
-- SECURITY DEFINER (bypasses RLS on chat_session_activity), so it checks by
-- itself that the caller owns the session or is support staff.
-- -----------------------------------------------------------------------------
create function public.log_chat_activity(
  p_session_id    uuid,
  p_activity_type text,
  p_description   text default null,
  p_metadata      jsonb default '{}'::jsonb
)
returns uuid
language plpgsql
security definer
set search_path = public
as $$
declare
  v_actor uuid := auth.uid();
  v_id    uuid;
begin
  if v_actor is null then
    raise exception 'log_chat_activity requires an authenticated user' using errcode = '42501';
  end if;

  if not exists (select 1 from public.chat_sessions s
                 where s.id = p_session_id and s.user_id = v_actor)
     and not exists (select 1 from public.user_roles r
                     where r.user_id = v_actor and r.role in ('admin', 'support_agent')) then
    raise exception 'not allowed to log activity for chat session %', p_session_id
      using errcode = '42501';
  end if;

  insert into public.chat_session_activity (session_id, actor_id, activity_type, description, metadata)
  values (p_session_id, v_actor, p_activity_type, p_description, coalesce(p_metadata, '{}'::jsonb))
  returning id into v_id;

  return v_id;
end
$$;

revoke execute on function public.log_chat_activity(uuid, text, text, jsonb) from public, anon;
grant execute on function public.log_chat_activity(uuid, text, text, jsonb) to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Triggers
-- -----------------------------------------------------------------------------
create trigger set_chat_session_number
  before insert on public.chat_sessions
  for each row execute function public.generate_chat_session_number();

create trigger protect_chat_session_fields
  before insert or update on public.chat_sessions
  for each row execute function public.protect_chat_session_fields();

create trigger update_chat_sessions_updated_at
  before update on public.chat_sessions
  for each row execute function public.update_chat_updated_at();

create trigger log_chat_session_changes
  after insert or update on public.chat_sessions
  for each row execute function public.log_chat_session_change();

create trigger on_chat_message_created
  after insert on public.chat_messages
  for each row execute function public.handle_new_chat_message();

-- -----------------------------------------------------------------------------
-- Row level security
-- -----------------------------------------------------------------------------
alter table public.chat_sessions         enable row level security;
alter table public.chat_messages         enable row level security;
alter table public.chat_session_activity enable row level security;

-- chat_sessions (5 policies) ------------------------------------------------
create policy "Users can view own chat sessions"
  on public.chat_sessions for select
  to authenticated
  using (auth.uid() = user_id);

create policy "Admins and agents can view all chat sessions"
  on public.chat_sessions for select
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')));

create policy "Users can create chat sessions"
  on public.chat_sessions for insert
  to authenticated
  with check (auth.uid() = user_id);

create policy "Users can update own chat sessions"
  on public.chat_sessions for update
  to authenticated
  using (auth.uid() = user_id)
  with check (auth.uid() = user_id);

create policy "Admins can update any chat session"
  on public.chat_sessions for update
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')))
  with check (exists (select 1 from public.user_roles
                      where user_id = auth.uid() and role in ('admin', 'support_agent')));

-- chat_messages (3 policies) ------------------------------------------------
create policy "Users can view messages in own sessions"
  on public.chat_messages for select
  to authenticated
  using (exists (select 1 from public.chat_sessions s
                 where s.id = chat_messages.session_id and s.user_id = auth.uid()));

create policy "Admins can view all messages"
  on public.chat_messages for select
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')));

-- A user writes as 'user' into their own sessions; support staff (who have no
-- separate INSERT policy among the 11) write as 'agent' into any session.
create policy "Users can create messages in own sessions"
  on public.chat_messages for insert
  to authenticated
  with check (
    sender_id = auth.uid()
    and (
      (sender_type = 'user'
       and exists (select 1 from public.chat_sessions s
                   where s.id = chat_messages.session_id and s.user_id = auth.uid()))
      or
      (sender_type = 'agent'
       and exists (select 1 from public.user_roles
                   where user_id = auth.uid() and role in ('admin', 'support_agent')))
    )
  );

-- chat_session_activity (2 policies here; the INSERT policy is missing) -----
create policy "Users can view activity in own sessions"
  on public.chat_session_activity for select
  to authenticated
  using (exists (select 1 from public.chat_sessions s
                 where s.id = chat_session_activity.session_id and s.user_id = auth.uid()));

create policy "Admins can view all activity"
  on public.chat_session_activity for select
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')));

-- -----------------------------------------------------------------------------
-- Views (security_invoker = true: they apply the caller's RLS, not the owner's)
-- -----------------------------------------------------------------------------

-- One row per chat session the caller may see, with message statistics.
create view public.chat_session_stats
with (security_invoker = true)
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

-- Sessions flagged for security review.
create view public.security_flagged_chat_sessions
with (security_invoker = true)
as
select
  s.id          as session_id,
  s.session_number,
  s.user_id,
  s.assigned_agent_id,
  s.status,
  s.security_flag_reason,
  s.flagged_at,
  s.ip_address,
  s.user_agent,
  s.created_at,
  (select count(*) from public.chat_messages m where m.session_id = s.id) as message_count
from public.chat_sessions s
where s.security_flagged;

-- -----------------------------------------------------------------------------
-- Privileges. Supabase's default privileges give anon and authenticated ALL on
-- new tables, views and sequences in public; RLS restricts the rows. anon has
-- no business in chat at all, and TRUNCATE (which RLS does not cover) is taken
-- away from authenticated.
-- -----------------------------------------------------------------------------
revoke all on public.chat_sessions, public.chat_messages, public.chat_session_activity from anon;
revoke all on public.chat_session_stats, public.security_flagged_chat_sessions from anon;
revoke all on sequence public.chat_session_seq from anon;
revoke truncate on public.chat_sessions, public.chat_messages, public.chat_session_activity
  from authenticated;
