-- 20240101000007_rbac_extensions.sql
-- RBAC extensions:
--   * user_role enum extended with 'customer' and 'guest' (ALTER TYPE ... ADD VALUE)
--   * new user_status enum: active, disabled, invited, pending
--   * profiles: status (default 'active', so existing users become active), last_active_at,
--     invited_by, invitation_id; indexes idx_profiles_status and idx_profiles_role_status
--   * new table user_invitations (13th table) with indexes, RLS and admin policies
--   * functions generate_invitation_code(), create_invitation(email, role, expires_in_days),
--     accept_invitation(code), expire_old_invitations()
--   * handle_new_user() replaced: role/status from a pending invitation for the e-mail, else
--     guest/pending
--   * current_user_status() now reads profiles.status (it was a placeholder since 002)
--   * "Users can update own profile" re-created so users cannot change their own status either
--   * user_workload re-created to show only ACTIVE agents/admins
-- PostgreSQL cannot USE an enum value in the transaction that added it, so nothing in this file
-- uses 'customer' or 'guest' as user_role values outside function bodies (which are only
-- executed later). The four sample invitations (two of them for the 'customer' role) are
-- therefore inserted by the next migration, 20240101000008_rbac_sample_invitations.sql.

-- ---------------------------------------------------------------------------------------------
-- Enums
-- ---------------------------------------------------------------------------------------------
alter type public.user_role add value if not exists 'customer';
alter type public.user_role add value if not exists 'guest';

do $$
begin
  if to_regtype('public.user_status') is null then
    create type public.user_status as enum ('active', 'disabled', 'invited', 'pending');
  end if;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- user_invitations
-- ---------------------------------------------------------------------------------------------
create table if not exists public.user_invitations (
  id         uuid primary key default gen_random_uuid(),
  email      text not null,
  role       public.user_role not null default 'agent',
  code       text not null,
  status     text not null default 'pending',
  expires_at timestamptz not null default (now() + interval '7 days'),
  created_by uuid references public.profiles (id) on delete set null,
  used_at    timestamptz,
  created_at timestamptz not null default now(),
  constraint user_invitations_code_key unique (code),
  constraint user_invitations_status_check
    check (status in ('pending', 'accepted', 'expired', 'revoked')),
  constraint user_invitations_code_format_check check (code ~ '^[A-Z0-9]{6,32}$'),
  constraint user_invitations_email_check check (position('@' in email) > 1)
);

create index if not exists idx_user_invitations_email       on public.user_invitations (lower(email));
create index if not exists idx_user_invitations_status      on public.user_invitations (status, expires_at);
create index if not exists idx_user_invitations_created_by  on public.user_invitations (created_by);

alter table public.user_invitations enable row level security;

-- ---------------------------------------------------------------------------------------------
-- profiles: status tracking
-- ---------------------------------------------------------------------------------------------
alter table public.profiles add column if not exists status public.user_status not null default 'active';
alter table public.profiles add column if not exists last_active_at timestamptz;
alter table public.profiles add column if not exists invited_by uuid
  references public.profiles (id) on delete set null;
alter table public.profiles add column if not exists invitation_id uuid
  references public.user_invitations (id) on delete set null;

-- Existing users: active (column default above); last activity approximated by the last update.
update public.profiles set last_active_at = updated_at where last_active_at is null;

create index if not exists idx_profiles_status        on public.profiles (status);
create index if not exists idx_profiles_role_status   on public.profiles (role, status);
create index if not exists idx_profiles_invited_by    on public.profiles (invited_by);
create index if not exists idx_profiles_invitation_id on public.profiles (invitation_id);

-- The real status of the caller (NULL when the caller has no profile).
create or replace function public.current_user_status()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.status::text from public.profiles p where p.id = auth.uid()
$$;

-- Own-profile edits may change neither role nor status.
drop policy if exists "Users can update own profile" on public.profiles;
create policy "Users can update own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid())
         and (select public.current_user_status()) <> 'disabled'
         and (select public.current_user_role()) in ('admin', 'agent'))
  with check (id = (select auth.uid())
              and (select public.current_user_status()) <> 'disabled'
              and role::text = (select public.current_user_role())
              and status::text = (select public.current_user_status()));

