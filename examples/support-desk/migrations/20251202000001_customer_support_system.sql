-- =============================================================================
-- 20251202000001_customer_support_system.sql
--
-- Customer support ticketing system (seed 004): tickets with chat-style
-- messages (customer / admin / system, with admin-only internal notes) and an
-- immutable activity log (ISO 27001 style audit trail), role-based RLS through
-- public.user_roles, SECURITY DEFINER helper functions, retention functions
-- and a reporting view.
--
-- Requires a Supabase database (or deskctl's Supabase preset): auth.users,
-- auth.uid(), the anon / authenticated / service_role roles.
--
-- Objects (schema public):
--   tables     user_roles (if missing), support_tickets, support_messages,
--              support_ticket_activity
--   sequence   support_ticket_seq                   (ticket numbers TKT-000001)
--   view       support_ticket_stats                 (security_invoker = true)
--   functions  generate_ticket_number()             next 'TKT-nnnnnn'
--              set_ticket_number()                  trigger set_ticket_number
--              current_request_ip()                 client IP from request.headers
--              protect_ticket_fields()              trigger: customers' column limits
--              update_ticket_timestamps()           trigger: updated_at/resolved_at/...
--              log_ticket_changes()                 trigger: audit of ticket changes
--              log_support_message()                trigger: audit of messages/notes
--              prevent_ticket_activity_changes()    trigger: activity log immutable
--              log_ticket_activity(7 args)          SECURITY DEFINER API
--              update_ticket_status(uuid,text,uuid) SECURITY DEFINER API
--              assign_ticket(uuid,uuid,uuid)        SECURITY DEFINER API
--              archive_old_tickets()                retention (service_role)
--              delete_old_archived_tickets()        retention (service_role)
--
-- Who is "staff": a row in public.user_roles with role 'admin' or
-- 'support_agent'. "Trusted" callers (the owner, service_role, cron jobs,
-- i.e. anything that is not running as anon / authenticated) are not limited
-- by the customer rules in the functions and triggers below.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- user_roles (named by the seed: "Role-based access using user_roles table").
-- Created only if missing so it can be shared with other systems.
-- -----------------------------------------------------------------------------
create table if not exists public.user_roles (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references auth.users (id) on delete cascade,
  role       text not null check (role in ('admin', 'support_agent', 'user')),
  created_at timestamptz not null default now(),
  unique (user_id, role)
);

create index if not exists idx_user_roles_user_id on public.user_roles (user_id);

-- Policies below run "exists (select 1 from user_roles where user_id =
-- auth.uid() ...)" as the caller: a user may read their own role rows, and
-- only the owner / service_role may write any.
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
-- Ticket number sequence
-- -----------------------------------------------------------------------------
create sequence public.support_ticket_seq start with 1 increment by 1;

-- -----------------------------------------------------------------------------
-- Client IP of the current API request (PostgREST puts the request headers in
-- request.headers). Used as a column default so every audit row captures it.
-- -----------------------------------------------------------------------------
create function public.current_request_ip()
returns inet
language plpgsql
stable
set search_path = public
as $$
declare
  v_headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
  v_ip text;
begin
  v_ip := trim(split_part(coalesce(v_headers ->> 'cf-connecting-ip',
                                   v_headers ->> 'x-forwarded-for',
                                   v_headers ->> 'x-real-ip'), ',', 1));
  return nullif(v_ip, '')::inet;
exception when others then
  return null;
end
$$;

-- -----------------------------------------------------------------------------
-- support_tickets
-- -----------------------------------------------------------------------------
create table public.support_tickets (
  id                uuid primary key default gen_random_uuid(),
  ticket_number     text not null unique,          -- 'TKT-000001', set by trigger
  user_id           uuid not null default auth.uid()
                      references auth.users (id) on delete cascade,
  subject           text not null check (char_length(subject) between 1 and 200),
  description       text not null check (char_length(description) between 1 and 10000),
  category          text not null default 'general'
                      check (category in ('technical', 'billing', 'account', 'feature_request',
                                          'bug_report', 'general', 'security', 'compliance')),
  priority          text not null default 'medium'
                      check (priority in ('low', 'medium', 'high', 'urgent')),
  status            text not null default 'open'
                      check (status in ('open', 'in_progress', 'resolved', 'closed')),
  assigned_to       uuid references auth.users (id) on delete set null,
  customer_rating   smallint check (customer_rating between 1 and 5),
  customer_feedback text,
  ip_address        inet default public.current_request_ip(),
  user_agent        text default (nullif(current_setting('request.headers', true), '')::jsonb ->> 'user-agent'),
  metadata          jsonb not null default '{}'::jsonb,
  archived          boolean not null default false,
  archived_at       timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  last_activity_at  timestamptz not null default now(),
  resolved_at       timestamptz,
  closed_at         timestamptz,
  check (archived = (archived_at is not null))
);

