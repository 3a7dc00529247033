//! Judges a table as written against its key schema (`shape`) before serde sees it: unknown
//! keys, missing required keys, values of the wrong type, words outside a closed set, each at
//! its own key's or value's span. Borrows the table's keys (no allocation while all is well);
//! builds a path only for a problem. Must not deserialize, or word problems for users (`check`
//! and `defs` do).

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::keys::PathSeg;
use super::shape::{
    shapes, Node, NodeId, Rest, Shapes, ARRAY, BOOLEAN, INTEGER, NUMBER, OBJECT, STRING,
};

/// serde's names (fields or words, aliases included) at a path of the table, for keys and words
/// the schema does not list (`probe::names` for the table's type).
pub(super) type SerdeNames<'n> = &'n dyn Fn(&[PathSeg]) -> Option<&'static [&'static str]>;

/// One problem of a table, where it is.
#[derive(Debug)]
pub(super) struct Issue {
    /// Of the key or element (for `Missing`: of the table missing it; empty: the whole table).
    pub(super) path: Vec<PathSeg>,
    pub(super) span: Range<usize>,
    pub(super) what: What,
}

#[derive(Debug)]
pub(super) enum What {
    /// A key the table does not take; `known`: the keys it takes.
    UnknownKey {
        key: String,
        known: Vec<&'static str>,
    },
    /// A word outside the closed set `words`.
    UnknownWord {
        word: String,
        words: Vec<&'static str>,
    },
    /// A value of another type than `expected` (said for users); `words`: a closed set's.
    WrongType {
        expected: String,
        found: &'static str,
        words: Vec<&'static str>,
    },
    /// A required key absent. `after_problem`: a problem of a key came before (in the order serde
    /// reads the table), most likely that key misspelt or mistyped.
    Missing {
        key: &'static str,
        after_problem: bool,
    },
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A path kept on the stack while walking.
#[derive(Clone, Copy)]
struct Frame<'a> {
    seg: Seg<'a>,
    up: Option<&'a Frame<'a>>,
}

fn owned(frame: Option<&Frame>) -> Vec<PathSeg> {
    let mut out = Vec::new();
    let mut f = frame;
    while let Some(x) = f {
        out.push(match x.seg {
            Seg::Key(k) => PathSeg::Key(k.to_string()),
            Seg::Index(i) => PathSeg::Index(i),
        });
        f = x.up;
    }
    out.reverse();
    out
}

/// Which table to judge.
#[derive(Clone, Copy)]
pub(super) enum Root<'k> {
    Kind(&'k str),
    Persona,
    Fixture,
}

/// Every problem of `table` (spans as in the table) against the schema of `root`, in the order
/// serde would read the table.
pub(super) fn walk(
    root: Root,
    table: &DeTable,
    span: Range<usize>,
    names: SerdeNames,
) -> Vec<Issue> {
    let s = shapes();
    let id = match root {
        Root::Kind(k) => match s.kind(k) {
            Some(id) => id,
            None => return Vec::new(),
        },
        Root::Persona => s.persona,
        Root::Fixture => s.fixture,
    };
    let mut w = Walker {
        s,
        names,
        issues: Vec::new(),
        key_problems: 0,
    };
    w.table(&s.nodes[id], table, span, None);
    w.issues
}

struct Walker<'n> {
    s: &'static Shapes,
    names: SerdeNames<'n>,
    issues: Vec<Issue>,
    /// Problems of a key so far (what serde's "drop the key and read again" would have dropped).
    key_problems: usize,
}

