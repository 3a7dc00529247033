//! The structural checks around every behaviour step: ONE statement read before and after the
//! step (pipelined with it, no extra round trip) that reports the transaction (its start time),
//! the effective and session user, the role and claims settings, the guarded settings
//! (timeouts, standard_conforming_strings, track_counts), the step's own `as.settings`, and —
//! when the step's expectation depends on RLS — per-transaction access counters of every RLS
//! table the effective role is NOT bound by (superuser, BYPASSRLS, or owner without FORCE).
//! Comparing the reads turns "the step changed its role / claims / a timeout / the
//! transaction" and "the step read a table RLS does not bind it on" into errors, whatever SQL
//! text did it (set_config in a SELECT, a function doing SET ROLE, dynamic SQL, a view).
//! Builds SQL from deskctl's own text, oids and quoted setting names only; runs one catalog
//! read per run (`read_rls_tables`) and nothing else.

use serde_json::Value;
use tokio_postgres::SimpleQueryMessage;

use crate::catalog::Snapshot;
use crate::db::quote_literal;

/// Settings compared between the reads (besides role and claims), and with the baseline read
/// before the check's setup.
pub const WATCHED: &[&str] = &[
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "standard_conforming_strings",
    "track_counts",
];

/// An RLS-enabled table of the database (read once per run) and its indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct RlsTable {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub owner: String,
    pub forced: bool,
    pub indexes: Vec<u32>,
}

/// Every RLS-enabled table of the database with its indexes: ONE catalog read per run (not
/// limited to the checks' schemas: a step may reach any table through dynamic SQL).
pub async fn read_rls_tables(
    client: &tokio_postgres::Client,
) -> Result<Vec<RlsTable>, tokio_postgres::Error> {
    let rows = client
        .query(
            "select c.oid, n.nspname::text as schema, c.relname::text as name, \
                    pg_catalog.pg_get_userbyid(c.relowner)::text as owner, \
                    c.relforcerowsecurity as forced, \
                    array(select i.indexrelid from pg_catalog.pg_index i where i.indrelid = c.oid) as indexes \
             from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
             where c.relrowsecurity and c.relkind in ('r', 'p')",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RlsTable {
            oid: r.get("oid"),
            schema: r.get("schema"),
            name: r.get("name"),
            owner: r.get("owner"),
            forced: r.get("forced"),
            indexes: r.get("indexes"),
        })
        .collect())
}

/// The RLS tables `role` is not bound by, with why: `superuser`, `bypassrls` (every table), or
/// `owner` (tables not forced whose owner is the role or a role whose privileges it inherits).
/// Runs once per step over every RLS table: the role's memberships are resolved once, not per
/// table.
pub fn unbound<'t>(
    snap: &Snapshot,
    role: &str,
    tables: &'t [RlsTable],
) -> Vec<(&'t RlsTable, &'static str)> {
    let Some(info) = snap.role(role) else {
        return Vec::new();
    };
    let everywhere = if info.superuser {
        Some("superuser")
    } else if info.bypass_rls {
        Some("bypassrls")
    } else {
        None
    };
    if let Some(why) = everywhere {
        return tables.iter().map(|t| (t, why)).collect();
    }
    let grantees = snap.effective_grantees(role);
    tables
        .iter()
        .filter(|t| !t.forced && grantees.contains(&t.owner))
        .map(|t| (t, "owner"))
        .collect()
}