-- support_tickets indexes (8 total)
create index idx_support_tickets_user_id       on public.support_tickets (user_id);
create index idx_support_tickets_status        on public.support_tickets (status);
create index idx_support_tickets_category      on public.support_tickets (category);
create index idx_support_tickets_priority      on public.support_tickets (priority);
create index idx_support_tickets_assigned_to   on public.support_tickets (assigned_to);
create index idx_support_tickets_created_at    on public.support_tickets (created_at desc);
create index idx_support_tickets_ticket_number on public.support_tickets (ticket_number);
create index idx_support_tickets_last_activity on public.support_tickets (last_activity_at desc);

-- -----------------------------------------------------------------------------
-- support_messages
-- -----------------------------------------------------------------------------
create table public.support_messages (
  id          uuid primary key default gen_random_uuid(),
  ticket_id   uuid not null references public.support_tickets (id) on delete cascade,
  sender_id   uuid default auth.uid() references auth.users (id) on delete set null,
  sender_type text not null default 'customer'
                check (sender_type in ('customer', 'admin', 'system')),
  message     text not null check (char_length(message) between 1 and 10000),
  is_internal boolean not null default false,   -- internal note: staff only
  attachments jsonb not null default '[]'::jsonb check (jsonb_typeof(attachments) = 'array'),
  read_at     timestamptz,
  edited_at   timestamptz,
  created_at  timestamptz not null default now(),
  check (not is_internal or sender_type <> 'customer')
);

-- support_messages indexes (4 total)
create index idx_support_messages_ticket_id  on public.support_messages (ticket_id);
create index idx_support_messages_sender_id  on public.support_messages (sender_id);
create index idx_support_messages_created_at on public.support_messages (created_at asc);
create index idx_support_messages_internal   on public.support_messages (is_internal);

-- -----------------------------------------------------------------------------
-- support_ticket_activity: the audit log. Append-only: no UPDATE / DELETE
-- policies, and triggers reject UPDATE, DELETE and TRUNCATE for everyone,
-- owner and service_role included. actor_id deliberately has no foreign key:
-- the log keeps the actor's id after the user is deleted.
-- -----------------------------------------------------------------------------
create table public.support_ticket_activity (
  id            uuid primary key default gen_random_uuid(),
  ticket_id     uuid not null references public.support_tickets (id) on delete cascade,
  activity_type text not null
                  check (activity_type in ('created', 'status_changed', 'assigned', 'unassigned',
                                           'message_added', 'note_added', 'priority_changed',
                                           'category_changed', 'resolved', 'closed', 'reopened',
                                           'escalated', 'rated')),
  actor_id      uuid,
  actor_type    text not null check (actor_type in ('customer', 'admin', 'system')),
  old_value     text,
  new_value     text,
  description   text,
  ip_address    inet default public.current_request_ip(),
  user_agent    text default (nullif(current_setting('request.headers', true), '')::jsonb ->> 'user-agent'),
  created_at    timestamptz not null default clock_timestamp()  -- orders events within a transaction
);

-- support_ticket_activity indexes (3 total)
create index idx_support_ticket_activity_ticket_id  on public.support_ticket_activity (ticket_id);
create index idx_support_ticket_activity_created_at on public.support_ticket_activity (created_at desc);
create index idx_support_ticket_activity_actor_id   on public.support_ticket_activity (actor_id);

