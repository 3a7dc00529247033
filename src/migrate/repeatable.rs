//! Repeatable migrations (`R__{name}.sql`, Flyway's convention): their own history table next
//! to refinery's (`<history>_repeatable`: name, checksum, applied_on, runs), the comparison of
//! that table with the files (pending = never applied or checksum changed; removed = a row with
//! no file, reported, never an error), and applying the pending ones, in name order, after the
//! versioned migrations, through the same `runner::Driver` (one transaction with the history
//! row, `-- deskctl:no-transaction` honoured, failures as file:line:col). Must not take the lock
//! (the caller holds it), read files or print.
//!
//! Why a table of their own: refinery reads every row of its table as an applied versioned
//! migration (abort-missing would refuse a row with no `V` file, and a reserved version range
//! would move its highest version and `--target`), and other tools reading refinery's table
//! (refinery_cli, the Supabase interop) would see phantom versions.

use std::path::PathBuf;

use serde::Serialize;
use tokio_postgres::Client;

use super::runner::{self, Driver, DriverError};
use super::source::{MigrationFile, Sources};
use super::MigrateError;
use crate::config::HistoryTable;
use crate::db::quote_literal;

/// What the repeatables' table is called: the history table's name with this suffix.
pub const TABLE_SUFFIX: &str = "_repeatable";

/// `<schema.>` + `<history name>_repeatable`. `history` is the resolved history table.
pub fn table(history: &HistoryTable) -> String {
    format!("{}{TABLE_SUFFIX}", history.qualified())
}

/// The table, created once, with the privileges treatment of the history table.
pub fn ddl(history: &HistoryTable) -> String {
    runner::private_table_ddl(
        &table(history),
        "name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_on timestamptz NOT NULL DEFAULT pg_catalog.now(),
      runs int8 NOT NULL DEFAULT 1",
    )
}

/// One row of the repeatables' table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedRepeatable {
    pub name: String,
    pub checksum: u64,
    /// UTC, RFC 3339 to the second (like refinery's `applied_on`).
    pub applied_on: String,
    /// How many times it was applied.
    pub runs: i64,
}

/// The rows, without creating the table (none when it does not exist). Read-only.
pub async fn read(
    client: &Client,
    history: &HistoryTable,
) -> Result<Vec<AppliedRepeatable>, MigrateError> {
    let t = table(history);
    let db = |what: &str| {
        MigrateError::db(format!(
            "reading the repeatable migrations' history {t}: {what}"
        ))
    };
    let exists = crate::db::row_now(
        client,
        "select pg_catalog.to_regclass($1) is not null as exists",
        &[(&t, tokio_postgres::types::Type::TEXT)],
    )
    .await
    .map_err(db("looking it up"))?
    .is_some_and(|r| r.get("exists"));
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query_typed(
            &format!(
                "select name, checksum,
                        pg_catalog.to_char(applied_on at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as applied_on,
                        runs
                   from {t} order by name"
            ),
            &[],
        )
        .await
        .map_err(db("selecting its rows"))?;
    rows.iter()
        .map(|r| {
            let name: String = r.get("name");
            let text: String = r.get("checksum");
            let checksum = text
                .trim()
                .parse::<u64>()
                .map_err(|_| MigrateError::History {
                    table: t.clone(),
                    problem: format!(
                    "repeatable {name} has checksum {text:?}, which is not a 64-bit unsigned number"
                ),
                })?;
            Ok(AppliedRepeatable {
                name,
                checksum,
                applied_on: r.get("applied_on"),
                runs: r.get("runs"),
            })
        })
        .collect()
}

/// The state of one repeatable, for `status` and the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RepeatableState {
    /// Applied with the file's current checksum.
    Applied { applied_on: String, runs: i64 },
    /// Never applied (`applied_on` none), or changed since it was last applied.
    Pending {
        #[serde(skip_serializing_if = "Option::is_none")]
        applied_on: Option<String>,
        changed: bool,
    },
    /// Applied once, and its file is gone: reported, not undone, not an error.
    Removed { applied_on: String, runs: i64 },
}

/// One repeatable in `status`.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub file: Option<PathBuf>,
    #[serde(flatten)]
    pub state: RepeatableState,
}

/// Files versus the repeatables' table.
#[derive(Debug, Default)]
pub struct RepeatableComparison<'a> {
    /// Every repeatable, files in name order then removed ones.
    pub rows: Vec<Row>,
    /// To apply, in name order.
    pub pending: Vec<&'a MigrationFile>,
    /// Rows with no file.
    pub removed: Vec<AppliedRepeatable>,
}

