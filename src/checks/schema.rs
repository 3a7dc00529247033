//! JSON Schemas of check files and deskctl.toml, generated from the Rust types the loader
//! deserializes (`schemars`), for editors (taplo / Even Better TOML via a `#:schema` line) and
//! `deskctl schema`. Owns only the assembly of the file-level schema (kinds, common keys,
//! personas, fixtures); must not read files or duplicate a kind's keys by hand.

use std::collections::HashSet;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::loader::keys::PathSeg;
use super::loader::probe;

use super::behaviour::given::{FixtureSpec, PersonaSpec};

/// A generator for draft 2020-12 (what taplo and VS Code understand).
pub(crate) fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12().into_generator()
}

/// The schema of one kind's table: its own keys plus the common keys, inline; the definitions
/// it needs stay in `g` (one generator for every kind, so that two types of one name, such as
/// `count`'s and `exists`' `Object`, get distinct definitions).
pub(crate) fn kind_schema<T: JsonSchema + DeserializeOwned>(g: &mut SchemaGenerator) -> Value {
    let root: Value = g.root_schema_for::<T>().into();
    let Value::Object(mut root) = root else {
        return Value::Bool(true);
    };
    root.remove("$schema");
    root.remove("title");
    root.remove("$defs");
    let defs = g.definitions();
    // A transparent newtype (`[[exists]]` is `Object`) is a reference: inline it.
    if let Some(Value::String(r)) = root.get("$ref").cloned() {
        if let Some(Value::Object(target)) = r
            .strip_prefix("#/$defs/")
            .and_then(|name| defs.get(name).cloned())
        {
            root.remove("$ref");
            for (k, v) in target {
                root.entry(k).or_insert(v);
            }
        }
    }
    let mut root = Value::Object(root);
    add_aliases::<T>(g, &mut root);
    let Value::Object(mut root) = root else {
        unreachable!("still an object")
    };
    let props = root
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("properties is an object");
    props.insert(
        "id".into(),
        json!({ "type": "string", "description": "Unique id across every file of the run (letters, digits and _ - . : /); default <file stem>:<kind>-<n>." }),
    );
    props.insert(
        "description".into(),
        json!({ "type": "string", "description": "Free text, carried into every output format." }),
    );
    props.insert(
        "schema".into(),
        json!({ "type": "string", "description": "Default schema for this check's names (overrides the file's)." }),
    );
    Value::Object(root)
}

/// The schema of a check file.
pub fn check_file() -> Value {
    let mut defs = Map::new();
    let mut props = Map::new();
    props.insert(
        "schema".into(),
        json!({ "type": "string", "description": "Default schema for the names in this file (default public)." }),
    );
    props.insert(
        "include".into(),
        json!({
            "description": "Files (relative to this one) holding only [personas.*] and [fixtures.*] that this file uses.",
            "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
        }),
    );
    let mut g = generator();
    let persona = subschema::<PersonaSpec>(&mut g);
    let fixture = subschema::<FixtureSpec>(&mut g);
    props.insert(
        "personas".into(),
        json!({ "type": "object", "description": "Named identities for `as = \"NAME\"` in behaviour checks.", "additionalProperties": persona }),
    );
    props.insert(
        "fixtures".into(),
        json!({ "type": "object", "description": "Named setup blocks for `use = [\"NAME\"]` in behaviour checks.", "additionalProperties": fixture }),
    );
    for (kind, schema) in super::Spec::kind_schemas(&mut g) {
        let name = format!("kind.{kind}");
        defs.insert(name.clone(), schema);
        props.insert(
            kind.to_string(),
            json!({ "type": "array", "description": format!("[[{kind}]] checks (docs/checks.md#{kind})"), "items": { "$ref": format!("#/$defs/{name}") } }),
        );
    }
    defs.extend(g.take_definitions(true));
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://deskctl.dev/schema/check-file.json",
        "title": "deskctl check file",
        "type": "object",
        "properties": props,
        "additionalProperties": false,
        "$defs": defs,
    })
}

/// The schema of `T` (a reference to its definition in `g`), serde's aliases included.
pub(crate) fn subschema<T: JsonSchema + DeserializeOwned>(g: &mut SchemaGenerator) -> Value {
    let mut v: Value = g.subschema_for::<T>().into();
    add_aliases::<T>(g, &mut v);
    v
}

/// Writes serde's aliases (which schemars leaves out) into `T`'s schema `v` and the
/// definitions it refers to, asking serde itself (`loader::probe`): an alias of a field is one
/// more key with the field's schema (of a required field: the field or its alias, not both); an
/// alias of an enum's word is one more word. Editors and the loader's key schema then accept
/// what serde accepts, and the loader judges a value under an alias as under its field.
fn add_aliases<T: DeserializeOwned>(g: &mut SchemaGenerator, v: &mut Value) {
    aliases_at::<T>(g, v, &mut Vec::new(), &mut HashSet::new());
}