/// The relations whose counters are read: each table, then its indexes, table after table.
fn flattened(tables: &[(&RlsTable, &'static str)]) -> Vec<u32> {
    tables
        .iter()
        .flat_map(|(t, _)| std::iter::once(t.oid).chain(t.indexes.iter().copied()))
        .collect()
}

/// Access counters of the given tables and their indexes, one array per relation in
/// `flattened` order (schema-qualified functions: a check that changes `search_path` cannot
/// replace them).
fn counters_sql(tables: &[(&RlsTable, &'static str)]) -> String {
    let oids: Vec<String> = flattened(tables).iter().map(u32::to_string).collect();
    format!(
        "(select pg_catalog.json_agg(pg_catalog.json_build_array( \
           pg_catalog.pg_stat_get_xact_blocks_fetched(u.o), pg_catalog.pg_stat_get_xact_numscans(u.o), \
           pg_catalog.pg_stat_get_xact_tuples_inserted(u.o), pg_catalog.pg_stat_get_xact_tuples_updated(u.o), \
           pg_catalog.pg_stat_get_xact_tuples_deleted(u.o)) order by u.n) \
         from pg_catalog.unnest('{{{}}}'::pg_catalog.oid[]) with ordinality u(o, n))",
        oids.join(",")
    )
}

/// The state statement: one row, all text. `settings`: the step's own `as.settings` names;
/// `watch`: RLS tables whose access counters to read (those the effective role is not bound by).
pub fn state_sql(settings: &[String], watch: &[(&RlsTable, &'static str)]) -> String {
    // Every column has a name `from_messages` reads it by.
    let mut cols = vec![
        "pg_catalog.now() as tx_start".to_string(),
        "current_user as current_user_name".to_string(),
        "session_user as session_user_name".to_string(),
        "pg_catalog.current_setting('role') as role_setting".to_string(),
        "pg_catalog.current_setting('request.jwt.claims', true) as claims".to_string(),
    ];
    for (i, w) in WATCHED.iter().enumerate() {
        cols.push(format!("pg_catalog.current_setting('{w}') as watched_{i}"));
    }
    for (i, s) in settings.iter().enumerate() {
        cols.push(format!(
            "pg_catalog.current_setting({}, true) as setting_{i}",
            quote_literal(s)
        ));
    }
    cols.push(if watch.is_empty() {
        "null as counters".to_string()
    } else {
        format!("{} as counters", counters_sql(watch))
    });
    format!("select {}", cols.join(", "))
}

/// One read of the session's state.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    /// The transaction's start time (`now()`): another value means another transaction.
    pub tx_start: String,
    pub current_user: String,
    pub session_user: String,
    /// `current_setting('role')`.
    pub role: String,
    pub claims: Option<String>,
    /// `WATCHED`, in order.
    pub watched: Vec<String>,
    /// The step's `as.settings`, in the order asked.
    pub settings: Vec<(String, Option<String>)>,
    /// Access counters (summed) of the watched relations, in `flattened` order.
    pub counters: Vec<i64>,
}

impl SessionState {
    /// Reads the row `state_sql(settings, _)` returned.
    pub fn from_messages(
        msgs: &[SimpleQueryMessage],
        settings: &[String],
    ) -> Result<SessionState, String> {
        let row = msgs
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .ok_or("the state query returned no row")?;
        let get = |name: &str| row.get(name).map(str::to_string);
        let req = |name: &str| get(name).unwrap_or_default();
        let counters = match get("counters") {
            None => Vec::new(),
            Some(j) => parse_counters(&j)?,
        };
        Ok(SessionState {
            tx_start: req("tx_start"),
            current_user: req("current_user_name"),
            session_user: req("session_user_name"),
            role: req("role_setting"),
            claims: get("claims"),
            watched: (0..WATCHED.len())
                .map(|i| req(&format!("watched_{i}")))
                .collect(),
            settings: settings
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), get(&format!("setting_{i}"))))
                .collect(),
            counters,
        })
    }

    /// What differs from `other` (`earlier` → `self`), outside the access counters: one text
    /// per difference, e.g. "current_user changed from authenticated to postgres".
    pub fn changes_since(&self, earlier: &SessionState) -> Vec<String> {
        let mut out = Vec::new();
        fn cmp(out: &mut Vec<String>, what: &str, a: Option<&str>, b: Option<&str>) {
            if a != b {
                out.push(format!("{what} changed from {} to {}", show(a), show(b)));
            }
        }
        if self.tx_start != earlier.tx_start {
            out.push(
                "the transaction is not the same one (it was ended and another began)".to_string(),
            );
        }
        cmp(
            &mut out,
            "current_user",
            Some(&earlier.current_user),
            Some(&self.current_user),
        );
        cmp(
            &mut out,
            "session_user",
            Some(&earlier.session_user),
            Some(&self.session_user),
        );
        cmp(
            &mut out,
            "the role setting",
            Some(&earlier.role),
            Some(&self.role),
        );
        cmp(
            &mut out,
            "request.jwt.claims",
            earlier.claims.as_deref(),
            self.claims.as_deref(),
        );
        self.watched_changes(earlier, &mut out);
        for ((name, a), (_, b)) in earlier.settings.iter().zip(&self.settings) {
            if a != b {
                out.push(format!(
                    "the setting {name} changed from {} to {}",
                    show(a.as_deref()),
                    show(b.as_deref())
                ));
            }
        }
        out
    }

    /// Differences in the transaction and the watched settings only (against the baseline read
    /// before the check's setup).
    pub fn guard_changes_since(&self, baseline: &SessionState) -> Vec<String> {
        let mut out = Vec::new();
        if self.tx_start != baseline.tx_start {
            out.push(
                "the transaction is not the same one (it was ended and another began)".to_string(),
            );
        }
        if self.session_user != baseline.session_user {
            out.push(format!(
                "session_user changed from {} to {}",
                baseline.session_user, self.session_user
            ));
        }
        self.watched_changes(baseline, &mut out);
        out
    }

    fn watched_changes(&self, earlier: &SessionState, out: &mut Vec<String>) {
        for (i, w) in WATCHED.iter().enumerate() {
            let (a, b) = (earlier.watched.get(i), self.watched.get(i));
            if a != b {
                out.push(format!(
                    "{w} changed from {} to {}",
                    show(a.map(String::as_str)),
                    show(b.map(String::as_str))
                ));
            }
        }
    }

    /// The watched tables (see `state_sql`) whose access counters moved since `before`.
    pub fn touched_since<'w>(
        &self,
        before: &SessionState,
        watch: &[(&'w RlsTable, &'static str)],
    ) -> Vec<(&'w RlsTable, &'static str)> {
        let mut out = Vec::new();
        let mut i = 0;
        for &(t, why) in watch {
            let n = 1 + t.indexes.len();
            let range = i..(i + n).min(self.counters.len());
            let moved = self.counters.get(range.clone()) != before.counters.get(range);
            if moved {
                out.push((t, why));
            }
            i += n;
        }
        out
    }
}

fn show(v: Option<&str>) -> String {
    match v {
        None => "unset".to_string(),
        Some("") => "''".to_string(),
        Some(s) if s.chars().count() > 80 => {
            format!("{}…", s.chars().take(80).collect::<String>())
        }
        Some(s) => s.to_string(),
    }
}

/// `[[c1, c2, ...], ...]`: one array of counters per relation, summed.
fn parse_counters(j: &str) -> Result<Vec<i64>, String> {
    let v: Value =
        serde_json::from_str(j).map_err(|e| format!("could not read the access counters: {e}"))?;
    Ok(v.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .map_or(0, |a| a.iter().filter_map(Value::as_i64).sum())
                })
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SessionState {
        SessionState {
            tx_start: "2026-01-01 00:00:00.1+00".into(),
            current_user: "authenticated".into(),
            session_user: "postgres".into(),
            role: "authenticated".into(),
            claims: Some(r#"{"sub":"u1"}"#.into()),
            watched: vec![
                "5s".into(),
                "2s".into(),
                "0".into(),
                "on".into(),
                "on".into(),
            ],
            settings: vec![("app.x".into(), Some("1".into()))],
            counters: Vec::new(),
        }
    }

    #[test]
    fn changes_are_named() {
        let a = state();
        assert!(a.changes_since(&a).is_empty());
        let mut b = a.clone();
        b.current_user = "postgres".into();
        b.role = "none".into();
        b.watched[0] = "0".into();
        b.settings[0].1 = None;
        b.claims = None;
        let c = b.changes_since(&a);
        assert_eq!(
            c,
            vec![
                "current_user changed from authenticated to postgres",
                "the role setting changed from authenticated to none",
                "request.jwt.claims changed from {\"sub\":\"u1\"} to unset",
                "statement_timeout changed from 5s to 0",
                "the setting app.x changed from 1 to unset",
            ]
        );
        let mut d = a.clone();
        d.tx_start = "2026-01-01 00:00:00.2+00".into();
        assert_eq!(
            d.guard_changes_since(&a),
            vec!["the transaction is not the same one (it was ended and another began)"]
        );
    }

    #[test]
    fn unbound_tables_by_superuser_bypassrls_and_inherited_ownership() {
        use crate::catalog::Role;
        let mut admin = Role::new("admin");
        admin.superuser = true;
        let mut etl = Role::new("etl");
        etl.bypass_rls = true;
        let mut dev = Role::new("dev");
        dev.member_of = vec!["app".into()];
        let mut noinherit = Role::new("noinherit");
        noinherit.member_of = vec!["app".into()];
        noinherit.inherit = false;
        let snap = Snapshot {
            roles: vec![
                admin,
                etl,
                dev,
                noinherit,
                Role::new("app"),
                Role::new("authenticated"),
            ],
            ..Default::default()
        }
        .finish();
        let t = |name: &str, owner: &str, forced: bool| RlsTable {
            oid: 1,
            schema: "public".into(),
            name: name.into(),
            owner: owner.into(),
            forced,
            indexes: vec![],
        };
        let tables = vec![
            t("a", "app", false),
            t("b", "app", true),
            t("c", "other", false),
        ];
        let names = |role: &str| -> Vec<(String, &'static str)> {
            unbound(&snap, role, &tables)
                .into_iter()
                .map(|(t, w)| (t.name.clone(), w))
                .collect()
        };
        assert_eq!(names("admin").len(), 3);
        assert!(names("etl").iter().all(|(_, w)| *w == "bypassrls"));
        assert_eq!(names("app"), vec![("a".to_string(), "owner")]);
        assert_eq!(names("dev"), vec![("a".to_string(), "owner")]);
        assert!(names("noinherit").is_empty());
        assert!(names("authenticated").is_empty());
        assert!(names("nobody").is_empty());
    }

    #[test]
    fn touched_tables_are_the_ones_whose_counters_moved() {
        let t = |oid: u32, name: &str, indexes: Vec<u32>| RlsTable {
            oid,
            schema: "public".into(),
            name: name.into(),
            owner: "app".into(),
            forced: false,
            indexes,
        };
        let (a, b) = (t(1, "a", vec![10, 11]), t(2, "b", vec![]));
        let watch = vec![(&a, "owner"), (&b, "superuser")];
        let sql = state_sql(&["app.x".into()], &watch);
        assert!(
            sql.contains("unnest('{1,10,11,2}'::pg_catalog.oid[])"),
            "{sql}"
        );
        assert!(state_sql(&["a'b".into()], &[]).contains("'a''b'"));
        let c = parse_counters("[[1,1,0,0,0],[0,0,0,0,0],[2,0,0,0,0],[0,0,0,0,0]]").unwrap();
        assert_eq!(c, vec![2, 0, 2, 0]);
        let mut before = state();
        before.counters = c.clone();
        let mut after = before.clone();
        assert!(after.touched_since(&before, &watch).is_empty());
        after.counters[3] = 1; // b
        after.counters[1] = 5; // an index of a
        let moved: Vec<&str> = after
            .touched_since(&before, &watch)
            .iter()
            .map(|(t, _)| t.name.as_str())
            .collect();
        assert_eq!(moved, vec!["a", "b"]);
    }
}
