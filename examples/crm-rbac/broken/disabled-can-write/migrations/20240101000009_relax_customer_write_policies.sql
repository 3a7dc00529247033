-- 20240101000009_relax_customer_write_policies.sql
-- BROKEN VARIANT (disabled-can-write): re-creates the customers INSERT and UPDATE policies
-- WITHOUT the current_user_status() <> 'disabled' check, so a disabled admin/agent can still
-- create and edit customers. Names, commands and roles are unchanged; only the status check is
-- gone. A scenario "a disabled agent cannot insert a customer" must FAIL.

drop policy if exists "Staff can create customers" on public.customers;
create policy "Staff can create customers" on public.customers
  for insert to authenticated
  with check ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) = 'agent'
                  and created_by = (select auth.uid())));

drop policy if exists "Staff can update customers" on public.customers;
create policy "Staff can update customers" on public.customers
  for update to authenticated
  using ((select public.current_user_role()) = 'admin'
         or ((select public.current_user_role()) = 'agent'
             and (assigned_to = (select auth.uid()) or created_by = (select auth.uid()))))
  with check ((select public.current_user_role()) = 'admin'
              or ((select public.current_user_role()) = 'agent'
                  and (assigned_to = (select auth.uid()) or created_by = (select auth.uid()))));