impl Walker<'_> {
    fn table(&mut self, node: &Node, t: &DeTable, span: Range<usize>, at: Option<&Frame>) {
        let mut unsure = false;
        for (k, v) in t.iter() {
            let key: &str = k.get_ref();
            let here = Frame {
                seg: Seg::Key(key),
                up: at,
            };
            let child = match (node.prop(key), node.rest) {
                (Some(c), _) | (None, Rest::Of(c)) => c,
                (None, Rest::Any) => continue,
                (None, Rest::Closed) => {
                    let parent = owned(at);
                    let serde = (self.names)(&parent);
                    if serde.is_some_and(|f| f.contains(&key)) {
                        // A key serde takes that the schema does not list (`checks::schema`
                        // writes every alias serde shows into it): serde judges it.
                        unsure = true;
                        continue;
                    }
                    let known = match serde {
                        Some(f) => f.to_vec(),
                        None => node.props.iter().map(|(k, _)| *k).collect(),
                    };
                    self.key_problem(
                        owned(Some(&here)),
                        k.span(),
                        What::UnknownKey {
                            key: key.to_string(),
                            known,
                        },
                    );
                    continue;
                }
            };
            self.value(child, v, &here);
        }
        if unsure {
            // A key of unknown meaning may stand for a required key: serde says what is missing.
            return;
        }
        for &r in &node.required {
            let by_alias = || {
                node.alias_of
                    .iter()
                    .any(|(a, f)| *f == r && t.get(*a).is_some())
            };
            if t.get(r).is_none() && !by_alias() {
                self.issues.push(Issue {
                    path: owned(at),
                    span: span.clone(),
                    what: What::Missing {
                        key: r,
                        after_problem: self.key_problems > 0,
                    },
                });
            }
        }
    }

    fn key_problem(&mut self, path: Vec<PathSeg>, span: Range<usize>, what: What) {
        if matches!(path.last(), Some(PathSeg::Key(_))) {
            self.key_problems += 1;
        }
        self.issues.push(Issue { path, span, what });
    }

    fn value(&mut self, id: NodeId, v: &Spanned<DeValue>, here: &Frame) {
        let s = self.s;
        let node = &s.nodes[id];
        if node.any {
            return;
        }
        if !node.branches.is_empty() {
            match node
                .branches
                .iter()
                .find(|b| accepts(&s.nodes[**b], v.get_ref()))
            {
                Some(b) => self.value(*b, v, here),
                None => self.wrong(node, v, here),
            }
            return;
        }
        if !accepts(node, v.get_ref()) {
            self.wrong(node, v, here);
            return;
        }
        match v.get_ref() {
            DeValue::String(word) => {
                let Some(words) = &node.words else { return };
                if words.contains(&word.as_ref()) {
                    return;
                }
                let path = owned(Some(here));
                let serde = (self.names)(&path);
                if serde.is_some_and(|ws| ws.contains(&word.as_ref())) {
                    return;
                }
                let words = match serde {
                    Some(ws) => ws.to_vec(),
                    None => words.clone(),
                };
                self.key_problem(
                    path,
                    v.span(),
                    What::UnknownWord {
                        word: word.to_string(),
                        words,
                    },
                );
            }
            DeValue::Integer(i) if node.unsigned && i.as_str().starts_with('-') => {
                self.key_problem(
                    owned(Some(here)),
                    v.span(),
                    What::WrongType {
                        expected: "an integer of 0 or more".into(),
                        found: "negative integer",
                        words: Vec::new(),
                    },
                );
            }
            DeValue::Array(a) => {
                if let Some(items) = node.items {
                    for (i, el) in a.iter().enumerate() {
                        let f = Frame {
                            seg: Seg::Index(i),
                            up: Some(here),
                        };
                        self.value(items, el, &f);
                    }
                }
            }
            DeValue::Table(t) => self.table(node, t, v.span(), Some(here)),
            _ => {}
        }
    }

    fn wrong(&mut self, node: &Node, v: &Spanned<DeValue>, here: &Frame) {
        let path = owned(Some(here));
        let words = match &node.words {
            Some(ws) => (self.names)(&path).map_or_else(|| ws.clone(), <[_]>::to_vec),
            None => Vec::new(),
        };
        self.key_problem(
            path,
            v.span(),
            What::WrongType {
                expected: expected(self.s, node),
                found: v.get_ref().type_str(),
                words,
            },
        );
    }
}

fn bit(v: &DeValue) -> u8 {
    match v {
        DeValue::String(_) => STRING,
        DeValue::Integer(_) => INTEGER,
        DeValue::Float(_) => NUMBER,
        DeValue::Boolean(_) => BOOLEAN,
        DeValue::Array(_) => ARRAY,
        DeValue::Table(_) => OBJECT,
        DeValue::Datetime(_) => 0,
    }
}

fn accepts(node: &Node, v: &DeValue) -> bool {
    let b = bit(v);
    node.any
        || node.types & b != 0
        || (b == INTEGER && node.types & NUMBER != 0)
        || node
            .branches
            .iter()
            .any(|x| accepts(&shapes().nodes[*x], v))
}