-- -----------------------------------------------------------------------------
-- Ticket numbers
-- -----------------------------------------------------------------------------
create function public.generate_ticket_number()
returns text
language sql
volatile
set search_path = public
as $$
  select 'TKT-' || lpad(nextval('public.support_ticket_seq')::text, 6, '0')
$$;

create function public.set_ticket_number()
returns trigger
language plpgsql
set search_path = public
as $$
begin
  if new.ticket_number is null or new.ticket_number = '' then
    new.ticket_number := public.generate_ticket_number();
  end if;
  return new;
end
$$;

create trigger set_ticket_number
  before insert on public.support_tickets
  for each row execute function public.set_ticket_number();

-- -----------------------------------------------------------------------------
-- Customers' limits on their own tickets. The RLS policies decide WHICH rows
-- a customer may insert/update; this trigger decides WHAT they may write:
--   insert: workflow fields are reset (status open, unassigned, unarchived);
--   update: only customer_rating, customer_feedback and status (close the
--           ticket, or reopen a resolved/closed one), never on archived tickets.
-- Staff and trusted callers are not limited.
-- -----------------------------------------------------------------------------
create function public.protect_ticket_fields()
returns trigger
language plpgsql
set search_path = public
as $$
declare
  c_customer_columns constant text[] :=
    array['customer_rating', 'customer_feedback', 'status', 'updated_at', 'last_activity_at'];
begin
  if current_user not in ('anon', 'authenticated') then
    return new;
  end if;
  if exists (select 1 from public.user_roles
             where user_id = auth.uid() and role in ('admin', 'support_agent')) then
    return new;
  end if;

  if tg_op = 'INSERT' then
    new.status           := 'open';
    new.assigned_to      := null;
    new.customer_rating  := null;
    new.archived         := false;
    new.archived_at      := null;
    new.resolved_at      := null;
    new.closed_at        := null;
    new.created_at       := now();
    new.updated_at       := now();
    new.last_activity_at := now();
    new.ticket_number    := null;      -- always generated
    return new;
  end if;

  if old.archived then
    raise exception 'ticket % is archived', old.ticket_number using errcode = '42501';
  end if;
  if (to_jsonb(new) - c_customer_columns) is distinct from (to_jsonb(old) - c_customer_columns) then
    raise exception 'customers may only rate, comment on, close or reopen their tickets'
      using errcode = '42501';
  end if;
  if new.status is distinct from old.status
     and not (new.status = 'closed'
              or (new.status = 'open' and old.status in ('resolved', 'closed'))) then
    raise exception 'customers may only close or reopen their tickets' using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger protect_ticket_fields
  before insert or update on public.support_tickets
  for each row execute function public.protect_ticket_fields();

create function public.update_ticket_timestamps()
returns trigger
language plpgsql
set search_path = public
as $$
begin
  new.updated_at := now();
  if new.status is distinct from old.status then
    new.last_activity_at := now();
    if new.status = 'resolved' then
      new.resolved_at := coalesce(new.resolved_at, now());
    elsif new.status = 'closed' then
      new.closed_at := coalesce(new.closed_at, now());
    elsif new.status in ('open', 'in_progress') then
      new.resolved_at := null;
      new.closed_at   := null;
    end if;
  end if;
  if new.assigned_to is distinct from old.assigned_to
     or new.priority is distinct from old.priority
     or new.category is distinct from old.category
     or new.customer_rating is distinct from old.customer_rating then
    new.last_activity_at := now();
  end if;
  return new;
end
$$;

create trigger update_ticket_timestamps
  before update on public.support_tickets
  for each row execute function public.update_ticket_timestamps();

-- -----------------------------------------------------------------------------
-- Automatic audit logging (SECURITY DEFINER: the log has no INSERT policy).
-- The actor is the calling user (auth.uid()); trusted callers without a JWT
-- (service_role, cron) may name one through the transaction-local setting
-- support.actor_id, which the helper functions below set.
-- -----------------------------------------------------------------------------
create function public.log_ticket_changes()
returns trigger
language plpgsql
security definer
set search_path = public
as $$
declare
  v_actor uuid := coalesce(auth.uid(), nullif(current_setting('support.actor_id', true), '')::uuid);
  v_actor_type text;
  v_type text;
