-- =============================================================================
-- BROKEN VARIANT (mutable-activity-log): drops the triggers that make
-- support_ticket_activity immutable. The owner and service_role (and anyone
-- else holding the table privileges outside RLS) can now UPDATE, DELETE and
-- TRUNCATE the audit log, contrary to the seed's "Audit logs immutable".
-- =============================================================================
drop trigger support_ticket_activity_immutable on public.support_ticket_activity;
drop trigger support_ticket_activity_no_truncate on public.support_ticket_activity;
