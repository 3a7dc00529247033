-- 20240101000005_seed_data_and_views.sql
-- Reference data, reporting views and the dashboard function:
--   * seed rows in tags (the default customer tags)
--   * view user_workload   - open/urgent/total tickets and assigned customers per admin/agent
--                            (migration 007 narrows it to ACTIVE agents/admins once
--                            profiles.status exists)
--   * view ticket_summary  - tickets with customer name, assignee and comment count
--   * get_dashboard_data() - customer + ticket stats and the recent activity feed, by role
--                            (admin: all activities; agent/customer: own; guest: empty)
-- Both views are created WITH (security_invoker = true) so they apply the caller's RLS instead
-- of the view owner's (a plain view owned by postgres would bypass every policy).

insert into public.tags (name, color) values
  ('vip',        '#7c3aed'),
  ('new',        '#2563eb'),
  ('enterprise', '#0891b2'),
  ('churn-risk', '#dc2626'),
  ('follow-up',  '#d97706')
on conflict (name) do nothing;

create view public.user_workload
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
 group by p.id, p.full_name, p.email, p.role;

create view public.ticket_summary
with (security_invoker = true)
as
select t.id,
       t.title,
       t.status,
       t.priority,
       t.customer_id,
       nullif(trim(concat_ws(' ', c.first_name, c.last_name)), '') as customer_name,
       c.email                                                     as customer_email,
       t.assigned_to,
       a.full_name                                                 as assignee_name,
       (select count(*) from public.ticket_comments tc where tc.ticket_id = t.id) as comment_count,
       t.due_date,
       t.created_at,
       t.updated_at
  from public.tickets t
  left join public.customers c on c.id = t.customer_id
  left join public.profiles a on a.id = t.assigned_to;

-- read-only reporting views: nothing for anon, SELECT for authenticated
revoke all on public.user_workload, public.ticket_summary from anon, authenticated;
grant select on public.user_workload, public.ticket_summary to authenticated;

create or replace function public.get_dashboard_data()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_role       text := public.current_user_role();
  v_uid        uuid := auth.uid();
  v_activities jsonb;
begin
  if v_role is null or v_role = 'guest' then
    v_activities := '[]'::jsonb;
  else
    select coalesce(jsonb_agg(to_jsonb(a) order by a.created_at desc), '[]'::jsonb)
      into v_activities
      from (select x.id, x.user_id, x.action, x.entity_type, x.entity_id, x.description, x.created_at
              from public.activities x
             where v_role = 'admin' or x.user_id = v_uid
             order by x.created_at desc
             limit 20) a;
  end if;

  return jsonb_build_object(
    'role',              v_role,
    'customers',         public.get_customer_stats(),
    'tickets',           public.get_ticket_stats(),
    'recent_activities', v_activities);
end
$$;

revoke execute on function public.get_dashboard_data() from public, anon;
grant execute on function public.get_dashboard_data() to authenticated, service_role;
