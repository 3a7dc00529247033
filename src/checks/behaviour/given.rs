//! What a behaviour check is given before its own setup: the rows its personas need
//! (`[personas.NAME] rows = [...]`), the fixtures it uses (`use = ["tickets"]`, composable) and
//! frozen time (`at = "2026-01-01T00:00:00Z"`). Owns the declarations (personas, fixtures), their
//! resolution for one check, and sending them in the check's rolled-back transaction (persona
//! rows as one bind parameter per row into quoted identifiers; fixtures statement by statement
//! through the same parsed-and-refused path as setup). Must not read files, commit, or end the
//! transaction.

use std::collections::{BTreeMap, HashSet};
use std::pin::Pin;

use futures_util::future::join_all;
use futures_util::Future;
use serde::Deserialize;
use tokio_postgres::Client;

use super::expect::{Got, Scalar};
use super::r#as::As;
use super::safety::statements;
use super::sqlstate::describe_error;
use super::steps::{exec_text, send_one, SqlList};
use crate::checks::names::{qualify, Names};
use crate::checks::validator::Validator;
use crate::db::quote_ident;
use crate::findings::Location;

/// `[personas.NAME]` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaSpec {
    /// What the persona stands for (documentation only).
    pub description: Option<String>,
    /// The database role its steps run as (`SET LOCAL ROLE`).
    pub role: String,
    /// Its JWT claims (`request.jwt.claims`); `role` defaults to `role`.
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// Other settings, as in `as = { settings = {...} }`.
    #[serde(default)]
    pub settings: BTreeMap<String, Scalar>,
    /// Rows the persona needs (its `auth.users` row...), inserted before the check's setup.
    #[serde(default)]
    pub rows: Vec<RowSpec>,
}

/// One row a persona needs: `{ table = "auth.users", values = { id = "...", email = "..." } }`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowSpec {
    pub table: String,
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// `[fixtures.NAME]` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixtureSpec {
    pub description: Option<String>,
    /// The SQL (one text or a list), run as the connecting user.
    pub sql: Option<SqlList>,
    /// Or a file of SQL, relative to the check file.
    pub file: Option<String>,
    /// Fixtures applied first.
    #[serde(rename = "use")]
    pub uses: Option<Names>,
    /// Personas whose `rows` the fixture needs (people who own data without acting in the
    /// check): inserted with the rows of the personas the check runs as, each once, before
    /// any fixture. A fixture may give only `personas`.
    pub personas: Option<Names>,
}

/// A declared persona.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    pub name: String,
    pub role: String,
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    pub settings: BTreeMap<String, Scalar>,
    pub rows: Vec<RowSpec>,
    /// Where it was declared.
    pub at: Location,
}

/// One SQL text of a fixture and where its first line is.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureText {
    pub sql: String,
    /// File and line of the text's first line (the `sql` value, or line 1 of the `file`).
    pub at: Location,
}

/// A declared fixture.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixture {
    pub name: String,
    pub texts: Vec<FixtureText>,
    pub uses: Vec<String>,
    /// Personas whose rows it needs.
    pub personas: Vec<String>,
    /// Where it was declared.
    pub at: Location,
}

/// The personas and fixtures a check file can use (its own and those of the files it includes).
#[derive(Debug, Clone, Default)]
pub struct Defs {
    pub personas: BTreeMap<String, Persona>,
    pub fixtures: BTreeMap<String, Fixture>,
}

