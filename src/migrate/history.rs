//! The migration history table, read-only: whether it exists, its rows, and the comparison of
//! those rows with the files (drift, pending, status rows). Must not write: creating the table
//! and recording rows is refinery's job, driven by `runner`.

use serde::Serialize;
use tokio_postgres::Client;

use super::error::{Drift, MigrateError};
use super::source::{MigrationFile, Sources};
use crate::config::HistoryTable;
use crate::db::quote_ident;

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedRow {
    pub version: i64,
    pub name: String,
    pub applied_on: String,
    pub checksum: u64,
}

/// What the history table holds.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// `schema.table` as found (quoted), when the table exists.
    pub found: Option<String>,
    /// Rows ordered by version.
    pub rows: Vec<AppliedRow>,
    /// The version column is int4 (created by refinery without int8-versions).
    pub version_is_int4: bool,
}

impl History {
    pub fn highest(&self) -> Option<i64> {
        self.rows.last().map(|r| r.version)
    }
}

/// Read the history table without creating it. `table` is resolved like refinery does (unquoted,
/// so case-folded, through the search path when unqualified).
pub async fn read(client: &Client, table: &HistoryTable) -> Result<History, MigrateError> {
    let db = |what: &str| {
        let what = format!("reading the history table {table}: {what}");
        move |error| MigrateError::Database { what, error }
    };
    let row = client
        .query_one(
            "select n.nspname::text, c.relname::text,
                    (select pg_catalog.format_type(a.atttypid, a.atttypmod)
                       from pg_catalog.pg_attribute a
                      where a.attrelid = c.oid and a.attname = 'version' and not a.attisdropped)
               from (select pg_catalog.to_regclass($1) as oid) r
               left join pg_catalog.pg_class c on c.oid = r.oid
               left join pg_catalog.pg_namespace n on n.oid = c.relnamespace",
            &[&table.qualified()],
        )
        .await
        .map_err(db("looking it up"))?;
    let (Some(schema), Some(name)) = (
        row.get::<_, Option<String>>(0),
        row.get::<_, Option<String>>(1),
    ) else {
        return Ok(History::default());
    };
    let version_type: Option<String> = row.get(2);
    let found = format!("{}.{}", quote_ident(&schema), quote_ident(&name));
    let rows = client
        .query(
            &format!(
                "select version::int8, name::text, applied_on::text, checksum::text from {found} order by version"
            ),
            &[],
        )
        .await
        .map_err(db("selecting its rows"))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let version: i64 = r.get(0);
        let checksum_text: Option<String> = r.get(3);
        let checksum = checksum_text
            .as_deref()
            .and_then(|c| c.trim().parse::<u64>().ok())
            .ok_or_else(|| MigrateError::History {
                table: table.to_string(),
                problem: format!(
                    "version {version} has checksum {:?}, which is not a 64-bit unsigned number",
                    checksum_text.unwrap_or_default()
                ),
            })?;
        out.push(AppliedRow {
            version,
            name: r.get::<_, Option<String>>(1).unwrap_or_default(),
            applied_on: r.get::<_, Option<String>>(2).unwrap_or_default(),
            checksum,
        });
    }
    Ok(History {
        found: Some(found),
        rows: out,
        version_is_int4: version_type.as_deref() == Some("integer"),
    })
}

/// The state of one version, for `status` and for the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    Applied { applied_on: String },
    Pending { out_of_order: bool },
    Divergent { applied_on: String, what: String },
    Missing { applied_on: String },
}

/// One line of `status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub version: i64,
    pub name: String,
    pub file: Option<std::path::PathBuf>,
    #[serde(flatten)]
    pub state: State,
}

/// Files versus history: every version's state, and the drift that makes `migrate` refuse.
pub struct Comparison<'a> {
    pub rows: Vec<StatusRow>,
    pub drift: Vec<Drift>,
    /// Files never applied, in version order (out-of-order ones included; they are drift too).
    pub pending: Vec<&'a MigrationFile>,
}