begin
  v_actor_type := case
    when v_actor is null then 'system'
    when exists (select 1 from public.user_roles
                 where user_id = v_actor and role in ('admin', 'support_agent')) then 'admin'
    else 'customer'
  end;

  if tg_op = 'INSERT' then
    insert into public.support_ticket_activity
      (ticket_id, activity_type, actor_id, actor_type, new_value, description)
    values (new.id, 'created', coalesce(v_actor, new.user_id),
            case when v_actor is null then 'customer' else v_actor_type end,
            new.status, 'Ticket ' || new.ticket_number || ' created');
    return null;
  end if;

  if new.status is distinct from old.status then
    v_type := case
      when new.status = 'resolved' then 'resolved'
      when new.status = 'closed' then 'closed'
      when old.status in ('resolved', 'closed') then 'reopened'
      else 'status_changed'
    end;
    insert into public.support_ticket_activity
      (ticket_id, activity_type, actor_id, actor_type, old_value, new_value, description)
    values (new.id, v_type, v_actor, v_actor_type, old.status, new.status,
            'Status changed from ' || old.status || ' to ' || new.status);
  end if;

  if new.assigned_to is distinct from old.assigned_to then
    insert into public.support_ticket_activity
      (ticket_id, activity_type, actor_id, actor_type, old_value, new_value, description)
    values (new.id, case when new.assigned_to is null then 'unassigned' else 'assigned' end,
            v_actor, v_actor_type, old.assigned_to::text, new.assigned_to::text,
            case when new.assigned_to is null then 'Ticket unassigned' else 'Ticket assigned' end);
  end if;

  if new.priority is distinct from old.priority then
    insert into public.support_ticket_activity
      (ticket_id, activity_type, actor_id, actor_type, old_value, new_value, description)
    values (new.id, 'priority_changed', v_actor, v_actor_type, old.priority, new.priority,
            'Priority changed from ' || old.priority || ' to ' || new.priority);
  end if;

  if new.category is distinct from old.category then
    insert into public.support_ticket_activity
      (ticket_id, activity_type, actor_id, actor_type, old_value, new_value, description)
    values (new.id, 'category_changed', v_actor, v_actor_type, old.category, new.category,
            'Category changed from ' || old.category || ' to ' || new.category);
  end if;

  if new.customer_rating is distinct from old.customer_rating and new.customer_rating is not null then
    insert into public.support_ticket_activity
      (ticket_id, activity_type, actor_id, actor_type, old_value, new_value, description)
    values (new.id, 'rated', v_actor, v_actor_type, old.customer_rating::text,
            new.customer_rating::text, 'Customer rated the ticket ' || new.customer_rating || '/5');
  end if;

  return null;
end
$$;

create trigger log_ticket_changes
  after insert or update on public.support_tickets
  for each row execute function public.log_ticket_changes();

create function public.log_support_message()
returns trigger
language plpgsql
security definer
set search_path = public
as $$
begin
  insert into public.support_ticket_activity
    (ticket_id, activity_type, actor_id, actor_type, new_value, description)
  values (new.ticket_id,
          case when new.is_internal then 'note_added' else 'message_added' end,
          new.sender_id, new.sender_type, new.id::text,
          case when new.is_internal then 'Internal note added'
               else 'Message added by ' || new.sender_type end);

  update public.support_tickets
     set last_activity_at = new.created_at
   where id = new.ticket_id;
  return null;
end
$$;

create trigger log_support_message
  after insert on public.support_messages
  for each row execute function public.log_support_message();

-- -----------------------------------------------------------------------------
-- Immutability of the audit log. DELETE is let through only for the
-- retention purge: rows removed by the ON DELETE CASCADE of a ticket deleted
-- inside delete_old_archived_tickets() (which sets support.retention_purge).
-- -----------------------------------------------------------------------------
create function public.prevent_ticket_activity_changes()
returns trigger
language plpgsql
set search_path = public
as $$
begin
  if tg_op = 'DELETE'
     and pg_trigger_depth() > 1
     and current_setting('support.retention_purge', true) = 'on' then
    return old;
  end if;
  raise exception 'support_ticket_activity is an immutable audit log: % is not allowed', tg_op
    using errcode = '42501';
end
$$;

