-- 20240101000003_functions_triggers.sql
-- Functions and triggers:
--   * update_updated_at_column()  + BEFORE UPDATE triggers update_<table>_updated_at on profiles,
--                                   customers, customer_interactions, tickets, ticket_comments,
--                                   integration_tokens
--   * handle_new_user()           + AFTER INSERT trigger on_auth_user_created on auth.users:
--                                   creates the profile of a new auth user (role 'agent' here;
--                                   migration 007 replaces it with the invitation-aware version)
--   * log_audit_event()           + AFTER INSERT/UPDATE/DELETE triggers audit_customers and
--                                   audit_tickets writing to audit_log
--   * get_customer_stats()        role-aware customer counts (empty for guests)
--   * get_ticket_stats()          role-aware ticket counts (admin/agent/customer; empty for guests)
-- All functions pin search_path. The stats functions are SECURITY INVOKER, so RLS decides
-- which rows an agent or customer counts; the guest/no-profile case short-circuits to zeros.

-- ---------------------------------------------------------------------------------------------
-- updated_at maintenance
-- ---------------------------------------------------------------------------------------------
create or replace function public.update_updated_at_column()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger update_profiles_updated_at
  before update on public.profiles
  for each row execute function public.update_updated_at_column();
create trigger update_customers_updated_at
  before update on public.customers
  for each row execute function public.update_updated_at_column();
create trigger update_customer_interactions_updated_at
  before update on public.customer_interactions
  for each row execute function public.update_updated_at_column();
create trigger update_tickets_updated_at
  before update on public.tickets
  for each row execute function public.update_updated_at_column();
create trigger update_ticket_comments_updated_at
  before update on public.ticket_comments
  for each row execute function public.update_updated_at_column();
create trigger update_integration_tokens_updated_at
  before update on public.integration_tokens
  for each row execute function public.update_updated_at_column();

-- ---------------------------------------------------------------------------------------------
-- New auth user -> profile. The role is NOT taken from raw_user_meta_data (which the signing-up
-- user controls); every self-sign-up gets the column default until 007 adds invitations.
-- ---------------------------------------------------------------------------------------------
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email, full_name, avatar_url)
  values (new.id,
          new.email,
          new.raw_user_meta_data ->> 'full_name',
          new.raw_user_meta_data ->> 'avatar_url')
  on conflict (id) do nothing;
  return new;
end
$$;

revoke execute on function public.handle_new_user() from public, anon, authenticated;

drop trigger if exists on_auth_user_created on auth.users;
create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-- ---------------------------------------------------------------------------------------------
-- Audit trail for customers and tickets
-- ---------------------------------------------------------------------------------------------
create or replace function public.log_audit_event()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    insert into public.audit_log (table_name, record_id, action, old_data, changed_by)
    values (tg_table_name, old.id, tg_op, to_jsonb(old), auth.uid());
  elsif tg_op = 'UPDATE' then
    insert into public.audit_log (table_name, record_id, action, old_data, new_data, changed_by)
    values (tg_table_name, new.id, tg_op, to_jsonb(old), to_jsonb(new), auth.uid());
  else
    insert into public.audit_log (table_name, record_id, action, new_data, changed_by)
    values (tg_table_name, new.id, tg_op, to_jsonb(new), auth.uid());
  end if;
  return null;
end
$$;

revoke execute on function public.log_audit_event() from public, anon, authenticated;

create trigger audit_customers
  after insert or update or delete on public.customers
  for each row execute function public.log_audit_event();
create trigger audit_tickets
  after insert or update or delete on public.tickets
  for each row execute function public.log_audit_event();

-- ---------------------------------------------------------------------------------------------
-- Role-aware statistics
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_customer_stats()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_role   text := public.current_user_role();
  v_result jsonb;
begin
  -- Guests (and callers without a profile) get an empty data set.
  if v_role is null or v_role = 'guest' then
    return jsonb_build_object('total', 0, 'lead', 0, 'active', 0, 'inactive', 0,
                              'churned', 0, 'new_this_month', 0);
  end if;

  -- admin: all customers; agent: assigned/created; customer: own record (enforced by RLS).
  select jsonb_build_object(
           'total',          count(*),
           'lead',           count(*) filter (where c.status = 'lead'),
           'active',         count(*) filter (where c.status = 'active'),
           'inactive',       count(*) filter (where c.status = 'inactive'),
           'churned',        count(*) filter (where c.status = 'churned'),
           'new_this_month', count(*) filter (where c.created_at >= date_trunc('month', now())))
    into v_result
    from public.customers c;
  return v_result;
end
$$;

create or replace function public.get_ticket_stats()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_role   text := public.current_user_role();
  v_uid    uuid := auth.uid();
  v_result jsonb;
begin
  if v_role is null or v_role = 'guest' then
    return jsonb_build_object('total', 0, 'open', 0, 'in_progress', 0, 'waiting', 0,
                              'resolved', 0, 'closed', 0, 'urgent_open', 0, 'assigned_to_me', 0);
  end if;

  -- RLS already restricts agents to assigned/created tickets and customers to tickets linked
  -- to their e-mail; admins see everything.
  select jsonb_build_object(
           'total',          count(*),
           'open',           count(*) filter (where t.status = 'open'),
           'in_progress',    count(*) filter (where t.status = 'in_progress'),
           'waiting',        count(*) filter (where t.status = 'waiting'),
           'resolved',       count(*) filter (where t.status = 'resolved'),
           'closed',         count(*) filter (where t.status = 'closed'),
           'urgent_open',    count(*) filter (where t.priority = 'urgent'
                                               and t.status not in ('resolved', 'closed')),
           'assigned_to_me', case when v_role in ('admin', 'agent')
                                  then count(*) filter (where t.assigned_to = v_uid)
                                  else 0 end)
    into v_result
    from public.tickets t;
  return v_result;
end
$$;

revoke execute on function public.get_customer_stats() from public, anon;
revoke execute on function public.get_ticket_stats()   from public, anon;
grant execute on function public.get_customer_stats() to authenticated, service_role;
grant execute on function public.get_ticket_stats()   to authenticated, service_role;