pub fn compare<'a>(sources: &'a Sources, history: &History) -> Comparison<'a> {
    let highest = history.highest();
    let mut rows = Vec::new();
    let mut drift = Vec::new();
    let mut pending = Vec::new();
    let applied: std::collections::BTreeMap<i64, &AppliedRow> =
        history.rows.iter().map(|r| (r.version, r)).collect();
    for f in &sources.files {
        match applied.get(&f.version) {
            Some(a) if a.name == f.name && a.checksum == f.checksum => rows.push(StatusRow {
                version: f.version,
                name: f.name.clone(),
                file: Some(f.path.clone()),
                state: State::Applied {
                    applied_on: a.applied_on.clone(),
                },
            }),
            Some(a) => {
                let name_changed = a.name != f.name;
                // Same content under the applied name would give the applied checksum.
                let content_changed = !name_changed
                    || refinery_core::Migration::unapplied(
                        &format!("V{}__{}", f.version, a.name),
                        &f.sql,
                    )
                    .map(|m| m.checksum() != a.checksum)
                    .unwrap_or(true);
                let d = Drift::Changed {
                    version: f.version,
                    file: f.path.clone(),
                    applied_name: a.name.clone(),
                    file_name: f.name.clone(),
                    name_changed,
                    content_changed,
                    applied_on: a.applied_on.clone(),
                };
                let what = match (name_changed, content_changed) {
                    (true, true) => "name and content changed",
                    (true, false) => "name changed",
                    _ => "content changed",
                };
                rows.push(StatusRow {
                    version: f.version,
                    name: f.name.clone(),
                    file: Some(f.path.clone()),
                    state: State::Divergent {
                        applied_on: a.applied_on.clone(),
                        what: what.into(),
                    },
                });
                drift.push(d);
            }
            None => {
                let out_of_order = highest.is_some_and(|h| f.version < h);
                if let (true, Some(h)) = (out_of_order, highest) {
                    drift.push(Drift::BelowApplied {
                        version: f.version,
                        file: f.path.clone(),
                        highest: h,
                    });
                }
                rows.push(StatusRow {
                    version: f.version,
                    name: f.name.clone(),
                    file: Some(f.path.clone()),
                    state: State::Pending { out_of_order },
                });
                pending.push(f);
            }
        }
    }
    for a in &history.rows {
        if sources.by_version(a.version).is_none() {
            drift.push(Drift::Missing {
                version: a.version,
                name: a.name.clone(),
                applied_on: a.applied_on.clone(),
            });
            rows.push(StatusRow {
                version: a.version,
                name: a.name.clone(),
                file: None,
                state: State::Missing {
                    applied_on: a.applied_on.clone(),
                },
            });
        }
    }
    rows.sort_by_key(|r| r.version);
    drift.sort_by_key(|d| match d {
        Drift::Changed { version, .. }
        | Drift::Missing { version, .. }
        | Drift::BelowApplied { version, .. } => *version,
    });
    Comparison {
        rows,
        drift,
        pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> (tempfile::TempDir, Sources) {
        let d = tempfile::tempdir().unwrap();
        for (n, b) in files {
            std::fs::write(d.path().join(n), b).unwrap();
        }
        let s = super::super::source::load(d.path()).unwrap();
        (d, s)
    }

    fn applied(f: &MigrationFile) -> AppliedRow {
        AppliedRow {
            version: f.version,
            name: f.name.clone(),
            applied_on: "2026-01-01T00:00:00Z".into(),
            checksum: f.checksum,
        }
    }

    #[test]
    fn drift_names_what_differs() {
        let (_d, s) = sources(&[
            ("V1__one.sql", "select 1;"),
            ("V2__two.sql", "select 2;"),
            ("V3__three.sql", "select 3;"),
            ("V5__five.sql", "select 5;"),
        ]);
        let mut h = History {
            found: Some("x".into()),
            ..Default::default()
        };
        let mut r1 = applied(&s.files[0]);
        r1.checksum ^= 1; // content changed
        let mut r2 = applied(&s.files[1]);
        r2.name = "deux".into();
        r2.checksum = refinery_core::Migration::unapplied("V2__deux", "select 2;")
            .unwrap()
            .checksum(); // renamed only
        h.rows = vec![
            r1,
            r2,
            AppliedRow {
                version: 4,
                name: "four".into(),
                applied_on: "t".into(),
                checksum: 1,
            },
            applied(&s.files[3]),
        ];
        let c = compare(&s, &h);
        assert_eq!(c.drift.len(), 4, "{:#?}", c.drift);
        let text: Vec<String> = c.drift.iter().map(|d| d.to_string()).collect();
        assert!(text[0].contains("V1__one.sql") && text[0].contains("its content changed"));
        assert!(text[1].contains("name changed (`deux` → `two`)") && !text[1].contains("content"));
        assert!(
            text[2].contains("V3__three.sql")
                && text[2].contains("below the highest applied version 5")
        );
        assert!(text[3].contains("version 4 (four)") && text[3].contains("no file"));
        assert_eq!(c.pending.len(), 1);
    }

    #[test]
    fn never_migrated_is_all_pending() {
        let (_d, s) = sources(&[("V1__one.sql", "select 1;")]);
        let c = compare(&s, &History::default());
        assert!(c.drift.is_empty());
        assert_eq!(
            c.rows[0].state,
            State::Pending {
                out_of_order: false
            }
        );
    }
}