impl Defs {
    /// Fixture cycles and unknown fixtures named by fixtures: (fixture, message) pairs.
    pub fn fixture_problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for f in self.fixtures.values() {
            for u in &f.uses {
                if !self.fixtures.contains_key(u) {
                    out.push((f.name.clone(), self.unknown_fixture(u)));
                }
            }
            for p in &f.personas {
                if !self.personas.contains_key(p) {
                    out.push((f.name.clone(), self.unknown_persona(p)));
                }
            }
            if let Err(cycle) = self.expand(std::slice::from_ref(&f.name)) {
                if cycle.first() == Some(&f.name) {
                    out.push((
                        f.name.clone(),
                        format!("fixtures use each other in a cycle: {}", cycle.join(" → ")),
                    ));
                }
            }
        }
        out
    }

    pub fn unknown_fixture(&self, name: &str) -> String {
        let known: Vec<&str> = self.fixtures.keys().map(String::as_str).collect();
        unknown("fixture", name, &known)
    }

    pub fn unknown_persona(&self, name: &str) -> String {
        let known: Vec<&str> = self.personas.keys().map(String::as_str).collect();
        unknown("persona", name, &known)
    }

    /// The fixtures to apply for `names`, each after the fixtures it uses, each once; `Err`
    /// with the cycle (names) when fixtures use each other in a circle. Unknown names are
    /// skipped (reported by `fixture_problems` / the check's validation).
    pub fn expand(&self, names: &[String]) -> Result<Vec<&Fixture>, Vec<String>> {
        fn visit<'d>(
            defs: &'d Defs,
            name: &str,
            path: &mut Vec<String>,
            done: &mut HashSet<String>,
            out: &mut Vec<&'d Fixture>,
        ) -> Result<(), Vec<String>> {
            if done.contains(name) {
                return Ok(());
            }
            if let Some(i) = path.iter().position(|p| p == name) {
                let mut cycle = path[i..].to_vec();
                cycle.push(name.to_string());
                return Err(cycle);
            }
            let Some(f) = defs.fixtures.get(name) else {
                return Ok(());
            };
            path.push(name.to_string());
            for u in &f.uses {
                visit(defs, u, path, done, out)?;
            }
            path.pop();
            done.insert(name.to_string());
            out.push(f);
            Ok(())
        }
        let mut out = Vec::new();
        let mut done = HashSet::new();
        for n in names {
            visit(self, n, &mut Vec::new(), &mut done, &mut out)?;
        }
        Ok(out)
    }
}

fn unknown(what: &str, name: &str, known: &[&str]) -> String {
    let hint = match crate::words::closest(name, known.iter().copied()) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None if known.is_empty() => format!(" (no {what}s are declared: write [{what}s.{name}] in this file or in a file it includes)"),
        None => format!(" ({what}s declared: {})", known.join(", ")),
    };
    format!("unknown {what} `{name}`{hint}")
}

/// `use = [...]` and `at = "..."` of a behaviour check, and what the loader resolved them (and
/// the check's personas) to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Given {
    /// Persona rows: (persona, table, columns, values as one JSON object).
    pub rows: Vec<PersonaRow>,
    /// Fixture statements in order: (label naming the fixture and file:line, statement).
    pub fixtures: Vec<(String, String)>,
    /// Frozen time, normalized (`2026-01-01T00:00:00.000000Z`).
    pub at: Option<String>,
}

/// One row a persona needs, ready to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaRow {
    pub label: String,
    pub sql: String,
    pub json: String,
}

/// The keys of a behaviour check the loader resolves: its `as` values (key path, value), `use`
/// and `at`, and where to put the result.
pub struct GivenRefs<'a> {
    pub as_: Vec<(String, &'a mut As)>,
    pub uses: Option<&'a Names>,
    pub at: Option<&'a String>,
    pub given: &'a mut Given,
}

