//! The structural checks around every behaviour step: ONE statement read before and after the
//! step (pipelined with it, no extra round trip) that reports the transaction (its start time),
//! the effective and session user, the role and claims settings, the guarded settings
//! (timeouts, standard_conforming_strings, track_counts), the step's own `as.settings`, and —
//! when the step's expectation depends on RLS — per-transaction access counters of every RLS
//! table the effective role is NOT bound by (superuser, BYPASSRLS, or owner without FORCE).
//! Comparing the reads turns "the step changed its role / claims / a timeout / the
//! transaction" and "the step read a table RLS does not bind it on" into errors, whatever SQL
//! text did it (set_config in a SELECT, a function doing SET ROLE, dynamic SQL, a view).
//! Builds SQL from deskctl's own text and quoted setting names only; must not run SQL itself.

use serde_json::Value;
use tokio_postgres::SimpleQueryMessage;

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

/// Every name below is schema-qualified (and operators spelled OPERATOR(pg_catalog.=)), so a
/// check that changes `search_path` cannot put its own functions in their place.
fn touched_sql() -> &'static str {
    "(select pg_catalog.json_agg(pg_catalog.json_build_array(n.nspname, c.relname, \
       case when r.rolsuper then 'superuser' when r.rolbypassrls then 'bypassrls' else 'owner' end, \
       pg_catalog.pg_get_userbyid(c.relowner), \
       pg_catalog.json_build_array(pg_catalog.pg_stat_get_xact_blocks_fetched(c.oid), \
         pg_catalog.pg_stat_get_xact_numscans(c.oid), pg_catalog.pg_stat_get_xact_tuples_returned(c.oid), \
         pg_catalog.pg_stat_get_xact_tuples_fetched(c.oid), pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid), \
         pg_catalog.pg_stat_get_xact_tuples_updated(c.oid), pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid)), \
       (select pg_catalog.json_agg(pg_catalog.json_build_array(pg_catalog.pg_stat_get_xact_blocks_fetched(i.indexrelid), \
          pg_catalog.pg_stat_get_xact_numscans(i.indexrelid))) \
        from pg_catalog.pg_index i where i.indrelid OPERATOR(pg_catalog.=) c.oid))) \
     from pg_catalog.pg_class c \
     join pg_catalog.pg_namespace n on n.oid OPERATOR(pg_catalog.=) c.relnamespace \
     cross join (select a.rolsuper, a.rolbypassrls from pg_catalog.pg_roles a \
       where a.rolname OPERATOR(pg_catalog.=) current_user) r \
     where c.relrowsecurity \
       and (c.relkind OPERATOR(pg_catalog.=) 'r' or c.relkind OPERATOR(pg_catalog.=) 'p') \
       and (r.rolsuper or r.rolbypassrls \
            or (not c.relforcerowsecurity and pg_catalog.pg_has_role(c.relowner, 'USAGE'))))"
}

/// The state statement: one row, all text. `settings`: the step's own `as.settings` names;
/// `rls`: also read the access counters of RLS tables the effective role bypasses.
pub fn state_sql(settings: &[String], rls: bool) -> String {
    let mut cols = vec![
        "pg_catalog.now()".to_string(),
        "current_user".to_string(),
        "session_user".to_string(),
        "pg_catalog.current_setting('role')".to_string(),
        "pg_catalog.current_setting('request.jwt.claims', true)".to_string(),
    ];
    for w in WATCHED {
        cols.push(format!("pg_catalog.current_setting('{w}')"));
    }
    for s in settings {
        cols.push(format!(
            "pg_catalog.current_setting({}, true)",
            quote_literal(s)
        ));
    }
    cols.push(if rls { touched_sql() } else { "null" }.to_string());
    format!("select {}", cols.join(", "))
}

/// One read of the session's state.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
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
    /// RLS tables the effective role bypasses, with their access counters.
    pub touched: Vec<Touched>,
}

/// An RLS table the effective role is not bound by, and how much it had been accessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Touched {
    pub schema: String,
    pub name: String,
    /// `superuser`, `bypassrls` or `owner`.
    pub reason: String,
    pub owner: String,
    pub count: i64,
}

impl State {
    /// Reads the row `state_sql(settings, _)` returned.
    pub fn from_messages(
        msgs: &[SimpleQueryMessage],
        settings: &[String],
    ) -> Result<State, String> {
        let row = msgs
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .ok_or("the state query returned no row")?;
        let get = |i: usize| row.get(i).map(str::to_string);
        let req = |i: usize| get(i).unwrap_or_default();
        let n = 5 + WATCHED.len();
        let touched = match get(n + settings.len()) {
            None => Vec::new(),
            Some(j) => parse_touched(&j)?,
        };
        Ok(State {
            tx_start: req(0),
            current_user: req(1),
            session_user: req(2),
            role: req(3),
            claims: get(4),
            watched: (5..n).map(req).collect(),
            settings: settings
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), get(n + i)))
                .collect(),
            touched,
        })
    }

    /// What differs from `other` (`earlier` → `self`), outside the access counters: one text
    /// per difference, e.g. "current_user changed from authenticated to postgres".
    pub fn changes_since(&self, earlier: &State) -> Vec<String> {
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
    pub fn guard_changes_since(&self, baseline: &State) -> Vec<String> {
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

    fn watched_changes(&self, earlier: &State, out: &mut Vec<String>) {
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

    /// RLS tables (bypassed by the effective role) whose access counters moved since `before`.
    pub fn touched_since<'a>(&'a self, before: &State) -> Vec<&'a Touched> {
        self.touched
            .iter()
            .filter(|t| {
                let was = before
                    .touched
                    .iter()
                    .find(|b| b.schema == t.schema && b.name == t.name)
                    .map_or(0, |b| b.count);
                t.count != was
            })
            .collect()
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

/// `[[schema, name, reason, owner, [counters...], [[index counters...], ...] | null], ...]`.
fn parse_touched(j: &str) -> Result<Vec<Touched>, String> {
    let v: Value =
        serde_json::from_str(j).map_err(|e| format!("could not read the access counters: {e}"))?;
    let sum = |v: &Value| -> i64 {
        fn go(v: &Value) -> i64 {
            match v {
                Value::Number(n) => n.as_i64().unwrap_or(0),
                Value::Array(a) => a.iter().map(go).sum(),
                _ => 0,
            }
        }
        go(v)
    };
    Ok(v.as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let s = |i: usize| r.get(i)?.as_str().map(str::to_string);
                    Some(Touched {
                        schema: s(0)?,
                        name: s(1)?,
                        reason: s(2)?,
                        owner: s(3)?,
                        count: sum(r.get(4)?) + r.get(5).map_or(0, sum),
                    })
                })
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
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
            touched: Vec::new(),
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
    fn touched_tables_are_the_ones_whose_counters_moved() {
        let t = parse_touched(
            r#"[["public","notes","owner","app",[1,1,0,0,0,0,0],[[1,1]]],["public","b","superuser","x",[0,0,0,0,0,0,0],null]]"#,
        )
        .unwrap();
        assert_eq!(t[0].count, 4);
        assert_eq!(t[1].count, 0);
        let mut before = state();
        before.touched = t.clone();
        let mut after = before.clone();
        assert!(after.touched_since(&before).is_empty());
        after.touched[1].count = 3;
        let moved = after.touched_since(&before);
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].name, "b");
        assert!(state_sql(&["app.x".into()], true).contains("pg_roles a where a.rolname"));
        assert!(state_sql(&["a'b".into()], false).contains("'a''b'"));
    }
}
