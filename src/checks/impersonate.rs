//! Shared by the behaviour kinds (`immutable`, `scenario`, `rejects`, `sql`): who SQL runs as
//! (`as` = role + JWT claims + settings), what a step expects and how a result is compared, the
//! safety rules checked against the snapshot BEFORE impersonating (no superuser / BYPASSRLS /
//! non-forced owner where the expectation depends on RLS), the ban on transaction control in
//! user SQL, and running steps on the client pipelined inside savepoints. Must not commit or end
//! the transaction, open connections, or read the catalog (the snapshot is given).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::model::{closest, Ctx, Validator};
use super::Outcome;
use crate::catalog::{Relation, Snapshot};
use crate::db::quote_ident;

// ---------------------------------------------------------------------------------------------
// `as`: role, claims, settings, bypass
// ---------------------------------------------------------------------------------------------

/// Who a step runs as. `as = "anon"` or `as = { role, claims = {...}, settings = {...}, bypass }`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct As {
    /// `SET LOCAL ROLE` to this role; `None`: the connecting user.
    pub role: Option<String>,
    /// `request.jwt.claims` (JSON object). The `role` claim defaults to `role`.
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// Other settings, `set_config(name, value, true)`.
    pub settings: BTreeMap<String, Scalar>,
    /// The step expects to bypass RLS (superuser, BYPASSRLS, or the owner of a table without
    /// FORCE ROW LEVEL SECURITY): do not refuse it.
    pub bypass: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AsTable {
    role: Option<String>,
    claims: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    settings: BTreeMap<String, Scalar>,
    #[serde(default)]
    bypass: bool,
}

impl From<AsTable> for As {
    fn from(t: AsTable) -> As {
        As {
            role: t.role,
            claims: t.claims,
            settings: t.settings,
            bypass: t.bypass,
        }
    }
}

impl<'de> Deserialize<'de> for As {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AsVisitor)
    }
}

struct AsVisitor;