impl<'a> GivenRefs<'a> {
    /// A check with one `as` (at key `as`).
    pub fn single(
        as_: Option<&'a mut As>,
        uses: Option<&'a Names>,
        at: Option<&'a String>,
        given: &'a mut Given,
    ) -> GivenRefs<'a> {
        GivenRefs {
            as_: as_.map(|a| ("as".to_string(), a)).into_iter().collect(),
            uses,
            at,
            given,
        }
    }

    /// Resolve personas (in `as`), fixtures (`use`) and frozen time (`at`) against `defs`,
    /// reporting problems by key path.
    pub fn resolve(self, defs: &Defs, v: &mut Validator) {
        let mut used: Vec<&Persona> = Vec::new();
        for (path, a) in self.as_ {
            let named = a.persona.clone();
            let Some(name) = named else { continue };
            if a.explicit_persona && a.role.is_some() {
                v.error(
                    &join(&path, "role"),
                    "give `persona` or `role`, not both (the persona names its role)",
                    None,
                );
                continue;
            }
            match defs.personas.get(&name) {
                Some(p) => {
                    a.apply(p);
                    if !used.iter().any(|u| u.name == p.name) {
                        used.push(p);
                    }
                }
                None if a.explicit_persona => {
                    v.error(&join(&path, "persona"), defs.unknown_persona(&name), None)
                }
                None => {
                    // A bare name that is no persona is a role; a near miss of a persona is a typo.
                    let known: Vec<&str> = defs.personas.keys().map(String::as_str).collect();
                    if let Some(c) = crate::words::closest(&name, known.iter().copied()) {
                        v.error(
                            &path,
                            format!("unknown persona `{name}` (did you mean `{c}`?)"),
                            Some(format!(
                                "for the database role `{name}` write as = {{ role = \"{name}\" }}"
                            )),
                        );
                    }
                    a.persona = None;
                }
            }
        }
        // Fixtures first: the personas they name join the rows inserted before them.
        let mut fixtures: Vec<&Fixture> = Vec::new();
        if let Some(names) = self.uses {
            let mut ok = true;
            for (i, n) in names.iter().enumerate() {
                if !defs.fixtures.contains_key(n) {
                    let path = if names.len() == 1 {
                        "use".to_string()
                    } else {
                        format!("use.{i}")
                    };
                    v.error(&path, defs.unknown_fixture(n), None);
                    ok = false;
                }
            }
            let wanted: Vec<String> = names.iter().map(str::to_string).collect();
            match defs.expand(&wanted) {
                Ok(list) if ok => fixtures = list,
                Ok(_) => {}
                Err(cycle) => v.error(
                    "use",
                    format!("fixtures use each other in a cycle: {}", cycle.join(" → ")),
                    None,
                ),
            }
        }
        for f in &fixtures {
            for name in &f.personas {
                if let Some(p) = defs.personas.get(name) {
                    if !used.iter().any(|u| u.name == p.name) {
                        used.push(p);
                    }
                }
            }
        }
        for p in used {
            for (i, r) in p.rows.iter().enumerate() {
                let label = format!(
                    "persona `{}` row {} ({}, declared at {}:{})",
                    p.name,
                    i + 1,
                    r.table,
                    p.at.file.display(),
                    p.at.line
                );
                self.given.rows.push(PersonaRow {
                    label,
                    sql: insert_sql(&r.table, &r.values),
                    json: serde_json::Value::Object(r.values.clone()).to_string(),
                });
            }
        }
        for f in fixtures {
            for t in &f.texts {
                push_fixture_statements(&mut self.given.fixtures, f, t, v);
            }
        }
        if let Some(at) = self.at {
            match frozen_time(at) {
                Ok(t) => self.given.at = Some(t),
                Err(e) => v.error("at", e, Some("e.g. at = \"2026-01-01T00:00:00Z\" (RFC 3339) or at = \"2026-01-01\" (midnight UTC)".into())),
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    super::r#as::join_path(path, key)
}

/// A fixture text's statements, each labelled with the fixture and its file:line. A text the
/// safety path refuses is a problem of the check using it (the fixture's own location is named).
fn push_fixture_statements(
    out: &mut Vec<(String, String)>,
    f: &Fixture,
    t: &FixtureText,
    v: &mut Validator,
) {
    let key = format!("fixtures.{}", f.name);
    match statements(&key, &t.sql) {
        Ok(stmts) => {
            let starts: Vec<usize> = crate::sqltext::parse(&t.sql)
                .map(|s| s.iter().map(|s| s.start).collect())
                .unwrap_or_default();
            for (i, s) in stmts.into_iter().enumerate() {
                let line = starts
                    .get(i)
                    .map(|b| t.sql[..*b].matches('\n').count())
                    .unwrap_or(0)
                    + t.at.line;
                out.push((
                    format!("fixture `{}` ({}:{line})", f.name, t.at.file.display()),
                    s,
                ));
            }
        }
        Err(why) => v.error(
            "use",
            format!(
                "fixture `{}` (declared at {}:{}): {why}",
                f.name,
                f.at.file.display(),
                f.at.line
            ),
            None,
        ),
    }
}

/// `insert into "s"."t" ("a", "b") select "a", "b" from json_populate_record(null::"s"."t", $1::json)`:
/// identifiers quoted, values one JSON bind parameter converted by PostgreSQL to the columns'
/// types; columns not listed keep their defaults.
pub fn insert_sql(table: &str, values: &serde_json::Map<String, serde_json::Value>) -> String {
    let q = qualify("public", table);
    let rel = format!("{}.{}", quote_ident(&q.schema), quote_ident(&q.name));
    let cols: Vec<String> = values.keys().map(|k| quote_ident(k)).collect();
    let cols = cols.join(", ");
    format!(
        "insert into {rel} ({cols}) select {cols} from pg_catalog.json_populate_record(null::{rel}, $1::pg_catalog.json)"
    )
}

/// `at` normalized to UTC with microseconds (only digits and `-:.TZ`: safe to write into SQL).
/// Accepted: an RFC 3339 timestamp (date and time separated by `T`, `t` or a space; offset `Z`
/// or `±hh:mm`) or a date `YYYY-MM-DD` (midnight UTC).
pub fn frozen_time(at: &str) -> Result<String, String> {
    use time::format_description::well_known::Rfc3339;
    let t = at.trim();
    let refused = || format!("`at` is not a timestamp: `{at}`");
    // time's RFC 3339 parser takes any byte between date and time; RFC 3339 names these.
    let separator_ok = matches!(t.as_bytes().get(10), Some(b'T' | b't' | b' '));
    let parsed = match time::OffsetDateTime::parse(t, &Rfc3339) {
        Ok(d) if separator_ok => d.to_offset(time::UtcOffset::UTC),
        _ => time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| refused())?
            .midnight()
            .assume_utc(),
    };
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        parsed.year(),
        u8::from(parsed.month()),
        parsed.day(),
        parsed.hour(),
        parsed.minute(),
        parsed.second(),
        parsed.microsecond()
    ))
}