-- ---------------------------------------------------------------------------------------------
-- user_invitations policies (admins manage; an invitee may read invitations for its e-mail)
-- ---------------------------------------------------------------------------------------------
drop policy if exists "Admins can view invitations" on public.user_invitations;
create policy "Admins can view invitations" on public.user_invitations
  for select to authenticated
  using ((select public.current_user_role()) = 'admin');

drop policy if exists "Users can view own invitations" on public.user_invitations;
create policy "Users can view own invitations" on public.user_invitations
  for select to authenticated
  using (lower(email) = lower((select auth.jwt() ->> 'email')));

drop policy if exists "Admins can create invitations" on public.user_invitations;
create policy "Admins can create invitations" on public.user_invitations
  for insert to authenticated
  with check ((select public.current_user_role()) = 'admin'
              and (select public.current_user_status()) <> 'disabled');

drop policy if exists "Admins can update invitations" on public.user_invitations;
create policy "Admins can update invitations" on public.user_invitations
  for update to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled')
  with check ((select public.current_user_role()) = 'admin'
              and (select public.current_user_status()) <> 'disabled');

drop policy if exists "Admins can delete invitations" on public.user_invitations;
create policy "Admins can delete invitations" on public.user_invitations
  for delete to authenticated
  using ((select public.current_user_role()) = 'admin'
         and (select public.current_user_status()) <> 'disabled');

-- ---------------------------------------------------------------------------------------------
-- Invitation functions
-- ---------------------------------------------------------------------------------------------

-- 12 upper-case hex characters from a strong random UUID mixed with the clock; retried until
-- unused.
create or replace function public.generate_invitation_code()
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_code text;
begin
  loop
    v_code := upper(substr(md5(gen_random_uuid()::text || clock_timestamp()::text), 1, 12));
    exit when not exists (select 1 from public.user_invitations i where i.code = v_code);
  end loop;
  return v_code;
end
$$;

-- Creates a pending invitation and returns its code. Allowed for non-disabled admins, for the
-- service role, and for direct database sessions without JWT claims (SQL editor, psql).
-- Earlier pending invitations for the same e-mail are revoked.
create or replace function public.create_invitation(
  email           text,
  role            public.user_role,
  expires_in_days integer default 7)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_email   text := lower(trim(create_invitation.email));
  v_code    text;
  v_creator uuid;
begin
  if not (coalesce(auth.role(), '') = 'service_role'
          or (auth.uid() is null and auth.role() is null)
          or (public.current_user_role() = 'admin'
              and public.current_user_status() <> 'disabled')) then
    raise exception 'only active administrators can create invitations'
      using errcode = '42501';
  end if;
  if v_email is null or v_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' then
    raise exception 'invalid e-mail address: %', create_invitation.email using errcode = '22023';
  end if;
  if create_invitation.role is null then
    raise exception 'an invitation needs a role' using errcode = '22023';
  end if;
  if expires_in_days is null or expires_in_days < 1 or expires_in_days > 365 then
    raise exception 'expires_in_days must be between 1 and 365' using errcode = '22023';
  end if;

  select p.id into v_creator from public.profiles p where p.id = auth.uid();

  update public.user_invitations i
     set status = 'revoked'
   where lower(i.email) = v_email and i.status = 'pending';

  v_code := public.generate_invitation_code();
  insert into public.user_invitations (email, role, code, status, expires_at, created_by)
  values (v_email, create_invitation.role, v_code, 'pending',
          now() + make_interval(days => expires_in_days), v_creator);
  return v_code;
end
$$;

