//! `as`: who a behaviour step runs as (role, JWT claims, settings, `bypass`), how it is read
//! from a check file and validated, and the statements that apply it and put the connecting
//! user's values back (all values bind parameters). Must not run user SQL.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::expect::Scalar;
use crate::catalog::Snapshot;
use crate::checks::validator::Validator;

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
    /// The persona this names (`as = "customer1"` when `[personas.customer1]` is declared, or
    /// `as = { persona = "customer1" }`); the loader fills role, claims and settings from it.
    pub persona: Option<String>,
    /// `persona` was given by that key (an unknown name is an error), not as a bare name (which
    /// is a role when no persona has it).
    pub explicit_persona: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct AsTable {
    persona: Option<String>,
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
            explicit_persona: t.persona.is_some(),
            persona: t.persona,
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
        f.write_str(
            "a persona or role name, or a table { persona, role, claims, settings, bypass }",
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<As, E> {
        Ok(As {
            role: Some(v.to_string()),
            persona: Some(v.to_string()),
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
    /// Take role, claims and settings from a persona; claims and settings written next to
    /// `persona` win over the persona's.
    pub fn apply(&mut self, p: &super::given::Persona) {
        self.persona = Some(p.name.clone());
        self.role = Some(p.role.clone());
        let mut claims = p.claims.clone();
        if let Some(own) = self.claims.take() {
            let c = claims.get_or_insert_with(Default::default);
            for (k, v) in own {
                c.insert(k, v);
            }
        }
        self.claims = claims;
        for (k, v) in &p.settings {
            self.settings.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

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

    /// `authenticated (sub 0000…0001)`, `anon`, `the connecting user (postgres)`, `persona
    /// customer1: authenticated (sub ...)`.
    pub fn label(&self, snap: &Snapshot) -> String {
        let who = match &self.role {
            Some(r) => r.clone(),
            None => format!("the connecting user ({})", snap.current_user),
        };
        let who = match &self.persona {
            Some(p) if self.role.as_deref() != Some(p.as_str()) => format!("persona {p}: {who}"),
            _ => who,
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

/// The statement applying claims and settings (all values bind parameters) and its values.
pub fn settings_statement(as_: &As, role: Option<&str>) -> Option<(String, Vec<String>)> {
    let mut parts = Vec::new();
    let mut params = Vec::new();
    if let Some(claims) = as_.claims_json(role) {
        params.push(claims);
        parts.push(format!(
            "pg_catalog.set_config('request.jwt.claims', ${}, true)",
            params.len()
        ));
    }
    for (k, v) in &as_.settings {
        params.push(k.clone());
        params.push(v.setting_text());
        parts.push(format!(
            "pg_catalog.set_config(${}, ${}, true)",
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
            .map(|i| format!("pg_catalog.current_setting(${i}, true)"))
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
                "pg_catalog.set_config(${}::text, ${}::text, true)",
                params.len() - 1,
                params.len()
            ));
        }
        (format!("select {}", parts.join(", ")), params)
    }
}

crate::any_of_schema!(
    As,
    "A persona or role name, or { persona, role, claims, settings, bypass }",
    |g| serde_json::json!({ "type": "string" }),
    g.subschema_for::<AsTable>().into()
);

crate::any_of_schema!(
    AsList,
    "One `as` or a list of them",
    |g| g.subschema_for::<As>().into(),
    serde_json::json!({ "type": "array", "items": g.subschema_for::<As>() })
);

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            sql,
            "select pg_catalog.set_config('request.jwt.claims', $1, true)"
        );
        assert_eq!(params.len(), 1);
    }
}
