-- =============================================================================
-- BROKEN VARIANT (internal-notes-visible): replaces the customer SELECT policy
-- on support_messages with one that no longer filters is_internal, so
-- customers read the staff's internal notes on their tickets. Same policy
-- name, command and role as the original.
-- =============================================================================
drop policy "Customers can view messages on own tickets" on public.support_messages;

create policy "Customers can view messages on own tickets"
  on public.support_messages for select
  to authenticated
  using (
    exists (select 1 from public.support_tickets t
            where t.id = support_messages.ticket_id and t.user_id = auth.uid())
  );