/// Schema holding the frozen clock functions, created in the check's savepoint (rolled back).
pub const CLOCK_SCHEMA: &str = "deskctl_frozen_clock";

/// SQL freezing `now()`, `transaction_timestamp()` and `statement_timestamp()` at `at` (already
/// normalized by `frozen_time`): functions of the same names in a schema put before
/// `pg_catalog` in `search_path`, for SQL parsed from then on.
pub fn clock_sql(at: &str) -> String {
    debug_assert!(at
        .chars()
        .all(|c| c.is_ascii_digit() || "-:.TZ".contains(c)));
    let mut sql =
        format!("create schema {CLOCK_SCHEMA}; grant usage on schema {CLOCK_SCHEMA} to public; ");
    for f in ["now", "transaction_timestamp", "statement_timestamp"] {
        sql.push_str(&format!(
            "create function {CLOCK_SCHEMA}.{f}() returns timestamptz language sql immutable parallel safe as $deskctl$ select '{at}'::pg_catalog.timestamptz $deskctl$; "
        ));
    }
    sql.push_str(&format!(
        "select pg_catalog.set_config('search_path', '{CLOCK_SCHEMA}, pg_catalog, ' || pg_catalog.current_setting('search_path'), true)"
    ));
    sql
}

type Sent<'a> = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send + 'a>>;