impl<'de> Visitor<'de> for AsVisitor {
    type Value = As;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a role name or a table { role, claims, settings, bypass }")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<As, E> {
        Ok(As {
            role: Some(v.to_string()),
            ..Default::default()
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<As, A::Error> {
        AsTable::deserialize(de::value::MapAccessDeserializer::new(map)).map(As::from)
    }
}

/// One `as` or a list of them: `as = "anon"`, `as = ["owner", { role = "authenticated" }]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AsList(pub Vec<As>);

impl<'de> Deserialize<'de> for AsList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AsList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a role name, a table { role, claims, ... } or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AsList, E> {
                AsVisitor.visit_str(v).map(|a| AsList(vec![a]))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AsList, A::Error> {
                AsVisitor.visit_map(map).map(|a| AsList(vec![a]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AsList, A::Error> {
                let mut out = Vec::new();
                while let Some(a) = seq.next_element::<As>()? {
                    out.push(a);
                }
                Ok(AsList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Settings that must not be given under `settings` (they have their own keys or would undo
/// the impersonation).
const RESERVED_SETTINGS: &[&str] = &["role", "session_authorization", "request.jwt.claims"];

impl As {
    /// The claims JSON to set: the given claims, with `role` defaulting to the role. `None`
    /// when neither a role nor claims are given (the connecting user's claims are left alone).
    pub fn claims_json(&self, role: Option<&str>) -> Option<String> {
        if self.claims.is_none() && role.is_none() {
            return None;
        }
        let mut m = self.claims.clone().unwrap_or_default();
        if let Some(r) = role {
            m.entry("role".to_string())
                .or_insert_with(|| serde_json::Value::String(r.to_string()));
        }
        Some(serde_json::Value::Object(m).to_string())
    }

    /// `authenticated (sub 0000…0001)`, `anon`, `the connecting user (postgres)`.
    pub fn label(&self, snap: &Snapshot) -> String {
        let who = match &self.role {
            Some(r) => r.clone(),
            None => format!("the connecting user ({})", snap.current_user),
        };
        match self
            .claims
            .as_ref()
            .and_then(|c| c.get("sub"))
            .map(|s| match s {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }) {
            Some(sub) => format!("{who} (sub {sub})"),
            None => who,
        }
    }

    pub fn validate(&self, v: &mut Validator, path: &str) {
        let at = |k: &str| join_path(path, k);
        if let Some(r) = &self.role {
            if r.trim().is_empty() {
                v.error(&at("role"), "`role` is empty", None);
            }
        }
        for name in self.settings.keys() {
            let p = at(&format!("settings.{name}"));
            if RESERVED_SETTINGS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(name))
            {
                let hint = if name.eq_ignore_ascii_case("request.jwt.claims") {
                    "write the claims as `claims = { sub = \"...\" }`"
                } else {
                    "give the role as `role = \"...\"`"
                };
                v.error(
                    &p,
                    format!("`{name}` cannot be given under `settings`"),
                    Some(hint.to_string()),
                );
            } else if !valid_setting_name(name) {
                v.error(
                    &p,
                    format!("`{name}` is not a setting name"),
                    Some("e.g. settings = { \"request.headers\" = '{\"x-forwarded-for\": \"10.0.0.1\"}' }".into()),
                );
            }
        }
    }
}

fn valid_setting_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut cs = part.chars();
            cs.next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

pub fn join_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars and expectations
// ---------------------------------------------------------------------------------------------

/// A value written in a check file, compared with a value PostgreSQL returned as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean, a number or a text (dates and times are written as text)")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v)
                    .map(Scalar::Int)
                    .unwrap_or(Scalar::Float(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(t) => write!(f, "{t}"),
        }
    }
}

impl Scalar {
    /// As a setting value.
    pub fn setting_text(&self) -> String {
        match self {
            Scalar::Bool(b) => if *b { "on" } else { "off" }.to_string(),
            other => other.to_string(),
        }
    }

    /// Does PostgreSQL's text output `actual` (None = NULL) equal this value? Booleans match
    /// `t`/`true`/`f`/`false`, numbers compare numerically (`3` = `3.00`), texts exactly, and
    /// the text `NULL` matches SQL NULL.
    pub fn matches(&self, actual: Option<&str>) -> bool {
        let Some(a) = actual else {
            return matches!(self, Scalar::Text(t) if t == "NULL");
        };
        match self {
            Scalar::Text(t) => t == a,
            Scalar::Bool(b) => parse_bool(a) == Some(*b),
            Scalar::Int(i) => match a.trim().parse::<i128>() {
                Ok(x) => x == *i as i128,
                Err(_) => a.trim().parse::<f64>().is_ok_and(|x| x == *i as f64),
            },
            Scalar::Float(f) => a
                .trim()
                .parse::<f64>()
                .is_ok_and(|x| x == *f || (x - f).abs() <= 1e-9 * f.abs().max(x.abs()).max(1.0)),
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "t" | "true" => Some(true),
        "f" | "false" => Some(false),
        _ => None,
    }
}

/// What one step expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE) by the last statement.
    Rows(u64),
    /// Exactly these rows, compared as text (in order when `ordered`).
    Exact {
        rows: Vec<Vec<Scalar>>,
        ordered: bool,
    },
    /// One row of one column, equal to this.
    Value(Scalar),
    /// No error.
    Ok,
    /// An error with this SQLSTATE (and a message containing `message`, case-insensitive).
    Error {
        code: String,
        message: Option<String>,
    },
}

impl Expect {
    /// Whether a pass could come from rows RLS hid or let through (everything except an
    /// expected error: an owner or superuser never gets an RLS error, so expecting one cannot
    /// pass by bypassing RLS).
    pub fn depends_on_rls(&self) -> bool {
        !matches!(self, Expect::Error { .. })
    }
}

/// The expectation keys of a step, as written (shared by the kinds' structs).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExpectKeys<'a> {
    pub expect_rows: Option<u64>,
    pub rows: Option<&'a Vec<Vec<Scalar>>>,
    pub ordered: Option<bool>,
    pub expect: Option<&'a Scalar>,
    pub expect_ok: Option<bool>,
    pub expect_error: Option<&'a str>,
    pub message: Option<&'a str>,
}

impl ExpectKeys<'_> {
    pub fn validate(&self, v: &mut Validator, path: &str) {
        let given = [
            self.expect_rows.is_some(),
            self.rows.is_some(),
            self.expect.is_some(),
            self.expect_ok.is_some(),
            self.expect_error.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if given != 1 {
            v.error(
                path,
                format!(
                    "{}give exactly one of `expect_rows`, `rows`, `expect`, `expect_ok` or `expect_error`",
                    if path.is_empty() { String::new() } else { format!("`{path}`: ") }
                ),
                Some(
                    "e.g. expect_rows = 1, rows = [[\"a\", 1]], expect = true, expect_ok = true or expect_error = \"42501\""
                        .into(),
                ),
            );
        }
        if self.expect_ok == Some(false) {
            v.error(
                &join_path(path, "expect_ok"),
                "`expect_ok = false` is not an expectation",
                Some(
                    "to expect a failure write expect_error = \"<SQLSTATE>\", e.g. \"42501\""
                        .into(),
                ),
            );
        }
        if self.message.is_some() && self.expect_error.is_none() {
            v.not_here(&join_path(path, "message"), "only goes with `expect_error`");
        }
        if self.ordered.is_some() && self.rows.is_none() {
            v.not_here(&join_path(path, "ordered"), "only goes with `rows`");
        }
        if let Some(code) = self.expect_error {
            validate_sqlstate(v, &join_path(path, "expect_error"), code);
        }
    }

    /// The expectation (after validation).
    pub fn build(&self) -> Expect {
        if let Some(n) = self.expect_rows {
            Expect::Rows(n)
        } else if let Some(r) = self.rows {
            Expect::Exact {
                rows: r.clone(),
                ordered: self.ordered.unwrap_or(false),
            }
        } else if let Some(s) = self.expect {
            Expect::Value(s.clone())
        } else if let Some(code) = self.expect_error {
            Expect::Error {
                code: sqlstate_code(code).unwrap_or(code).to_string(),
                message: self.message.map(str::to_string),
            }
        } else {
            Expect::Ok
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SQLSTATEs
// ---------------------------------------------------------------------------------------------

/// Condition names accepted in place of SQLSTATE codes (and shown next to codes).
pub const SQLSTATES: &[(&str, &str)] = &[
    ("23000", "integrity_constraint_violation"),
    ("23001", "restrict_violation"),
    ("23502", "not_null_violation"),
    ("23503", "foreign_key_violation"),
    ("23505", "unique_violation"),
    ("23514", "check_violation"),
    ("23P01", "exclusion_violation"),
    ("42501", "insufficient_privilege"),
    ("42P01", "undefined_table"),
    ("42703", "undefined_column"),
    ("42883", "undefined_function"),
    ("42601", "syntax_error"),
    ("42704", "undefined_object"),
    ("42804", "datatype_mismatch"),
    ("44000", "with_check_option_violation"),
    ("P0001", "raise_exception"),
    ("P0002", "no_data_found"),
    ("P0003", "too_many_rows"),
    ("P0004", "assert_failure"),
    ("22001", "string_data_right_truncation"),
    ("22003", "numeric_value_out_of_range"),
    ("22004", "null_value_not_allowed"),
    ("22007", "invalid_datetime_format"),
    ("22012", "division_by_zero"),
    ("22023", "invalid_parameter_value"),
    ("22P02", "invalid_text_representation"),
    ("0A000", "feature_not_supported"),
    ("25006", "read_only_sql_transaction"),
    ("55P03", "lock_not_available"),
    ("57014", "query_canceled"),
    ("40001", "serialization_failure"),
    ("40P01", "deadlock_detected"),
];

/// A SQLSTATE code for a code or condition name (`"23505"`, `"unique_violation"`).
pub fn sqlstate_code(s: &str) -> Option<&str> {
    let t = s.trim();
    if t.len() == 5
        && t.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return Some(t);
    }
    SQLSTATES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(t))
        .map(|(c, _)| *c)
}

/// `23505 unique_violation` (or just the code when it has no name here).
pub fn sqlstate_text(code: &str) -> String {
    match SQLSTATES.iter().find(|(c, _)| *c == code) {
        Some((_, n)) => format!("{code} {n}"),
        None => code.to_string(),
    }
}

fn validate_sqlstate(v: &mut Validator, path: &str, s: &str) {
    if sqlstate_code(s).is_none() {
        let names: Vec<&str> = SQLSTATES.iter().map(|(_, n)| *n).collect();
        let hint = match closest(s, names.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "a SQLSTATE is 5 characters, digits and upper-case letters (\"23505\"), or a condition name (\"unique_violation\")".to_string(),
        };
        v.error(path, format!("`{s}` is not a SQLSTATE"), Some(hint));
    }
}

// ---------------------------------------------------------------------------------------------
// User SQL
// ---------------------------------------------------------------------------------------------

/// One SQL text or a list of them (run in order): `setup = "..."` or `setup = ["...", "..."]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlList(pub Vec<String>);

impl SqlList {
    pub fn joined(&self) -> String {
        self.0
            .iter()
            .map(|s| s.trim().trim_end_matches(';').trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(";\n")
    }
}

impl<'de> Deserialize<'de> for SqlList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SqlList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("SQL text or a list of SQL texts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SqlList, E> {
                Ok(SqlList(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SqlList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(SqlList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// User SQL must hold at least one statement and no transaction control: a COMMIT would make
/// the run's changes permanent, a ROLLBACK would end the protecting transaction.
pub fn validate_sql(v: &mut Validator, path: &str, sql: &str) {
    let stmts = crate::migrate::split::split(sql);
    if stmts.is_empty() {
        v.error(path, format!("`{path}` holds no SQL statement"), None);
        return;
    }
    for s in &stmts {
        let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
        let bad = s.transaction_control().or_else(|| match words.as_slice() {
            ["prepare", "transaction", ..] => Some("PREPARE TRANSACTION".to_string()),
            _ => None,
        });
        if let Some(word) = bad {
            v.error(
                path,
                format!("`{path}` contains {word}: behaviour checks run inside one transaction that deskctl always rolls back, and must not end it"),
                Some("remove the transaction control; use SAVEPOINT / ROLLBACK TO SAVEPOINT to undo part of a step".into()),
            );
        }
    }
}

/// Identifiers in SQL text outside literals and comments: unquoted ones lower-cased, quoted
/// ones as written.
pub fn identifiers(sql: &str) -> HashSet<String> {
    let b = sql.as_bytes();
    let mut out = HashSet::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'-' && next == Some(b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && next == Some(b'*') {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'\'' {
            i = crate::migrate::split::skip_quoted(b, i, b'\'', false);
        } else if c == b'"' {
            let end = crate::migrate::split::skip_quoted(b, i, b'"', false);
            // Without the closing quote (unterminated), everything to the end.
            let close = if end > i + 1 && b[end - 1] == b'"' {
                end - 1
            } else {
                end
            };
            let inner = &sql[i + 1..close];
            out.insert(inner.replace("\"\"", "\""));
            i = end;
        } else if c == b'$' {
            // Dollar quote: $$...$$ or $tag$...$tag$ (skipped); $1 parameters.
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j < b.len() && b[j] == b'$' && !b[i + 1..j].first().is_some_and(u8::is_ascii_digit) {
                let tag = &b[i..=j];
                let body = j + 1;
                i = b[body..]
                    .windows(tag.len())
                    .position(|w| w == tag)
                    .map(|p| body + p + tag.len())
                    .unwrap_or(b.len());
            } else {
                i = j.max(i + 1);
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let s = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            let word = &sql[s..i];
            if (word == "E" || word == "e") && b.get(i) == Some(&b'\'') {
                i = crate::migrate::split::skip_quoted(b, i, b'\'', true);
                continue;
            }
            out.insert(word.to_lowercase());
        } else {
            i += 1;
        }
    }
    out
}

/// Relations of the snapshot a query names (by any of the read schemas), views expanded to
/// the relations they read, transitively.
pub fn referenced_relations<'s>(snap: &'s Snapshot, sql: &str) -> Vec<&'s Relation> {
    let ids = identifiers(sql);
    let mut out: Vec<&Relation> = Vec::new();
    let mut stack: Vec<&Relation> = Vec::new();
    for id in &ids {
        for schema in &snap.scope {
            if let Some(r) = snap.relation_by(schema, id) {
                stack.push(r);
            }
        }
    }
    while let Some(r) = stack.pop() {
        if out.iter().any(|o| o.schema == r.schema && o.name == r.name) {
            continue;
        }
        if let Some(v) = &r.view {
            for d in &v.depends_on {
                if let Some(dr) = snap.relation(d) {
                    stack.push(dr);
                }
            }
        }
        out.push(r);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Safety: refuse before impersonating
// ---------------------------------------------------------------------------------------------

/// Whether `role` is `owner` itself or exercises its privileges (inheriting membership).
pub fn owns(snap: &Snapshot, role: &str, owner: &str) -> bool {
    role == owner || snap.effective_grantees(role).iter().any(|g| g == owner)
}

/// Why `role` would not be subject to RLS on `rel` (None: RLS applies).
pub fn rls_bypass_reason(snap: &Snapshot, role: &str, rel: &Relation, ctx: &Ctx) -> Option<String> {
    if !rel.rls_enabled {
        return None;
    }
    let info = snap.role(role)?;
    if info.superuser {
        return Some(format!(
            "{role} is a superuser, so RLS on {} does not apply to it",
            ctx.show_rel(rel)
        ));
    }
    if info.bypass_rls {
        return Some(format!(
            "{role} has BYPASSRLS, so RLS on {} does not apply to it",
            ctx.show_rel(rel)
        ));
    }
    if !rel.rls_forced && owns(snap, role, &rel.owner) {
        return Some(format!(
            "{role} owns {} (owner {}), which has RLS enabled but not FORCE ROW LEVEL SECURITY, so RLS does not apply to it",
            ctx.show_rel(rel),
            rel.owner
        ));
    }
    None
}

/// "no such role `x`" with a near miss.
pub fn unknown_role(snap: &Snapshot, role: &str) -> String {
    let mut s = format!("no such role `{role}`");
    if let Some(c) = closest(role, snap.roles.iter().map(|r| r.name.as_str())) {
        s.push_str(&format!(" (did you mean `{c}`?)"));
    }
    s
}

/// Refuse a step before it runs: an impersonated superuser / BYPASSRLS role (unless
/// `bypass = true`), and — when the expectation depends on RLS — a step whose effective role
/// bypasses RLS on a table its query reads (superuser, BYPASSRLS, or the owner of a table
/// without FORCE ROW LEVEL SECURITY). `connecting_rule`: apply the second rule to steps without
/// a role too (the connecting user). Returns the reason.
pub fn refusal(
    snap: &Snapshot,
    ctx: &Ctx,
    step: &Step,
    role: &str,
    connecting_rule: bool,
) -> Option<String> {
    let Some(info) = snap.role(role) else {
        return Some(unknown_role(snap, role));
    };
    if step.as_.bypass {
        return None;
    }
    const FIX: &str = "run it as an API role (as = { role = \"authenticated\", claims = { sub = \"...\" } }), or add bypass = true to `as` if bypassing RLS is what it tests";
    let impersonating = step.as_.role.is_some();
    if impersonating && info.superuser {
        return Some(format!(
            "{role} is a superuser: it bypasses RLS and every privilege, so the step would prove nothing about them; {FIX}"
        ));
    }
    if impersonating && info.bypass_rls {
        return Some(format!(
            "{role} has BYPASSRLS: RLS does not apply to it, so the step would prove nothing about it; {FIX}"
        ));
    }
    if !step.expect.depends_on_rls() || !(impersonating || connecting_rule) {
        return None;
    }
    for rel in referenced_relations(snap, &step.query) {
        if let Some(why) = rls_bypass_reason(snap, role, rel, ctx) {
            let who = if impersonating {
                String::new()
            } else {
                "the step has no role and runs as the connecting user; ".to_string()
            };
            return Some(format!(
                "{who}{why}, and the expectation depends on RLS; {FIX}"
            ));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// One step, resolved from a check file.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: Option<String>,
    pub as_: As,
    pub query: String,
    pub expect: Expect,
}

/// Rows as PostgreSQL's text output (None = NULL).
pub type TextRows = Vec<Vec<Option<String>>>;

/// What a statement (the last one of a step's query) gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    Rows {
        /// Rows returned or affected (command tag).
        count: u64,
        columns: usize,
        rows: Vec<Vec<Option<String>>>,
    },
    Error {
        code: String,
        message: String,
    },
}

impl Got {
    pub fn from_error(e: &tokio_postgres::Error) -> Got {
        match e.as_db_error() {
            Some(db) => Got::Error {
                code: db.code().code().to_string(),
                message: db.message().to_string(),
            },
            None => Got::Error {
                code: String::new(),
                message: e.to_string(),
            },
        }
    }

    pub fn from_messages(msgs: &[SimpleQueryMessage]) -> Got {
        let mut last: Option<(u64, usize, TextRows)> = None;
        let mut cur: TextRows = Vec::new();
        let mut columns = 0usize;
        for m in msgs {
            match m {
                SimpleQueryMessage::RowDescription(cols) => columns = cols.len(),
                SimpleQueryMessage::Row(r) => {
                    columns = r.len();
                    cur.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
                }
                SimpleQueryMessage::CommandComplete(n) => {
                    last = Some((*n, columns, std::mem::take(&mut cur)));
                    columns = 0;
                }
                _ => {}
            }
        }
        let (count, columns, rows) = last.unwrap_or((0, 0, Vec::new()));
        Got::Rows {
            count,
            columns,
            rows,
        }
    }

    pub fn error_code(&self) -> Option<&str> {
        match self {
            Got::Error { code, .. } => Some(code),
            Got::Rows { .. } => None,
        }
    }
}

/// Errors that mean the check could not run (timeouts, locks, broken SQL, the connection),
/// not that the database behaved one way or another.
pub fn is_infrastructure(code: &str) -> bool {
    code.is_empty()
        || matches!(code, "57014" | "55P03" | "42601" | "40P01" | "25P02")
        || code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
}

/// A client error as text: SQLSTATE, name and message for database errors.
pub fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => describe_error(db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// `42501 insufficient_privilege: permission denied for table x`, with timeouts spelled out.
pub fn describe_error(code: &str, message: &str) -> String {
    if code == "57014" && message.contains("statement timeout") {
        return format!("{} (statement_timeout hit: {message})", sqlstate_text(code));
    }
    if code == "55P03" {
        return format!("{} (lock_timeout hit: {message})", sqlstate_text(code));
    }
    if code.is_empty() {
        return message.to_string();
    }
    format!("{}: {message}", sqlstate_text(code))
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn show_cell(c: &Option<String>) -> String {
    match c {
        None => "NULL".to_string(),
        Some(s) if s.chars().count() > 40 => format!("{}…", s.chars().take(40).collect::<String>()),
        Some(s) => s.clone(),
    }
}

/// `[a, 1], [b, 2] … (5 rows)`.
pub fn show_rows(rows: &[Vec<Option<String>>]) -> String {
    if rows.is_empty() {
        return "no rows".to_string();
    }
    let shown: Vec<String> = rows
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "[{}]",
                r.iter().map(show_cell).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    let more = if rows.len() > 3 {
        format!(" … ({} rows)", rows.len())
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

fn show_expected_rows(rows: &[Vec<Scalar>]) -> String {
    if rows.is_empty() {
        return "no rows".to_string();
    }
    rows.iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_matches(exp: &[Scalar], got: &[Option<String>]) -> bool {
    exp.len() == got.len() && exp.iter().zip(got).all(|(e, g)| e.matches(g.as_deref()))
}

/// How a step's result compares with its expectation.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Met; a short account of what happened (`1 row`, `rejected 42501`).
    Pass(String),
    Fail(String),
    /// Could not tell (timeout, syntax error, connection).
    Error(String),
}

pub fn compare(expect: &Expect, got: &Got) -> Verdict {
    match (expect, got) {
        (
            Expect::Error { code, message },
            Got::Error {
                code: gc,
                message: gm,
            },
        ) => {
            if gc == code {
                match message {
                    Some(m) if !gm.to_lowercase().contains(&m.to_lowercase()) => Verdict::Fail(format!(
                        "rejected with {} as expected, but the message does not contain \"{m}\": {gm}",
                        sqlstate_text(gc)
                    )),
                    _ => Verdict::Pass(format!("rejected: {}", describe_error(gc, gm))),
                }
            } else if is_infrastructure(gc) {
                Verdict::Error(describe_error(gc, gm))
            } else {
                Verdict::Fail(format!(
                    "expected error {}, got {}",
                    sqlstate_text(code),
                    describe_error(gc, gm)
                ))
            }
        }
        (Expect::Error { code, .. }, Got::Rows { count, rows, .. }) => {
            let what = if rows.is_empty() {
                plural(*count, "row")
            } else {
                format!("{}: {}", plural(*count, "row"), show_rows(rows))
            };
            Verdict::Fail(format!(
                "expected error {}, but it succeeded ({what})",
                sqlstate_text(code)
            ))
        }
        (_, Got::Error { code, message }) if is_infrastructure(code) => {
            Verdict::Error(describe_error(code, message))
        }
        (_, Got::Error { code, message }) => {
            let wanted = match expect {
                Expect::Rows(n) => plural(*n, "row"),
                Expect::Exact { rows, .. } => show_expected_rows(rows),
                Expect::Value(v) => format!("the value {v}"),
                _ => "no error".to_string(),
            };
            Verdict::Fail(format!(
                "expected {wanted}, got error {}",
                describe_error(code, message)
            ))
        }
        (Expect::Ok, Got::Rows { count, .. }) => {
            Verdict::Pass(format!("ok ({})", plural(*count, "row")))
        }
        (Expect::Rows(n), Got::Rows { count, rows, .. }) => {
            if count == n {
                Verdict::Pass(plural(*count, "row"))
            } else if rows.is_empty() {
                Verdict::Fail(format!("expected {}, got {count}", plural(*n, "row")))
            } else {
                Verdict::Fail(format!(
                    "expected {}, got {count}: {}",
                    plural(*n, "row"),
                    show_rows(rows)
                ))
            }
        }
        (Expect::Value(v), Got::Rows { rows, columns, .. }) => {
            let single = match rows.as_slice() {
                [row] if *columns == 1 && row.len() == 1 => Some(&row[0]),
                _ => None,
            };
            let Some(actual) = single else {
                return Verdict::Fail(format!(
                    "expected a single value ({v}), got {} of {} column{}: {}",
                    plural(rows.len() as u64, "row"),
                    columns,
                    if *columns == 1 { "" } else { "s" },
                    show_rows(rows)
                ));
            };
            if v.matches(actual.as_deref()) {
                Verdict::Pass(format!("= {}", show_cell(actual)))
            } else {
                Verdict::Fail(format!("expected {v}, got {}", show_cell(actual)))
            }
        }
        (Expect::Exact { rows: exp, ordered }, Got::Rows { rows, .. }) => {
            let ok = if *ordered {
                exp.len() == rows.len() && exp.iter().zip(rows).all(|(e, g)| row_matches(e, g))
            } else {
                // Multiset: each actual row matches a distinct expected row.
                let mut used = vec![false; exp.len()];
                exp.len() == rows.len()
                    && rows.iter().all(|g| {
                        match (0..exp.len()).find(|&i| !used[i] && row_matches(&exp[i], g)) {
                            Some(i) => {
                                used[i] = true;
                                true
                            }
                            None => false,
                        }
                    })
            };
            if ok {
                Verdict::Pass(format!(
                    "rows as expected ({})",
                    plural(rows.len() as u64, "row")
                ))
            } else {
                Verdict::Fail(format!(
                    "expected rows {}{}, got {}",
                    show_expected_rows(exp),
                    if *ordered { " in this order" } else { "" },
                    show_rows(rows)
                ))
            }
        }
    }
}

/// Savepoint each step runs in (nested in the check's savepoint).
const STEP_SAVEPOINT: &str = "deskctl_step";

/// `savepoint x; set local role "r"` (the role quoted; nothing else from the check file).
pub fn prelude(savepoint: &str, role: Option<&str>) -> String {
    match role {
        Some(r) => format!("savepoint {savepoint}; set local role {}", quote_ident(r)),
        None => format!("savepoint {savepoint}"),
    }
}

/// The statement applying claims and settings (all values bind parameters) and its values.
pub fn settings_statement(as_: &As, role: Option<&str>) -> Option<(String, Vec<String>)> {
    let mut parts = Vec::new();
    let mut params = Vec::new();
    if let Some(claims) = as_.claims_json(role) {
        params.push(claims);
        parts.push(format!(
            "set_config('request.jwt.claims', ${}, true)",
            params.len()
        ));
    }
    for (k, v) in &as_.settings {
        params.push(k.clone());
        params.push(v.setting_text());
        parts.push(format!(
            "set_config(${}, ${}, true)",
            params.len() - 1,
            params.len()
        ));
    }
    if parts.is_empty() {
        None
    } else {
        Some((format!("select {}", parts.join(", ")), params))
    }
}

/// Run a statement whose parameters are all text, in one round trip (no prepare).
pub async fn exec_text(
    client: &Client,
    sql: &str,
    params: &[String],
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), Type::TEXT))
        .collect();
    client.query_typed(sql, &typed).await
}

/// The settings a run of steps changes, read before the first step so later steps can be
/// given back the connecting user's values.
#[derive(Debug, Clone, Default)]
pub struct Originals {
    names: Vec<String>,
    values: Vec<Option<String>>,
}

impl Originals {
    pub fn names_for<'a>(steps: impl IntoIterator<Item = &'a As>) -> Vec<String> {
        let mut names = vec!["role".to_string(), "request.jwt.claims".to_string()];
        for a in steps {
            for k in a.settings.keys() {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(k)) {
                    names.push(k.clone());
                }
            }
        }
        names
    }

    /// `select current_setting($1, true), ...`.
    pub fn read_statement(names: &[String]) -> String {
        let cols: Vec<String> = (1..=names.len())
            .map(|i| format!("current_setting(${i}, true)"))
            .collect();
        format!("select {}", cols.join(", "))
    }

    pub fn from_row(names: Vec<String>, row: &tokio_postgres::Row) -> Originals {
        let values = (0..names.len())
            .map(|i| row.get::<_, Option<String>>(i))
            .collect();
        Originals { names, values }
    }

    /// The statement putting every value back (transaction-local), and its parameters.
    pub fn restore_statement(&self) -> (String, Vec<Option<String>>) {
        let mut parts = Vec::new();
        let mut params = Vec::new();
        for (n, v) in self.names.iter().zip(&self.values) {
            params.push(Some(n.clone()));
            params.push(v.clone());
            parts.push(format!(
                "set_config(${}::text, ${}::text, true)",
                params.len() - 1,
                params.len()
            ));
        }
        (format!("select {}", parts.join(", ")), params)
    }
}

/// Like `exec_text`, with NULL-able parameters.
pub async fn exec_opt_text(
    client: &Client,
    sql: &str,
    params: &[Option<String>],
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), Type::TEXT))
        .collect();
    client.query_typed(sql, &typed).await
}

/// How steps are checked before they run.
#[derive(Debug, Clone, Copy)]
pub struct RunRules {
    /// Refuse steps WITHOUT a role whose RLS-dependent expectation reads a table the
    /// connecting user bypasses RLS on (scenarios; not `[[sql]]`, which runs as the connecting
    /// user on purpose).
    pub connecting_rule: bool,
    /// Name steps `step N` in details (several steps).
    pub numbered: bool,
}

fn step_label(i: usize, step: &Step, rules: &RunRules) -> String {
    match (&step.name, rules.numbered) {
        (Some(n), true) => format!("step {} ({n})", i + 1),
        (None, true) => format!("step {}", i + 1),
        (Some(n), false) => n.clone(),
        (None, false) => String::new(),
    }
}

fn prefixed(label: &str, rest: String) -> String {
    if label.is_empty() {
        rest
    } else {
        format!("{label}: {rest}")
    }
}

/// Run `setup` (as the connecting user) then `steps` in order, each in a savepoint of its own,
/// impersonating as the step says, stopping at the first step that does not meet its
/// expectation. Every step is checked against the safety rules before anything runs. The
/// caller's savepoint undoes everything afterwards. Statements are pipelined: one round trip
/// per step.
pub async fn run_steps(
    client: &Client,
    snap: &Snapshot,
    ctx: &Ctx<'_>,
    setup: Option<&str>,
    steps: &[Step],
    rules: RunRules,
) -> Outcome {
    // Refuse before running anything.
    let mut roles: Vec<String> = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        let role = match s.as_.role.as_deref() {
            Some("owner") if snap.role("owner").is_none() => {
                match owner_of_query(snap, ctx, &s.query) {
                    Ok(o) => o,
                    Err(why) => {
                        return Outcome::error(prefixed(
                            &step_label(i, s, &rules),
                            format!("not run: {why}"),
                        ))
                    }
                }
            }
            Some(r) => r.to_string(),
            None => snap.current_user.clone(),
        };
        let mut resolved = s.clone();
        if resolved.as_.role.is_some() {
            resolved.as_.role = Some(role.clone());
        }
        if let Some(why) = refusal(snap, ctx, &resolved, &role, rules.connecting_rule) {
            return Outcome::error(prefixed(
                &step_label(i, s, &rules),
                format!("refused to run as {}: {why}", resolved.as_.label(snap)),
            ));
        }
        roles.push(role);
    }

    let multi = steps.len() > 1;
    let names = if multi {
        Originals::names_for(steps.iter().map(|s| &s.as_))
    } else {
        Vec::new()
    };
    let mut originals: Option<Originals> = None;
    let mut passed: Vec<String> = Vec::new();
    // What the previous step left behind, undone at the head of the next step's round trip:
    // `Some(true)`: it failed as expected, roll its savepoint back; `Some(false)`: keep its data,
    // put the connecting user's role, claims and settings back.
    let mut pending: Option<bool> = None;
    let undo_sql =
        format!("rollback to savepoint {STEP_SAVEPOINT}; release savepoint {STEP_SAVEPOINT}");
    let release_sql = format!("release savepoint {STEP_SAVEPOINT}");

    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let role = step.as_.role.as_ref().map(|_| roles[i].as_str());
        let label = step_label(i, step, &rules);
        let who = {
            let mut a = step.as_.clone();
            if a.role.is_some() {
                a.role = Some(roles[i].clone());
            }
            a.label(snap)
        };
        let setup_sql = if i == 0 { setup } else { None };
        let read_originals = i == 0 && multi;
        let pre = prelude(STEP_SAVEPOINT, role);
        let settings = settings_statement(&step.as_, role);

        let restore = match (pending, &originals) {
            (Some(false), Some(o)) => Some(o.restore_statement()),
            (Some(false), None) => {
                return Outcome::error("internal: the session's settings were not read")
            }
            _ => None,
        };

        // One round trip: [the previous step's cleanup] [setup] [originals] savepoint + role,
        // claims/settings, query.
        let f_clean = async {
            match (pending, &restore) {
                (Some(true), _) => Some(client.batch_execute(&undo_sql).await),
                (Some(false), Some((sql, params))) => {
                    let (a, b) = futures_util::join!(
                        client.batch_execute(&release_sql),
                        exec_opt_text(client, sql, params)
                    );
                    Some(a.and(b.map(|_| ())))
                }
                _ => None,
            }
        };
        let f_setup = async {
            match setup_sql {
                Some(sql) => Some(client.batch_execute(sql).await),
                None => None,
            }
        };
        let f_orig = async {
            if read_originals {
                let sql = Originals::read_statement(&names);
                Some(exec_text(client, &sql, &names).await)
            } else {
                None
            }
        };
        let f_pre = client.batch_execute(&pre);
        let f_set = async {
            match &settings {
                Some((sql, params)) => Some(exec_text(client, sql, params).await),
                None => None,
            }
        };
        let f_query = client.simple_query(&step.query);
        let (r_clean, r_setup, r_orig, r_pre, r_set, r_query) =
            futures_util::join!(f_clean, f_setup, f_orig, f_pre, f_set, f_query);

        if let Some(Err(e)) = r_clean {
            return Outcome::error(prefixed(
                &label,
                format!("could not restore the session after the previous step: {e}"),
            ));
        }

        if let Some(Err(e)) = r_setup {
            return Outcome::error(format!("setup failed: {}", error_text(&e)));
        }
        if let Some(r) = r_orig {
            match r {
                Ok(rows) if !rows.is_empty() => {
                    originals = Some(Originals::from_row(names.clone(), &rows[0]))
                }
                Ok(_) => return Outcome::error("could not read the session's settings"),
                Err(e) => {
                    return Outcome::error(format!("could not read the session's settings: {e}"))
                }
            }
        }
        if let Err(e) = r_pre {
            return Outcome::error(prefixed(
                &label,
                format!("could not impersonate {who}: {}", error_text(&e)),
            ));
        }
        if let Some(Err(e)) = r_set {
            return Outcome::error(prefixed(
                &label,
                format!(
                    "could not set the claims/settings of {who}: {}",
                    error_text(&e)
                ),
            ));
        }
        let got = match &r_query {
            Ok(msgs) => Got::from_messages(msgs),
            Err(e) => Got::from_error(e),
        };
        // A lone step without `as` (`[[sql]]`, `[[rejects]]`) needs no "as ..." in its detail.
        let who = if step.as_ == As::default() && !rules.numbered {
            String::new()
        } else {
            format!("as {who}: ")
        };
        match compare(&step.expect, &got) {
            Verdict::Pass(what) => passed.push(prefixed(&label, format!("{who}{what}"))),
            Verdict::Fail(why) => {
                let mut d = prefixed(&label, format!("{who}{why}"));
                if !passed.is_empty() {
                    d.push_str(&format!(" (after {})", passed.join("; ")));
                }
                return Outcome::fail(d);
            }
            Verdict::Error(why) => return Outcome::error(prefixed(&label, format!("{who}{why}"))),
        }
        if last {
            break;
        }
        pending = Some(got.error_code().is_some());
    }
    Outcome::pass(passed.join("; "))
}

/// `owner` in a scenario: the owner of the relations the query names (one owner).
fn owner_of_query(snap: &Snapshot, ctx: &Ctx, sql: &str) -> Result<String, String> {
    let rels = referenced_relations(snap, sql);
    let mut owners: Vec<&str> = rels.iter().map(|r| r.owner.as_str()).collect();
    owners.sort_unstable();
    owners.dedup();
    match owners.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err("`owner` means the owner of the tables the query reads, but it names none that was read".into()),
        _ => Err(format!(
            "`owner` is ambiguous: the query reads {} with different owners ({})",
            rels.iter().map(|r| ctx.show_rel(r)).collect::<Vec<_>>().join(", "),
            owners.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{QualName, RelKind, Role, ViewInfo};

    #[test]
    fn scalars_match_postgres_text() {
        assert!(Scalar::Bool(true).matches(Some("t")));
        assert!(Scalar::Bool(false).matches(Some("false")));
        assert!(!Scalar::Bool(true).matches(Some("f")));
        assert!(Scalar::Int(3).matches(Some("3")));
        assert!(Scalar::Int(3).matches(Some("3.00")));
        assert!(!Scalar::Int(3).matches(Some("4")));
        assert!(Scalar::Int(i64::MAX).matches(Some("9223372036854775807")));
        assert!(Scalar::Float(0.5).matches(Some("0.50")));
        assert!(Scalar::Text("TKT-000001".into()).matches(Some("TKT-000001")));
        assert!(Scalar::Text("NULL".into()).matches(None));
        assert!(!Scalar::Int(0).matches(None));
    }

    #[test]
    fn sqlstates_by_code_or_name() {
        assert_eq!(sqlstate_code("23505"), Some("23505"));
        assert_eq!(sqlstate_code("unique_violation"), Some("23505"));
        assert_eq!(sqlstate_code("P0001"), Some("P0001"));
        assert_eq!(sqlstate_code("2350"), None);
        assert_eq!(sqlstate_code("uniq"), None);
        assert_eq!(sqlstate_text("23514"), "23514 check_violation");
    }

    #[test]
    fn identifiers_skip_literals_and_comments() {
        let ids = identifiers(
            "select * from Support_Tickets t join \"ChatMessage\" m on true -- chat_sessions\n\
             where x = 'cc_audit_logs' and y = $$ profiles $$ /* tags */ and z = E'it''s' and $1 = 1",
        );
        assert!(ids.contains("support_tickets"));
        assert!(ids.contains("ChatMessage"));
        for absent in ["chat_sessions", "cc_audit_logs", "profiles", "tags", "it"] {
            assert!(!ids.contains(absent), "{absent} in {ids:?}");
        }
        // Never panics on odd input: multi-byte text, unterminated quotes and comments.
        for odd in [
            "\"é",
            "select \"Ünïcödé\" from tä",
            "'é",
            "$é$ x",
            "/* é",
            "e'\\",
            "\"",
            "$",
            "$1é",
        ] {
            let _ = identifiers(odd);
        }
        assert!(identifiers("select * from \"Ünï\"").contains("Ünï"));
        assert!(identifiers("select * from \"Ünï").contains("Ünï"));
    }

    fn snap() -> Snapshot {
        let mut t = Relation::new("public", "tickets", RelKind::Table);
        t.owner = "app".into();
        t.rls_enabled = true;
        let mut f = Relation::new("public", "forced", RelKind::Table);
        f.owner = "app".into();
        f.rls_enabled = true;
        f.rls_forced = true;
        let mut v = Relation::new("public", "ticket_view", RelKind::View);
        v.view = Some(ViewInfo {
            definition: None,
            depends_on: vec![QualName::new("public", "tickets")],
        });
        let mut su = Role::new("postgres");
        su.superuser = true;
        let mut sr = Role::new("service_role");
        sr.bypass_rls = true;
        let mut member = Role::new("app_member");
        member.member_of = vec!["app".into()];
        Snapshot {
            scope: vec!["public".into()],
            relations: vec![t, f, v],
            roles: vec![su, sr, Role::new("authenticated"), Role::new("app"), member],
            current_user: "postgres".into(),
            ..Default::default()
        }
        .finish()
    }

    fn step(role: Option<&str>, query: &str, expect: Expect) -> Step {
        Step {
            name: None,
            as_: As {
                role: role.map(str::to_string),
                ..Default::default()
            },
            query: query.into(),
            expect,
        }
    }

    #[test]
    fn refusals() {
        let s = snap();
        let ctx = Ctx::new("public");
        let q = "select * from tickets";
        // Impersonating a superuser / BYPASSRLS role: refused whatever the expectation.
        let st = step(
            Some("service_role"),
            q,
            Expect::Error {
                code: "42501".into(),
                message: None,
            },
        );
        let why = refusal(&s, &ctx, &st, "service_role", true).unwrap();
        assert!(why.contains("BYPASSRLS"), "{why}");
        let st = step(Some("postgres"), "select 1", Expect::Ok);
        assert!(refusal(&s, &ctx, &st, "postgres", true)
            .unwrap()
            .contains("superuser"));
        // ... unless the step expects bypass.
        let mut st = step(Some("service_role"), q, Expect::Rows(3));
        st.as_.bypass = true;
        assert_eq!(refusal(&s, &ctx, &st, "service_role", true), None);
        // An API role: fine.
        let st = step(Some("authenticated"), q, Expect::Rows(1));
        assert_eq!(refusal(&s, &ctx, &st, "authenticated", true), None);
        // The connecting superuser on an RLS table, row expectation: refused.
        let st = step(None, q, Expect::Rows(1));
        let why = refusal(&s, &ctx, &st, "postgres", true).unwrap();
        assert!(why.contains("runs as the connecting user"), "{why}");
        // ... through a view too; but not with connecting_rule off, nor for an expected error.
        let st = step(None, "select * from ticket_view", Expect::Rows(1));
        assert!(refusal(&s, &ctx, &st, "postgres", true).is_some());
        assert_eq!(refusal(&s, &ctx, &st, "postgres", false), None);
        let st = step(
            None,
            q,
            Expect::Error {
                code: "23505".into(),
                message: None,
            },
        );
        assert_eq!(refusal(&s, &ctx, &st, "postgres", true), None);
        // The owner (or a member of the owner) of a non-forced RLS table: refused; forced: fine.
        let st = step(Some("app_member"), q, Expect::Rows(1));
        let why = refusal(&s, &ctx, &st, "app_member", true).unwrap();
        assert!(why.contains("not FORCE ROW LEVEL SECURITY"), "{why}");
        let st = step(Some("app"), "select * from forced", Expect::Rows(1));
        assert_eq!(refusal(&s, &ctx, &st, "app", true), None);
        // Unknown role, with a near miss.
        let st = step(Some("authenticatd"), q, Expect::Rows(1));
        let why = refusal(&s, &ctx, &st, "authenticatd", true).unwrap();
        assert!(why.contains("did you mean `authenticated`?"), "{why}");
    }

    #[test]
    fn owner_in_a_query() {
        let s = snap();
        let ctx = Ctx::new("public");
        assert_eq!(
            owner_of_query(&s, &ctx, "select * from tickets").unwrap(),
            "app"
        );
        assert!(owner_of_query(&s, &ctx, "select 1").is_err());
    }

    #[test]
    fn comparisons() {
        let rows = |v: &[&[&str]]| Got::Rows {
            count: v.len() as u64,
            columns: v.first().map_or(0, |r| r.len()),
            rows: v
                .iter()
                .map(|r| r.iter().map(|c| Some(c.to_string())).collect())
                .collect(),
        };
        let err = |c: &str, m: &str| Got::Error {
            code: c.into(),
            message: m.into(),
        };
        assert!(matches!(
            compare(&Expect::Rows(1), &rows(&[&["a"]])),
            Verdict::Pass(_)
        ));
        assert_eq!(
            compare(&Expect::Rows(1), &rows(&[&["a"], &["b"]])),
            Verdict::Fail("expected 1 row, got 2: [a], [b]".into())
        );
        assert!(matches!(
            compare(&Expect::Value(Scalar::Int(2)), &rows(&[&["2"]])),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            compare(&Expect::Value(Scalar::Int(2)), &rows(&[&["2", "3"]])),
            Verdict::Fail(_)
        ));
        let exact = Expect::Exact {
            rows: vec![
                vec![Scalar::Text("b".into()), Scalar::Int(2)],
                vec![Scalar::Text("a".into()), Scalar::Int(1)],
            ],
            ordered: false,
        };
        assert!(matches!(
            compare(&exact, &rows(&[&["a", "1"], &["b", "2"]])),
            Verdict::Pass(_)
        ));
        let Expect::Exact { rows: r, .. } = exact.clone() else {
            unreachable!()
        };
        let ordered = Expect::Exact {
            rows: r,
            ordered: true,
        };
        assert!(matches!(
            compare(&ordered, &rows(&[&["a", "1"], &["b", "2"]])),
            Verdict::Fail(_)
        ));
        let e = Expect::Error {
            code: "42501".into(),
            message: Some("row-level security".into()),
        };
        assert!(matches!(
            compare(
                &e,
                &err(
                    "42501",
                    "new row violates row-level security policy for table \"t\""
                )
            ),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            compare(&e, &err("42501", "permission denied for table t")),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            compare(&e, &err("23505", "duplicate key")),
            Verdict::Fail(_)
        ));
        assert!(matches!(compare(&e, &rows(&[])), Verdict::Fail(_)));
        // Timeouts and syntax errors are errors, not failures.
        assert!(matches!(
            compare(
                &Expect::Rows(1),
                &err("57014", "canceling statement due to statement timeout")
            ),
            Verdict::Error(_)
        ));
        assert!(matches!(
            compare(&e, &err("42601", "syntax error")),
            Verdict::Error(_)
        ));
        assert!(matches!(
            compare(&Expect::Ok, &err("23514", "check")),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn claims_default_role_claim() {
        let mut a = As {
            role: Some("authenticated".into()),
            ..Default::default()
        };
        assert_eq!(
            a.claims_json(Some("authenticated")).unwrap(),
            r#"{"role":"authenticated"}"#
        );
        let mut m = serde_json::Map::new();
        m.insert("sub".into(), "u1".into());
        a.claims = Some(m);
        let j: serde_json::Value =
            serde_json::from_str(&a.claims_json(Some("authenticated")).unwrap()).unwrap();
        assert_eq!(j["sub"], "u1");
        assert_eq!(j["role"], "authenticated");
        assert_eq!(As::default().claims_json(None), None);
        let (sql, params) = settings_statement(&a, Some("authenticated")).unwrap();
        assert_eq!(sql, "select set_config('request.jwt.claims', $1, true)");
        assert_eq!(params.len(), 1);
    }

    #[test]
    fn transaction_control_is_refused() {
        let mut v = Validator::default();
        validate_sql(
            &mut v,
            "setup",
            "insert into t values (1); commit; insert into t values (2)",
        );
        validate_sql(&mut v, "query", "select 1; ROLLBACK");
        validate_sql(
            &mut v,
            "query",
            "savepoint a; rollback to savepoint a; select 'commit'",
        );
        validate_sql(&mut v, "query", "prepare transaction 'x'");
        validate_sql(&mut v, "query", "  -- nothing\n");
        let msgs: Vec<&str> = v.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:#?}");
        assert!(msgs[0].contains("contains COMMIT"));
        assert!(msgs[1].contains("contains ROLLBACK"));
        assert!(msgs[2].contains("PREPARE TRANSACTION"));
        assert!(msgs[3].contains("holds no SQL statement"));
    }
}