create trigger support_ticket_activity_immutable
  before update or delete on public.support_ticket_activity
  for each row execute function public.prevent_ticket_activity_changes();

create trigger support_ticket_activity_no_truncate
  before truncate on public.support_ticket_activity
  for each statement execute function public.prevent_ticket_activity_changes();

-- -----------------------------------------------------------------------------
-- Helper functions (SECURITY DEFINER, search_path pinned).
-- For callers running as anon / authenticated, p_actor_id must be the caller
-- (auth.uid()) and the caller must own the ticket or be staff; trusted callers
-- (service_role, owner) may act for anyone.
-- -----------------------------------------------------------------------------

-- Records an activity and bumps the ticket's last_activity_at.
-- SELECT log_ticket_activity(ticket_id, 'status_changed', user_id, 'admin',
--                            'open', 'in_progress', 'Assigned to support agent');
create function public.log_ticket_activity(
  p_ticket_id     uuid,
  p_activity_type text,
  p_actor_id      uuid,
  p_actor_type    text,
  p_old_value     text default null,
  p_new_value     text default null,
  p_description   text default null
)
returns uuid
language plpgsql
security definer
set search_path = public
as $$
declare
  v_owner    uuid;
  v_is_staff boolean;
  v_id       uuid;
begin
  select user_id into v_owner from public.support_tickets where id = p_ticket_id;
  if not found then
    raise exception 'ticket % not found', p_ticket_id using errcode = 'P0002';
  end if;

  if current_setting('role') in ('anon', 'authenticated') then
    if auth.uid() is null or p_actor_id is distinct from auth.uid() then
      raise exception 'the actor must be the calling user' using errcode = '42501';
    end if;
    v_is_staff := exists (select 1 from public.user_roles
                          where user_id = p_actor_id and role in ('admin', 'support_agent'));
    if not v_is_staff and (v_owner <> p_actor_id or p_actor_type <> 'customer') then
      raise exception 'not allowed to log activity on ticket %', p_ticket_id
        using errcode = '42501';
    end if;
  end if;

  insert into public.support_ticket_activity
    (ticket_id, activity_type, actor_id, actor_type, old_value, new_value, description)
  values (p_ticket_id, p_activity_type, p_actor_id, p_actor_type, p_old_value, p_new_value,
          p_description)
  returning id into v_id;

  update public.support_tickets set last_activity_at = now() where id = p_ticket_id;
  return v_id;
end
$$;

-- Changes a ticket's status; the change is logged by trigger log_ticket_changes.
-- Staff may set any status; the ticket's customer may close it, or reopen
-- ('open') a resolved / closed ticket.
create function public.update_ticket_status(
  p_ticket_id  uuid,
  p_new_status text,
  p_actor_id   uuid
)
returns void
language plpgsql
security definer
set search_path = public
as $$
declare
  v_ticket public.support_tickets%rowtype;
begin
  if p_new_status is null
     or p_new_status not in ('open', 'in_progress', 'resolved', 'closed') then
    raise exception 'invalid ticket status: %', p_new_status using errcode = '22023';
  end if;

  select * into v_ticket from public.support_tickets where id = p_ticket_id for update;
  if not found then
    raise exception 'ticket % not found', p_ticket_id using errcode = 'P0002';
  end if;
  if v_ticket.archived then
    raise exception 'ticket % is archived', v_ticket.ticket_number using errcode = '55000';
  end if;

  if current_setting('role') in ('anon', 'authenticated') then
    if auth.uid() is null or p_actor_id is distinct from auth.uid() then
      raise exception 'the actor must be the calling user' using errcode = '42501';
    end if;
    if not exists (select 1 from public.user_roles
                   where user_id = p_actor_id and role in ('admin', 'support_agent'))
       and not (v_ticket.user_id = p_actor_id
                and (p_new_status = 'closed'
                     or (p_new_status = 'open' and v_ticket.status in ('resolved', 'closed')))) then
      raise exception 'not allowed to set ticket % to %', v_ticket.ticket_number, p_new_status
        using errcode = '42501';
    end if;
  end if;

  perform set_config('support.actor_id', coalesce(p_actor_id::text, ''), true);
  update public.support_tickets set status = p_new_status where id = p_ticket_id;
  perform set_config('support.actor_id', '', true);
