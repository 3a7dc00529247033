-- =============================================================================
-- BROKEN VARIANT (missing-grant): the seed's troubleshooting case "Helper
-- functions not working". authenticated loses EXECUTE on assign_ticket();
-- PUBLIC and anon never had it, so the admin console's "Assign to Me" fails
-- with "permission denied for function assign_ticket".
-- =============================================================================
revoke execute on function public.assign_ticket(uuid, uuid, uuid) from authenticated;
