//! The key schema of check tables, personas and fixtures, compiled once from the JSON Schemas
//! schemars derives from the very types the loader deserializes (`checks::schema`): which keys a
//! table takes and which it requires, each value's types, each closed set's words. The loader
//! walks a table against it before serde sees the table. Must not read files or list any kind's
//! keys by hand.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::super::behaviour::given::{FixtureSpec, PersonaSpec};
use super::super::Spec;

pub(super) type NodeId = usize;

pub(super) const STRING: u8 = 1;
pub(super) const INTEGER: u8 = 2;
pub(super) const NUMBER: u8 = 4;
pub(super) const BOOLEAN: u8 = 8;
pub(super) const ARRAY: u8 = 16;
pub(super) const OBJECT: u8 = 32;

/// Keys a table takes besides its listed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rest {
    /// None (`deny_unknown_fields`).
    Closed,
    /// Any key, any value.
    Any,
    /// Any key, values of this shape (`settings = { ... }`).
    Of(NodeId),
}

/// One value's shape.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// Anything goes.
    pub(super) any: bool,
    /// The TOML types it accepts (bits above; an integer is a number too).
    pub(super) types: u8,
    /// Integers only from 0.
    pub(super) unsigned: bool,
    /// A closed set of words (serde's aliases aside: the loader asks serde for those).
    pub(super) words: Option<Vec<&'static str>>,
    /// An array's elements.
    pub(super) items: Option<NodeId>,
    /// A table's keys, sorted, and the required ones in declaration order.
    pub(super) props: Vec<(&'static str, NodeId)>,
    pub(super) required: Vec<&'static str>,
    /// (alias, field) of required fields that serde also reads under another key.
    pub(super) alias_of: Vec<(&'static str, &'static str)>,
    pub(super) rest: Rest,
    /// Alternatives (one name or a list...), tried by the value's type.
    pub(super) branches: Vec<NodeId>,
    /// What the alternatives say they are ("A name or a list of names").
    pub(super) what: Option<String>,
}

impl Node {
    fn any() -> Node {
        Node {
            any: true,
            types: 0,
            unsigned: false,
            words: None,
            items: None,
            props: Vec::new(),
            required: Vec::new(),
            alias_of: Vec::new(),
            rest: Rest::Any,
            branches: Vec::new(),
            what: None,
        }
    }

    pub(super) fn prop(&self, key: &str) -> Option<NodeId> {
        self.props
            .binary_search_by(|(k, _)| (*k).cmp(key))
            .ok()
            .map(|i| self.props[i].1)
    }
}

pub(super) struct Shapes {
    pub(super) nodes: Vec<Node>,
    kinds: Vec<(&'static str, NodeId)>,
    pub(super) persona: NodeId,
    pub(super) fixture: NodeId,
}

impl Shapes {
    pub(super) fn kind(&self, kind: &str) -> Option<NodeId> {
        self.kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
    }
}

/// Compiled on first use, shared by every loading thread.
pub(super) fn shapes() -> &'static Shapes {
    static SHAPES: OnceLock<Shapes> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let mut g = super::super::schema::generator();
        let kinds = Spec::kind_schemas(&mut g);
        let persona = super::super::schema::subschema::<PersonaSpec>(&mut g);
        let fixture = super::super::schema::subschema::<FixtureSpec>(&mut g);
        let mut c = Compiler {
            defs: g.definitions().clone(),
            nodes: Vec::new(),
            named: HashMap::new(),
        };
        let kinds = kinds.into_iter().map(|(k, v)| (k, c.compile(&v))).collect();
        let persona = c.compile(&persona);
        let fixture = c.compile(&fixture);
        Shapes {
            nodes: c.nodes,
            kinds,
            persona,
            fixture,
        }
    })
}