/// What a value of `node` is, for users: "text", "a list", "one of: a, b", "a name or a list
/// of names".
pub(super) fn expected(s: &Shapes, node: &Node) -> String {
    if let Some(w) = &node.what {
        // "A name or ..." -> "a name or ..." ("SQL text" stays).
        let mut c = w.chars();
        return match (c.next(), c.next()) {
            (Some(f), Some(g)) if !g.is_uppercase() => {
                f.to_lowercase().chain([g]).chain(c).collect()
            }
            _ => w.clone(),
        };
    }
    if !node.branches.is_empty() {
        let parts: Vec<String> = node
            .branches
            .iter()
            .map(|b| expected(s, &s.nodes[*b]))
            .collect();
        return parts.join(" or ");
    }
    let mut parts: Vec<&str> = Vec::new();
    for (b, name) in [
        (BOOLEAN, "a boolean"),
        (INTEGER, "an integer"),
        (NUMBER, "a number"),
        (STRING, "a text"),
        (ARRAY, "a list"),
        (OBJECT, "a table"),
    ] {
        // A number may be written as an integer: "a number" says both.
        if node.types & b != 0 && !(b == INTEGER && node.types & NUMBER != 0) {
            parts.push(name);
        }
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => "something else".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::checks::{load_str, KINDS};

    fn problems(text: &str) -> Vec<String> {
        match load_str(Path::new("c.toml"), text) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// A value of the node's type (its first word, its first alternative...).
    fn sample(s: &Shapes, id: NodeId) -> String {
        let n = &s.nodes[id];
        if let Some(b) = n.branches.first() {
            return sample(s, *b);
        }
        if let Some(w) = n.words.as_ref().and_then(|w| w.first()) {
            return format!("\"{w}\"");
        }
        for (bit, v) in [
            (STRING, "\"x\""),
            (INTEGER, "1"),
            (NUMBER, "1.5"),
            (BOOLEAN, "true"),
            (ARRAY, "[]"),
            (OBJECT, "{}"),
        ] {
            if n.any || n.types & bit != 0 {
                return v.to_string();
            }
        }
        "\"x\"".to_string()
    }

    /// Every kind's every required key (from the schema), left out of a table that has the
    /// others, is reported at the table's header with the kind's name; so is every required
    /// key of a list entry (`[[policies.expect]]`, `[[scenario.step]]`), at the entry.
    #[test]
    fn every_required_key_left_out_is_reported_at_its_table() {
        let s = shapes();
        let mut seen = 0;
        for kind in KINDS {
            let node = &s.nodes[s.kind(kind).unwrap()];
            for gone in &node.required {
                let mut text = format!("\n[[{kind}]]\n");
                for k in node.required.iter().filter(|k| *k != gone) {
                    text.push_str(&format!("{k} = {}\n", sample(s, node.prop(k).unwrap())));
                }
                let p = problems(&text);
                let want = format!("c.toml:2:1: [[{kind}]] check is missing `{gone}`");
                assert!(p.iter().any(|x| x == &want), "{want}\n{text}\n{p:#?}");
                seen += 1;
            }
        }
        assert!(seen >= 6, "only {seen} required keys: is the schema read?");
        // Entries of lists of tables.
        let p =
            problems("[[policies]]\ntable = \"t\"\n[[policies.expect]]\ncommand = \"SELECT\"\n");
        assert_eq!(
            p,
            ["c.toml:3:1: [[policies]] `expect[1]` is missing `name`"]
        );
        let p = problems(
            "[[scenario]]\n[[scenario.step]]\nquery = \"select 1\"\nexpect = 1\n[[scenario.step]]\nexpect = 2\n",
        );
        assert_eq!(p, ["c.toml:5:1: [[scenario]] `step[2]` is missing `query`"]);
        let p = problems("[personas.a]\nclaims = {}\n\n[[rls]]\nall = true\n");
        assert_eq!(p, ["c.toml:1:1: [personas.a] is missing `role`"], "{p:#?}");
    }

    #[test]
    fn an_unknown_key_in_a_nested_table_is_reported_at_its_own_line_and_column() {
        let p = problems(
            "[[policies]]\ntable = \"t\"\n[[policies.expect]]\nname = \"a\"\n  comand = \"SELECT\"\n",
        );
        assert_eq!(p.len(), 1, "{p:#?}");
        assert_eq!(
            p[0],
            "c.toml:5:3: unknown key `comand` in [[policies]] in `expect[1]`\n  hint: did you mean `command`?"
        );
        let p = problems(
            "[[scenario]]\nquery = \"select 1\"\nexpect = 1\nas = { role = \"anon\", claim = {} }\n",
        );
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("c.toml:4:23: unknown key `claim` in [[scenario]] in `as`"),
            "{p:#?}"
        );
        assert!(p[0].contains("did you mean `claims`?"), "{p:#?}");
        let p = problems("[personas.a]\nrole = \"anon\"\nrows = [{ table = \"t\", valeus = {} }]\n\n[[rls]]\nall = true\n");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("c.toml:3:24: unknown key `valeus` in [personas.a] in `rows[1]`"),
            "{p:#?}"
        );
    }

    #[test]
    fn a_wrong_type_is_reported_at_the_value() {
        let p = problems("[[immutable]]\ntable = \"t\"\ndeny =   \"UPDATE\"\n");
        assert_eq!(
            p,
            ["c.toml:3:10: [[immutable]] `deny` must be a list, found string"]
        );
        let p = problems("[[rls]]\ntables = 3\n");
        assert!(
            p.iter()
                .any(|m| m.contains("`tables` must be a name or a list of names, found integer")),
            "{p:#?}"
        );
        let p = problems("[[count]]\nobject = \"table\"\nexpect = 1\nnames = [\"a\", 2]\n");
        assert_eq!(
            p,
            ["c.toml:4:15: [[count]] `names[2]` must be a text, found integer"]
        );
        let p = problems("[[scenario]]\nquery = \"select 1\"\nexpect_rows = -1\n");
        assert_eq!(
            p,
            ["c.toml:3:15: [[scenario]] `expect_rows` must be an integer of 0 or more, found negative integer"]
        );
        let p = problems("[[count]]\nobject = 1\nexpect = 1\n");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].starts_with("c.toml:2:10: [[count]] `object` must be a text, found integer\n  hint: use one of: table"), "{p:#?}");
    }

    #[test]
    fn aliases_are_read_as_serde_reads_them() {
        let ok = "[[count]]\nobject = \"tables\"\nexpect = 1\n\n[[immutable]]\ntable = \"t\"\ndeny = [\"update\"]\n\n\
                  [[scenario]]\nsteps = [{ query = \"select 1\", expect = 1 }]\n\n\
                  [[rejects]]\nquery = \"insert into t default values\"\nexpect_error = \"23505\"\n";
        assert_eq!(problems(ok), Vec::<String>::new());
        // Inside an alias whose meaning serde shows (`steps` reads as `step`), keys are judged.
        let p = problems(
            "[[scenario]]\nsteps = [{ query = \"select 1\", expect = 1, ordred = true }]\n",
        );
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("c.toml:2:44: unknown key `ordred` in [[scenario]] in `steps[1]`"),
            "{p:#?}"
        );
        let p = problems("[[count]]\nobject = \"tabels\"\nexpect = 1\n");
        assert_eq!(p, ["c.toml:2:10: [[count]] `object`: unknown value `tabels`\n  hint: did you mean `tables`?"]);
    }

    /// Every alias is judged as its field, in our wording at the value: `query` / `expect_error`
    /// of `[[rejects]]` (a text), `steps` of `[[scenario]]` (a list); an alias stands in for a
    /// required field, and leaving out both still names the field.
    #[test]
    fn a_wrong_type_under_an_alias_is_ours_at_the_value() {
        let p = problems("[[rejects]]\nquery = 1\nexpect_error = \"23505\"\n");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("c.toml:2:9: [[rejects]] `query` must be a text, found integer"),
            "{p:#?}"
        );
        let p = problems("[[rejects]]\nstatement = \"select 1\"\nexpect_error = [\"23505\"]\n");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("c.toml:3:16: [[rejects]] `expect_error` must be a text, found array"),
            "{p:#?}"
        );
        let p = problems("[[scenario]]\nsteps = \"select 1\"\n");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("c.toml:2:9: [[scenario]] `steps` must be"),
            "{p:#?}"
        );
        let p = problems("[[rejects]]\nexpect_error = \"23505\"\n");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].contains("`statement`"), "{p:#?}");
    }
}
