//! The one integration test binary: every test talks to a real PostgreSQL.

mod common;

mod access;
mod access_persona;
mod annotations;
mod behaviour;
mod catalog_read;
mod connect;
mod dba;
mod diff;
mod examples;
mod hostile_checks;
mod hostile_ephemeral;
mod hostile_io;
mod hostile_migrate;
mod hostile_output;
mod lint;
mod migrate;
mod migrate_toolkit;
mod probe_share;
mod properties;
mod report;
mod snapshot_variants;
mod supabase;
mod verify;