fn aliases_at<T: DeserializeOwned>(
    g: &mut SchemaGenerator,
    v: &mut Value,
    path: &mut Vec<PathSeg>,
    seen: &mut HashSet<String>,
) {
    let Value::Object(o) = v else { return };
    if let Some(Value::String(r)) = o.get("$ref") {
        let name = r.strip_prefix("#/$defs/").unwrap_or(r).to_string();
        if seen.insert(name.clone()) {
            if let Some(mut def) = g.definitions_mut().remove(&name) {
                aliases_at::<T>(g, &mut def, path, seen);
                g.definitions_mut().insert(name, def);
            }
        }
        return;
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = o.get_mut(key) {
            for a in alts {
                aliases_at::<T>(g, a, path, seen);
            }
        }
    }
    if let Some(Value::Array(words)) = o.get_mut("enum") {
        for w in probe::names::<T>(path).unwrap_or_default() {
            if !words.iter().any(|x| x == w) {
                words.push(json!(w));
            }
        }
    }
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        let aliases: Vec<(&str, &str)> = probe::names::<T>(path)
            .unwrap_or_default()
            .iter()
            .filter(|n| !props.contains_key(**n))
            .filter_map(|n| Some((*n, probe::field_of::<T>(path, n)?)))
            .filter(|(_, field)| props.contains_key(*field))
            .collect();
        for (alias, field) in &aliases {
            let mut s = props[*field].clone();
            if let Value::Object(m) = &mut s {
                m.insert(
                    "description".into(),
                    json!(format!("Another name for `{field}`.")),
                );
            }
            props.insert(alias.to_string(), s);
        }
        for (k, sub) in props.iter_mut() {
            path.push(PathSeg::Key(k.clone()));
            aliases_at::<T>(g, sub, path, seen);
            path.pop();
        }
        // A required field given by its alias: either, not both.
        if let Some(Value::Array(required)) = o.get_mut("required") {
            let mut groups = Vec::new();
            required.retain(|r| {
                let names: Vec<&str> = aliases
                    .iter()
                    .filter(|(_, f)| r == *f)
                    .map(|(a, _)| *a)
                    .collect();
                if names.is_empty() {
                    return true;
                }
                let one = std::iter::once(r.as_str().unwrap_or_default()).chain(names);
                groups.push(
                    json!({ "oneOf": one.map(|k| json!({ "required": [k] })).collect::<Vec<_>>() }),
                );
                false
            });
            if required.is_empty() {
                o.remove("required");
            }
            if !groups.is_empty() {
                o.insert("allOf".into(), Value::Array(groups));
            }
        }
    }
    if let Some(items) = o.get_mut("items") {
        path.push(PathSeg::Index(0));
        aliases_at::<T>(g, items, path, seen);
        path.pop();
    }
}

/// The schema of deskctl.toml.
pub fn config_file() -> Value {
    let mut v: Value = generator()
        .into_root_schema_for::<crate::config::ProjectFile>()
        .into();
    if let Value::Object(o) = &mut v {
        o.insert("title".into(), json!("deskctl.toml"));
        o.insert(
            "$id".into(),
            json!("https://deskctl.dev/schema/config.json"),
        );
    }
    v
}

/// Pretty JSON with a final newline, as committed in schema/*.json.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("a JSON value serializes");
    s.push('\n');
    s
}

/// `impl JsonSchema for T` as `{ "anyOf": [a, b] }`, for the types with a hand-written
/// `Deserialize` (one name or a list, a role name or a table): `any_of_schema!(Names, "A name or
/// a list of names", |g| a, b)` (`g`: the generator, for `g.subschema_for::<X>()`).
#[macro_export]
macro_rules! any_of_schema {
    ($t:ty, $desc:literal, |$g:ident| $a:expr, $b:expr) => {
        impl schemars::JsonSchema for $t {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($t).into()
            }
            #[allow(unused_variables)]
            fn json_schema($g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::checks::schema::any_of($a, $b, $desc)
            }
        }
    };
}

/// `{ "anyOf": [a, b] }` (schemas for the one-or-many types' hand-written `JsonSchema`).
pub(crate) fn any_of(a: Value, b: Value, description: &str) -> Schema {
    let v = json!({ "description": description, "anyOf": [a, b] });
    Schema::try_from(v).expect("an object is a schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_its_common_keys_are_in_the_schema() {
        let s = check_file();
        for kind in super::super::KINDS {
            let def = &s["$defs"][format!("kind.{kind}")];
            assert!(def["properties"]["id"].is_object(), "{kind}: {def}");
            assert_eq!(def["additionalProperties"], false, "{kind}: {def}");
        }
        let scenario = &s["$defs"]["kind.scenario"]["properties"];
        for k in ["use", "at", "setup", "as", "step", "expect_rows"] {
            assert!(scenario[k].is_object(), "scenario lacks {k}: {scenario}");
        }
        assert!(s["$defs"]["kind.exists"]["properties"]["table"].is_object());
        assert!(config_file()["properties"].is_object());
    }
}
