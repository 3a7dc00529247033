-- 20250101000007_drop_audit_immutability.sql
-- BROKEN VARIANT (mutable-audit-log): drops the immutability trigger that migration 006 put on
-- cc_audit_logs, so audit rows can be UPDATEd and DELETEd again. A verify run must FAIL the
-- immutability check for cc_audit_logs. (The trigger function itself is left in place.)

drop trigger if exists cc_audit_logs_immutable on public.cc_audit_logs;
