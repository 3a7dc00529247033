-- =============================================================================
-- BROKEN VARIANT (missing-ticket-sequence): the seed's troubleshooting case
-- "Ticket numbers not generating". Drops the set_ticket_number trigger and the
-- support_ticket_seq sequence (and any column default on ticket_number), so
-- no ticket number is generated any more and inserting a ticket without one
-- fails (ticket_number is NOT NULL). generate_ticket_number() still exists
-- but would fail, its sequence being gone.
-- =============================================================================
alter table public.support_tickets alter column ticket_number drop default;
drop trigger set_ticket_number on public.support_tickets;
drop sequence public.support_ticket_seq;