-- Validates a code before sign-up: it must exist, be pending (or accepted but not yet used)
-- and not be expired. Marks it accepted and returns what the sign-up form needs.
-- handle_new_user() records used_at when the auth user is created.
create or replace function public.accept_invitation(code text)
returns table (invitation_id uuid, email text, role public.user_role, expires_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv public.user_invitations%rowtype;
begin
  select * into v_inv
    from public.user_invitations i
   where i.code = upper(trim(accept_invitation.code))
   for update;

  if not found then
    raise exception 'invalid invitation code' using errcode = 'P0002';
  end if;
  if v_inv.status in ('revoked', 'expired') then
    raise exception 'invitation is %', v_inv.status using errcode = '22023';
  end if;
  if v_inv.used_at is not null then
    raise exception 'invitation has already been used' using errcode = '22023';
  end if;
  if v_inv.expires_at <= now() then
    raise exception 'invitation has expired' using errcode = '22023';
  end if;

  update public.user_invitations i set status = 'accepted' where i.id = v_inv.id;

  invitation_id := v_inv.id;
  email         := v_inv.email;
  role          := v_inv.role;
  expires_at    := v_inv.expires_at;
  return next;
end
$$;

-- Marks overdue, unused invitations expired; returns how many. Meant for a scheduled job.
create or replace function public.expire_old_invitations()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  update public.user_invitations i
     set status = 'expired'
   where i.status in ('pending', 'accepted')
     and i.used_at is null
     and i.expires_at < now();
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

revoke execute on function public.generate_invitation_code()                        from public, anon, authenticated;
revoke execute on function public.create_invitation(text, public.user_role, integer) from public, anon;
revoke execute on function public.accept_invitation(text)                           from public;
revoke execute on function public.expire_old_invitations()                          from public, anon, authenticated;
grant execute on function public.generate_invitation_code()                         to service_role;
grant execute on function public.create_invitation(text, public.user_role, integer) to authenticated, service_role;
grant execute on function public.accept_invitation(text)                            to anon, authenticated, service_role;
grant execute on function public.expire_old_invitations()                           to service_role;

-- ---------------------------------------------------------------------------------------------
-- New auth user -> profile, role from the invitation for its e-mail
-- ---------------------------------------------------------------------------------------------
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_inv public.user_invitations%rowtype;
begin
  if new.email is not null then
    select * into v_inv
      from public.user_invitations i
     where lower(i.email) = lower(new.email)
       and i.status in ('pending', 'accepted')
       and i.used_at is null
       and i.expires_at > now()
     order by i.created_at desc
     limit 1
     for update;
  end if;

  if v_inv.id is not null then
    insert into public.profiles (id, email, full_name, avatar_url, role, status,
                                 invited_by, invitation_id, last_active_at)
    values (new.id, new.email,
            new.raw_user_meta_data ->> 'full_name',
            new.raw_user_meta_data ->> 'avatar_url',
            v_inv.role, 'active', v_inv.created_by, v_inv.id, now())
    on conflict (id) do nothing;

    update public.user_invitations i
       set status = 'accepted', used_at = now()
     where i.id = v_inv.id;
  else
    -- Uninvited sign-up: read-only guest awaiting admin review.
    insert into public.profiles (id, email, full_name, avatar_url, role, status)
    values (new.id, new.email,
            new.raw_user_meta_data ->> 'full_name',
            new.raw_user_meta_data ->> 'avatar_url',
            'guest', 'pending')
    on conflict (id) do nothing;
  end if;
  return new;
end
$$;

revoke execute on function public.handle_new_user() from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- user_workload: only ACTIVE agents/admins (same columns as in 005)
-- ---------------------------------------------------------------------------------------------
create or replace view public.user_workload
with (security_invoker = true)
as
select p.id        as user_id,
       p.full_name,
       p.email,
       p.role,
       count(t.id) filter (where t.status in ('open', 'in_progress', 'waiting')) as open_tickets,
       count(t.id) filter (where t.priority = 'urgent'
                             and t.status not in ('resolved', 'closed'))       as urgent_tickets,
       count(t.id)                                                            as total_tickets,
       (select count(*) from public.customers c where c.assigned_to = p.id)   as assigned_customers
  from public.profiles p
  left join public.tickets t on t.assigned_to = p.id
 where p.role in ('admin', 'agent')
   and p.status = 'active'
 group by p.id, p.full_name, p.email, p.role;