pub fn compare<'a>(
    sources: &'a Sources,
    applied: &[AppliedRepeatable],
) -> RepeatableComparison<'a> {
    let by_name: std::collections::BTreeMap<&str, &AppliedRepeatable> =
        applied.iter().map(|a| (a.name.as_str(), a)).collect();
    let mut c = RepeatableComparison::default();
    for f in &sources.repeatables {
        let state = match by_name.get(f.name.as_str()) {
            Some(a) if a.checksum == f.checksum => RepeatableState::Applied {
                applied_on: a.applied_on.clone(),
                runs: a.runs,
            },
            a => {
                c.pending.push(f);
                RepeatableState::Pending {
                    applied_on: a.map(|a| a.applied_on.clone()),
                    changed: a.is_some(),
                }
            }
        };
        c.rows.push(Row {
            name: f.name.clone(),
            file: Some(f.path.clone()),
            state,
        });
    }
    for a in applied {
        if !sources.repeatables.iter().any(|f| f.name == a.name) {
            c.rows.push(Row {
                name: a.name.clone(),
                file: None,
                state: RepeatableState::Removed {
                    applied_on: a.applied_on.clone(),
                    runs: a.runs,
                },
            });
            c.removed.push(a.clone());
        }
    }
    c
}

/// What `migrate` says about a removed repeatable.
pub fn removed_notice(history: &HistoryTable, r: &AppliedRepeatable) -> String {
    format!(
        "repeatable migration R__{name} was applied (last at {at}) but has no file any more: deskctl does not undo it; \
drop what it created in a migration if that is the intent, then forget it: delete from {t} where name = {lit}",
        name = r.name,
        at = r.applied_on,
        t = table(history),
        lit = quote_literal(&r.name),
    )
}

/// The SQL that records `f` as applied with its current checksum (run with the file, in its
/// transaction). The name is a validated `\w+` name, quoted as a literal all the same.
pub fn record_sql(history: &HistoryTable, f: &MigrationFile) -> String {
    format!(
        "INSERT INTO {t} AS r (name, checksum, applied_on, runs) VALUES ({name}, {sum}, pg_catalog.now(), 1) \
ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_on = EXCLUDED.applied_on, runs = r.runs + 1",
        t = table(history),
        name = quote_literal(&f.name),
        sum = quote_literal(&f.checksum.to_string()),
    )
}

/// Apply `pending` in order through `driver` (which records each in `done`, with progress),
/// creating the table first. The caller holds the migration lock; a failing file leaves its
/// failure in `driver.failure` and stops the run.
pub async fn apply<'a>(
    client: &Client,
    history: &HistoryTable,
    pending: &[&'a MigrationFile],
    driver: &mut Driver<'a>,
) -> Result<(), MigrateError> {
    if pending.is_empty() {
        return Ok(());
    }
    client
        .batch_execute(&ddl(history))
        .await
        .map_err(|error| MigrateError::Database {
            what: format!("creating {}", table(history)),
            error,
        })?;
    for f in pending {
        match driver.apply_file(f, &record_sql(history, f)).await {
            Ok(()) => {}
            Err(DriverError::Db(error)) => {
                return Err(MigrateError::Database {
                    what: format!("applying {}", f.path.display()),
                    error,
                })
            }
            Err(e) => return Err(MigrateError::Refinery(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::source::testing::sources;

    fn applied(name: &str, checksum: u64) -> AppliedRepeatable {
        AppliedRepeatable {
            name: name.into(),
            checksum,
            applied_on: "2026-01-01T00:00:00Z".into(),
            runs: 1,
        }
    }

    #[test]
    fn changed_is_pending_and_removed_is_reported() {
        let (_d, s) = sources(&[
            ("V1__base.sql", "select 1;"),
            ("R__b_views.sql", "select 'b';"),
            ("R__a_funcs.sql", "select 'a';"),
            ("R__c_same.sql", "select 'c';"),
        ]);
        let names: Vec<&str> = s.repeatables.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a_funcs", "b_views", "c_same"]);
        let same = s.repeatables[2].checksum;
        let c = compare(
            &s,
            &[
                applied("b_views", 1),
                applied("c_same", same),
                applied("gone", 7),
            ],
        );
        let pending: Vec<&str> = c.pending.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(pending, ["a_funcs", "b_views"]);
        assert_eq!(
            c.rows[0].state,
            RepeatableState::Pending {
                applied_on: None,
                changed: false
            }
        );
        assert!(matches!(
            c.rows[1].state,
            RepeatableState::Pending { changed: true, .. }
        ));
        assert!(matches!(c.rows[2].state, RepeatableState::Applied { .. }));
        assert_eq!(c.removed.len(), 1);
        assert!(matches!(c.rows[3].state, RepeatableState::Removed { .. }));
        let h = HistoryTable::parse("ops.hist").unwrap();
        assert!(removed_notice(&h, &c.removed[0])
            .ends_with("delete from ops.hist_repeatable where name = 'gone'"));
    }

    #[test]
    fn checksum_is_refinerys_function_with_version_zero() {
        let (_d, s) = sources(&[("R__views.sql", "create view v as select 1;")]);
        let f = &s.repeatables[0];
        assert!(f.repeatable && f.version == 0);
        assert_eq!(f.label(), "R__views");
        let same = refinery_core::Migration::unapplied("V0__views", "create view v as select 1;")
            .unwrap()
            .checksum();
        assert_eq!(f.checksum, same);
        let sql = record_sql(&HistoryTable::parse("h").unwrap(), f);
        assert!(sql.starts_with("INSERT INTO h_repeatable AS r"), "{sql}");
        assert!(sql.contains(&format!("'views', '{same}'")), "{sql}");
    }
}