/// Send what the check is given, then its setup statements, pipelined in order (one round trip),
/// as the connecting user: frozen time, persona rows, fixtures, setup. The first real error,
/// naming what failed (`fixture `tickets` (checks.toml:14): 23505 ...`).
pub async fn send_given(
    client: &Client,
    given: &Given,
    setup_key: &str,
    setup: &[String],
) -> Result<(), String> {
    let clock = given.at.as_deref().map(clock_sql);
    let mut labels: Vec<String> = Vec::new();
    let mut futs: Vec<Sent<'_>> = Vec::new();
    if let Some(sql) = &clock {
        labels.push(format!(
            "freezing time at {}",
            given.at.as_deref().unwrap_or("")
        ));
        futs.push(Box::pin(async move { client.batch_execute(sql).await }));
    }
    for r in &given.rows {
        labels.push(r.label.clone());
        futs.push(Box::pin(async move {
            exec_text(client, &r.sql, std::slice::from_ref(&r.json))
                .await
                .map(|_| ())
        }));
    }
    for (label, s) in &given.fixtures {
        labels.push(label.clone());
        futs.push(Box::pin(
            async move { send_one(client, s).await.map(|_| ()) },
        ));
    }
    for s in setup {
        labels.push(setup_key.to_string());
        futs.push(Box::pin(
            async move { send_one(client, s).await.map(|_| ()) },
        ));
    }
    if futs.is_empty() {
        return Ok(());
    }
    let results = join_all(futs).await;
    let mut first: Option<(usize, Got)> = None;
    for (i, r) in results.iter().enumerate() {
        if let Err(e) = r {
            let g = Got::from_error(e);
            let aborted = g.error_code() == Some("25P02");
            let replace = match &first {
                None => true,
                Some((_, f)) => !aborted && f.error_code() == Some("25P02"),
            };
            if replace {
                first = Some((i, g));
            }
        }
    }
    match first {
        Some((i, Got::Error { code, message })) => {
            let what = describe_error(&code, &message);
            if labels[i] == setup_key && given.rows.is_empty() && given.fixtures.is_empty() {
                Err(what)
            } else {
                Err(format!("{}: {what}", labels[i]))
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str, uses: &[&str]) -> Fixture {
        Fixture {
            name: name.into(),
            texts: vec![FixtureText {
                sql: format!("insert into {name} values (1);\ninsert into {name} values (2)"),
                at: Location {
                    file: "c.toml".into(),
                    line: 10,
                    col: 7,
                },
            }],
            uses: uses.iter().map(|s| s.to_string()).collect(),
            personas: Vec::new(),
            at: Location {
                file: "c.toml".into(),
                line: 9,
                col: 1,
            },
        }
    }

    fn defs(fs: &[Fixture]) -> Defs {
        Defs {
            personas: BTreeMap::new(),
            fixtures: fs.iter().map(|f| (f.name.clone(), f.clone())).collect(),
        }
    }

    #[test]
    fn fixtures_expand_in_dependency_order_once() {
        let d = defs(&[
            fixture("users", &[]),
            fixture("tickets", &["users"]),
            fixture("messages", &["tickets", "users"]),
        ]);
        let got: Vec<&str> = d
            .expand(&["messages".into(), "users".into()])
            .unwrap()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(got, ["users", "tickets", "messages"]);
        assert!(d.fixture_problems().is_empty());
    }

    #[test]
    fn cycles_and_unknown_fixtures_are_problems() {
        let d = defs(&[
            fixture("a", &["b"]),
            fixture("b", &["a"]),
            fixture("c", &["nope"]),
        ]);
        assert_eq!(d.expand(&["a".into()]).unwrap_err(), ["a", "b", "a"]);
        let p = d.fixture_problems();
        assert!(
            p.iter()
                .any(|(f, m)| f == "a" && m.contains("cycle: a → b → a")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|(f, m)| f == "c" && m.contains("unknown fixture `nope`")),
            "{p:?}"
        );
    }

    #[test]
    fn fixture_statements_carry_their_line() {
        let d = defs(&[fixture("users", &[])]);
        let names = Names(vec!["users".into()]);
        let mut given = Given::default();
        let mut v = Validator::default();
        GivenRefs {
            as_: Vec::new(),
            uses: Some(&names),
            at: None,
            given: &mut given,
        }
        .resolve(&d, &mut v);
        assert!(v.is_empty(), "{:?}", v.problems);
        assert_eq!(
            given.fixtures,
            vec![
                (
                    "fixture `users` (c.toml:10)".to_string(),
                    "insert into users values (1)".to_string()
                ),
                (
                    "fixture `users` (c.toml:11)".to_string(),
                    "insert into users values (2)".to_string()
                ),
            ]
        );
    }

    fn persona(name: &str) -> Persona {
        let mut values = serde_json::Map::new();
        values.insert("id".into(), name.into());
        Persona {
            name: name.into(),
            role: "authenticated".into(),
            claims: None,
            settings: BTreeMap::new(),
            rows: vec![RowSpec {
                table: "auth.users".into(),
                values,
            }],
            at: Location {
                file: "c.toml".into(),
                line: 2,
                col: 1,
            },
        }
    }

    #[test]
    fn fixtures_bring_the_rows_of_their_personas_first_once() {
        let mut sessions = fixture("sessions", &["people"]);
        sessions.personas = vec!["bob".into()];
        let mut people = fixture("people", &[]);
        people.texts.clear();
        people.personas = vec!["alice".into(), "bob".into()];
        let mut d = defs(&[people, sessions]);
        for p in ["alice", "bob", "carol"] {
            d.personas.insert(p.into(), persona(p));
        }
        assert!(d.fixture_problems().is_empty());
        let names = Names(vec!["sessions".into()]);
        let mut carol = As {
            persona: Some("carol".into()),
            ..Default::default()
        };
        let mut given = Given::default();
        let mut v = Validator::default();
        GivenRefs::single(Some(&mut carol), Some(&names), None, &mut given).resolve(&d, &mut v);
        assert!(v.is_empty(), "{:?}", v.problems);
        // The persona the check runs as, then those of the fixtures in their order, each once.
        let who: Vec<&str> = given.rows.iter().map(|r| r.json.as_str()).collect();
        assert_eq!(
            who,
            [r#"{"id":"carol"}"#, r#"{"id":"alice"}"#, r#"{"id":"bob"}"#]
        );
        assert!(given.rows[1].label.starts_with("persona `alice` row 1"));
        // Only `sessions` has SQL; `people` adds rows and no statement.
        assert_eq!(given.fixtures.len(), 2);
        assert!(given
            .fixtures
            .iter()
            .all(|(l, _)| l.starts_with("fixture `sessions`")));

        d.fixtures
            .get_mut("people")
            .unwrap()
            .personas
            .push("dave".into());
        let p = d.fixture_problems();
        assert!(
            p.iter()
                .any(|(f, m)| f == "people" && m.contains("unknown persona `dave`")),
            "{p:?}"
        );
    }

    #[test]
    fn persona_rows_are_quoted_and_bound() {
        let mut values = serde_json::Map::new();
        values.insert("id".into(), "x'); drop table t; --".into());
        values.insert("We\"ird".into(), 1.into());
        let sql = insert_sql("auth.users", &values);
        assert_eq!(
            sql,
            "insert into \"auth\".\"users\" (\"We\"\"ird\", \"id\") select \"We\"\"ird\", \"id\" from pg_catalog.json_populate_record(null::\"auth\".\"users\", $1::pg_catalog.json)"
        );
        assert!(!sql.contains("drop table"));
    }

    #[test]
    fn frozen_time_is_normalized_or_refused() {
        assert_eq!(
            frozen_time("2026-01-01T01:00:00+01:00").unwrap(),
            "2026-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            frozen_time("2026-03-04").unwrap(),
            "2026-03-04T00:00:00.000000Z"
        );
        assert!(frozen_time("2026-01-01'; drop table x; --").is_err());
        assert!(frozen_time("tomorrow").is_err());
        for (input, want) in [
            (" 2026-01-02 03:04:05+02:00 ", "2026-01-02T01:04:05.000000Z"),
            (
                "2026-01-02t03:04:05.1234567z",
                "2026-01-02T03:04:05.123456Z",
            ),
            ("2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000000Z"),
        ] {
            assert_eq!(frozen_time(input).as_deref(), Ok(want), "{input}");
        }
        for bad in [
            "2026-01-02x03:04:05Z",
            "2026-01-02T03:04:05",
            "2026-02-30",
            "2026-01-02T25:00:00Z",
            "2026-01-02; select 1",
        ] {
            assert!(frozen_time(bad).is_err(), "{bad}");
        }
        let sql = clock_sql("2026-01-01T00:00:00.000000Z");
        assert!(sql.contains("deskctl_frozen_clock.now()"), "{sql}");
    }
}