/// A name of the schema, kept for the life of the process (the schema is compiled once).
fn forever(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

struct Compiler {
    defs: Map<String, Value>,
    nodes: Vec<Node>,
    named: HashMap<String, NodeId>,
}

impl Compiler {
    fn push(&mut self, n: Node) -> NodeId {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    fn compile(&mut self, v: &Value) -> NodeId {
        let Value::Object(o) = v else {
            // `true` (anything) or `false` (nothing: never generated for a value).
            return self.push(Node::any());
        };
        if let Some(Value::String(r)) = o.get("$ref") {
            let name = r.strip_prefix("#/$defs/").unwrap_or(r).to_string();
            if let Some(&id) = self.named.get(&name) {
                return id;
            }
            let id = self.push(Node::any());
            self.named.insert(name.clone(), id);
            let target = self.defs.get(&name).cloned().unwrap_or(Value::Bool(true));
            let compiled = self.compile(&target);
            self.nodes[id] = self.nodes[compiled].clone();
            return id;
        }
        if let Some(Value::Array(alts)) = o.get("anyOf") {
            let alts: Vec<&Value> = alts
                .iter()
                .filter(|a| a.get("type") != Some(&Value::String("null".into())))
                .collect();
            if let [one] = alts[..] {
                // An `Option` around one shape: that shape.
                return self.compile(one);
            }
            let branches = alts.iter().map(|a| self.compile(a)).collect();
            let mut n = Node::any();
            n.any = false;
            n.branches = branches;
            n.what = o
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            return self.push(n);
        }
        let mut types = 0;
        let mut names: Vec<&str> = Vec::new();
        match o.get("type") {
            Some(Value::String(t)) => names.push(t),
            Some(Value::Array(ts)) => names.extend(ts.iter().filter_map(Value::as_str)),
            _ => {}
        }
        for t in names {
            types |= match t {
                "string" => STRING,
                "integer" => INTEGER,
                "number" => NUMBER,
                "boolean" => BOOLEAN,
                "array" => ARRAY,
                "object" => OBJECT,
                _ => 0,
            };
        }
        let words: Option<Vec<&'static str>> = o
            .get("enum")
            .and_then(Value::as_array)
            .map(|ws| ws.iter().filter_map(Value::as_str).map(forever).collect());
        if types == 0 && words.is_some() {
            types = STRING;
        }
        if types == 0 {
            return self.push(Node::any());
        }
        let id = self.push(Node::any());
        let items = o.get("items").map(|i| self.compile(i));
        let mut props: Vec<(&'static str, NodeId)> = match o.get("properties") {
            Some(Value::Object(ps)) => ps
                .iter()
                .map(|(k, v)| (forever(k), self.compile(v)))
                .collect(),
            _ => Vec::new(),
        };
        props.sort_by(|a, b| a.0.cmp(b.0));
        let rest = match o.get("additionalProperties") {
            Some(Value::Bool(false)) => Rest::Closed,
            Some(s @ Value::Object(_)) => Rest::Of(self.compile(s)),
            _ => Rest::Any,
        };
        let mut required: Vec<&'static str> = match o.get("required") {
            Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).map(forever).collect(),
            _ => Vec::new(),
        };
        // A required field with aliases (`checks::schema`): one of `{required: [key]}`, the
        // field first.
        let mut alias_of = Vec::new();
        for group in o
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let keys: Vec<&'static str> = group
                .get("oneOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|one| one.get("required")?.get(0)?.as_str())
                .map(forever)
                .collect();
            if let Some((field, aliases)) = keys.split_first() {
                required.push(field);
                alias_of.extend(aliases.iter().map(|a| (*a, *field)));
            }
        }
        self.nodes[id] = Node {
            any: false,
            types,
            unsigned: o.get("minimum").and_then(Value::as_f64) == Some(0.0),
            words,
            items,
            props,
            required,
            alias_of,
            rest,
            branches: Vec::new(),
            what: None,
        };
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_compiles_to_a_closed_table_with_its_required_keys() {
        let s = shapes();
        for kind in super::super::super::KINDS {
            let id = s.kind(kind).expect(kind);
            let n = &s.nodes[id];
            assert_eq!(n.rest, Rest::Closed, "{kind}");
            assert!(n.prop("id").is_some(), "{kind}");
        }
        let p = &s.nodes[s.kind("privileges").unwrap()];
        assert_eq!(p.required, ["role", "on"]);
        let on = &s.nodes[p.prop("on").unwrap()];
        assert!(on.words.as_ref().unwrap().contains(&"table"));
        let persona = &s.nodes[s.persona];
        assert_eq!(persona.required, ["role"]);
        assert!(matches!(persona.rest, Rest::Closed));
    }

    /// Every key and word serde takes anywhere in a check table, aliases included, is in the
    /// key schema (so the walker judges it; nothing is left to serde's wording).
    #[test]
    fn the_schema_lists_every_name_serde_takes() {
        use super::super::keys::PathSeg;
        fn visit(s: &Shapes, kind: &str, id: NodeId, path: &mut Vec<PathSeg>, seen: &mut usize) {
            let n = &s.nodes[id];
            if path.len() > 6 {
                return;
            }
            for b in &n.branches {
                visit(s, kind, *b, path, seen);
            }
            let serde = Spec::serde_names(kind, path).unwrap_or_default();
            if n.rest == Rest::Closed && !n.props.is_empty() {
                for name in serde {
                    *seen += 1;
                    assert!(n.prop(name).is_some(), "[[{kind}]] {path:?}: key `{name}`");
                }
            }
            if let Some(words) = &n.words {
                for name in serde {
                    *seen += 1;
                    assert!(words.contains(name), "[[{kind}]] {path:?}: word `{name}`");
                }
            }
            for (k, c) in &n.props {
                path.push(PathSeg::Key(k.to_string()));
                visit(s, kind, *c, path, seen);
                path.pop();
            }
            if let Some(items) = n.items {
                path.push(PathSeg::Index(0));
                visit(s, kind, items, path, seen);
                path.pop();
            }
        }
        let s = shapes();
        let mut seen = 0;
        for kind in super::super::super::KINDS {
            visit(s, kind, s.kind(kind).unwrap(), &mut Vec::new(), &mut seen);
        }
        assert!(seen > 200, "only {seen} names: are serde's names read?");
        for alias in ["query", "expect_error"] {
            assert!(s.nodes[s.kind("rejects").unwrap()].prop(alias).is_some());
        }
    }
}