end
$$;

-- Assigns a ticket to a support agent (p_agent_id null: unassign); logged by
-- trigger log_ticket_changes. Only staff may assign, and only to staff.
create function public.assign_ticket(
  p_ticket_id uuid,
  p_agent_id  uuid,
  p_admin_id  uuid
)
returns void
language plpgsql
security definer
set search_path = public
as $$
begin
  if not exists (select 1 from public.support_tickets where id = p_ticket_id) then
    raise exception 'ticket % not found', p_ticket_id using errcode = 'P0002';
  end if;

  if current_setting('role') in ('anon', 'authenticated') then
    if auth.uid() is null or p_admin_id is distinct from auth.uid() then
      raise exception 'the actor must be the calling user' using errcode = '42501';
    end if;
    if not exists (select 1 from public.user_roles
                   where user_id = p_admin_id and role in ('admin', 'support_agent')) then
      raise exception 'only support staff can assign tickets' using errcode = '42501';
    end if;
  end if;

  if p_agent_id is not null
     and not exists (select 1 from public.user_roles
                     where user_id = p_agent_id and role in ('admin', 'support_agent')) then
    raise exception 'user % is not a support agent', p_agent_id using errcode = '22023';
  end if;

  perform set_config('support.actor_id', coalesce(p_admin_id::text, ''), true);
  update public.support_tickets set assigned_to = p_agent_id where id = p_ticket_id;
  perform set_config('support.actor_id', '', true);
end
$$;

-- Retention, step 1: archive resolved / closed tickets older than 6 months.
create function public.archive_old_tickets()
returns integer
language plpgsql
security definer
set search_path = public
as $$
declare
  v_count integer;
begin
  update public.support_tickets
     set archived = true, archived_at = now()
   where not archived
     and status in ('resolved', 'closed')
     and coalesce(closed_at, resolved_at, updated_at) < now() - interval '6 months';
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

-- Retention, step 2: delete tickets archived more than 2 years ago (their
-- messages and activity rows go with them through ON DELETE CASCADE).
create function public.delete_old_archived_tickets()
returns integer
language plpgsql
security definer
set search_path = public
as $$
declare
  v_count integer;
begin
  perform set_config('support.retention_purge', 'on', true);
  delete from public.support_tickets
   where archived
     and archived_at < now() - interval '2 years';
  get diagnostics v_count = row_count;
  perform set_config('support.retention_purge', 'off', true);
  return v_count;
end
$$;

-- -----------------------------------------------------------------------------
-- Row level security
-- -----------------------------------------------------------------------------
alter table public.support_tickets         enable row level security;
alter table public.support_messages        enable row level security;
alter table public.support_ticket_activity enable row level security;

-- support_tickets -------------------------------------------------------------
create policy "Customers can view own tickets"
  on public.support_tickets for select
  to authenticated
  using (user_id = auth.uid());

create policy "Staff can view all tickets"
  on public.support_tickets for select
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')));

create policy "Customers can create own tickets"
  on public.support_tickets for insert
  to authenticated
  with check (user_id = auth.uid());

create policy "Customers can update own tickets"
  on public.support_tickets for update
  to authenticated
  using (user_id = auth.uid())
  with check (user_id = auth.uid());

create policy "Staff can update all tickets"
  on public.support_tickets for update
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')))
  with check (exists (select 1 from public.user_roles
                      where user_id = auth.uid() and role in ('admin', 'support_agent')));

-- support_messages ------------------------------------------------------------
create policy "Customers can view messages on own tickets"
  on public.support_messages for select
  to authenticated
  using (
    not is_internal
    and exists (select 1 from public.support_tickets t
                where t.id = support_messages.ticket_id and t.user_id = auth.uid())
  );

create policy "Staff can view all messages"
  on public.support_messages for select
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')));

create policy "Customers can add messages to own tickets"
  on public.support_messages for insert
  to authenticated
  with check (
    sender_id = auth.uid()
    and sender_type = 'customer'
    and not is_internal
    and exists (select 1 from public.support_tickets t
                where t.id = support_messages.ticket_id
                  and t.user_id = auth.uid()
                  and not t.archived)
  );

