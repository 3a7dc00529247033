//! The commands as a layer: each is thin — it takes its resolved options (config), opens the
//! target through ONE shared path (`target`: URL or `--ephemeral` + preset + migrations, one
//! REPEATABLE READ READ ONLY catalog read), calls the library and ends through ONE
//! report-and-exit path (`output`: format, `--output`, exit code). Must not hold business logic.

pub mod access;
pub mod diagnose;
pub mod diff;
pub mod history;
pub mod init;
pub mod lint;
pub mod migrate;
pub mod new;
pub mod output;
pub mod ping;
pub mod snapshot;
pub mod target;
pub mod verify;

pub use output::{exit, print_json, print_text, report_and_exit, write_out};
pub use target::{check_schemas, connect, open_and_migrate, read_catalog, read_target, Open};