create policy "Staff can add messages to any ticket"
  on public.support_messages for insert
  to authenticated
  with check (
    sender_id = auth.uid()
    and sender_type = 'admin'
    and exists (select 1 from public.user_roles
                where user_id = auth.uid() and role in ('admin', 'support_agent'))
  );

create policy "Staff can update messages"
  on public.support_messages for update
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')))
  with check (exists (select 1 from public.user_roles
                      where user_id = auth.uid() and role in ('admin', 'support_agent')));

-- support_ticket_activity: read-only for users; rows are written only by the
-- SECURITY DEFINER functions and triggers above (no INSERT / UPDATE / DELETE
-- policies). Customers do not see that an internal note was added.
create policy "Customers can view activity on own tickets"
  on public.support_ticket_activity for select
  to authenticated
  using (
    activity_type <> 'note_added'
    and exists (select 1 from public.support_tickets t
                where t.id = support_ticket_activity.ticket_id and t.user_id = auth.uid())
  );

create policy "Staff can view all activity"
  on public.support_ticket_activity for select
  to authenticated
  using (exists (select 1 from public.user_roles
                 where user_id = auth.uid() and role in ('admin', 'support_agent')));

-- -----------------------------------------------------------------------------
-- Reporting view (security_invoker = true: a customer sees the statistics of
-- their own tickets, staff of all tickets). Archived tickets are excluded.
-- -----------------------------------------------------------------------------
create view public.support_ticket_stats
with (security_invoker = true)
as
select
  count(*)                                                        as total_tickets,
  count(*) filter (where status = 'open')                         as open_tickets,
  count(*) filter (where status = 'in_progress')                  as in_progress_tickets,
  count(*) filter (where status = 'resolved')                     as resolved_tickets,
  count(*) filter (where status = 'closed')                       as closed_tickets,
  count(*) filter (where priority = 'urgent'
                     and status in ('open', 'in_progress'))       as urgent_tickets,
  count(*) filter (where priority = 'high'
                     and status in ('open', 'in_progress'))       as high_priority_tickets,
  round((avg(extract(epoch from (resolved_at - created_at)))
           filter (where resolved_at is not null) / 3600.0)::numeric, 2)
                                                                  as avg_resolution_hours,
  count(*) filter (where created_at >= now() - interval '24 hours') as tickets_last_24h,
  count(*) filter (where created_at >= now() - interval '7 days')   as tickets_last_7d,
  round(avg(customer_rating)::numeric, 2)                         as avg_customer_rating
from public.support_tickets
where not archived;

-- -----------------------------------------------------------------------------
-- Privileges. Supabase's default privileges grant ALL on new tables, views,
-- sequences and functions in public to anon, authenticated and service_role.
-- "Authenticated users only": anon loses everything; TRUNCATE (not covered
-- by RLS) is taken from authenticated.
-- -----------------------------------------------------------------------------
revoke all on public.support_tickets, public.support_messages, public.support_ticket_activity
  from anon;
revoke truncate on public.support_tickets, public.support_messages, public.support_ticket_activity
  from authenticated;
revoke all on public.support_ticket_stats from anon;
revoke all on sequence public.support_ticket_seq from anon;

REVOKE EXECUTE ON FUNCTION log_ticket_activity(uuid, text, uuid, text, text, text, text) FROM PUBLIC, anon;
REVOKE EXECUTE ON FUNCTION update_ticket_status(uuid, text, uuid) FROM PUBLIC, anon;
REVOKE EXECUTE ON FUNCTION assign_ticket(uuid, uuid, uuid) FROM PUBLIC, anon;

GRANT EXECUTE ON FUNCTION log_ticket_activity TO authenticated;
GRANT EXECUTE ON FUNCTION update_ticket_status TO authenticated;
GRANT EXECUTE ON FUNCTION assign_ticket TO authenticated;

-- Retention functions are for the scheduler (service_role / owner) only.
revoke execute on function public.archive_old_tickets() from public, anon, authenticated;
revoke execute on function public.delete_old_archived_tickets() from public, anon, authenticated;
grant execute on function public.archive_old_tickets() to service_role;
grant execute on function public.delete_old_archived_tickets() to service_role;
