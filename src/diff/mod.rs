//! `deskctl diff A B`: compares two security postures (`posture.rs`) and says, grouped by
//! object, what was added, removed or changed from A to B, with a one-line note on changes that
//! widen (or narrow) access. Only what both sides know is compared; what one side does not
//! record (e.g. policy logic in an older snapshot file) is listed as not compared. Renderers are
//! pure functions over a writer. Must not touch the database or read files.

pub mod posture;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;

use posture::{FunctionPosture, Grants, PolicyPosture, Posture};

/// Bumped when the JSON shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

/// What a change does to access, from A to B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Someone can do more (the risky direction).
    Widens,
    /// Someone can do less (may break the application).
    Narrows,
    /// Different, direction not decidable (e.g. a policy's logic): review it.
    Review,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub change: Change,
    /// What differs: `RLS`, `policy "x"`, `grant SELECT to anon`, `security_invoker`, ...
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// One line: why it matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The differences of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectDiff {
    /// `table`, `view`, `function`, `extension`, `publication`.
    pub kind: String,
    pub name: String,
    pub differences: Vec<Difference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub schema_version: u32,
    pub a: String,
    pub b: String,
    pub equal: bool,
    pub objects: Vec<ObjectDiff>,
    /// Aspects one side does not record, so they were not compared.
    pub not_compared: Vec<String>,
}

impl Diff {
    pub fn count(&self) -> usize {
        self.objects.iter().map(|o| o.differences.len()).sum()
    }

    pub fn widening(&self) -> usize {
        self.objects
            .iter()
            .flat_map(|o| &o.differences)
            .filter(|d| d.effect == Some(Effect::Widens))
            .count()
    }
}

fn d(change: Change, what: impl Into<String>) -> Difference {
    Difference {
        change,
        what: what.into(),
        a: None,
        b: None,
        effect: None,
        note: None,
    }
}

impl Difference {
    fn values(mut self, a: impl Into<Option<String>>, b: impl Into<Option<String>>) -> Self {
        self.a = a.into();
        self.b = b.into();
        self
    }
    fn effect(mut self, e: Effect, note: impl Into<String>) -> Self {
        self.effect = Some(e);
        self.note = Some(note.into());
        self
    }
}

/// Roles that stand for "anyone on the API" (a grant to them is the risky kind).
fn public_facing(role: &str) -> bool {
    matches!(role, "anon" | "PUBLIC" | "authenticated")
}

/// Compare two postures.
pub fn compare(a: &Posture, b: &Posture) -> Diff {
    let mut objects = Vec::new();
    let mut not_compared = BTreeSet::new();
    // An object on one side only counts as added / removed when the other side lists its class.
    let mut listed = |class: &str, a_lists: bool, b_lists: bool, in_a: bool, in_b: bool| -> bool {
        let ok = (in_a || a_lists) && (in_b || b_lists);
        if !ok {
            not_compared.insert(format!("which {class} exist (one side does not list them)"));
        }
        ok
    };
    let mut skip = BTreeSet::new();
    for name in keys(&a.tables, &b.tables) {
        let (ia, ib) = (a.tables.contains_key(&name), b.tables.contains_key(&name));
        if !listed("tables", a.lists_tables, b.lists_tables, ia, ib) {
            skip.insert(("table", name.clone()));
        }
    }
    for name in keys(&a.views, &b.views) {
        let (ia, ib) = (a.views.contains_key(&name), b.views.contains_key(&name));
        if !listed("views", a.lists_views, b.lists_views, ia, ib) {
            skip.insert(("view", name.clone()));
        }
    }
    for name in keys(&a.definer_functions, &b.definer_functions) {
        let (ia, ib) = (
            a.definer_functions.contains_key(&name),
            b.definer_functions.contains_key(&name),
        );
        if !listed("functions", a.lists_functions, b.lists_functions, ia, ib) {
            skip.insert(("function", name.clone()));
        }
    }
    for name in keys(&a.tables, &b.tables) {
        if skip.contains(&("table", name.clone())) {
            continue;
        }
        let diffs = match (a.tables.get(&name), b.tables.get(&name)) {
            (Some(_), None) => {
                vec![d(Change::Removed, "table").effect(Effect::Narrows, "the table is gone from B")]
            }
            (None, Some(t)) => {
                let mut x = d(Change::Added, "table");
                if t.rls == Some(false) {
                    let who: Vec<String> = t
                        .grants
                        .iter()
                        .filter(|(r, m)| public_facing(r) && m.values().any(|h| *h))
                        .map(|(r, _)| r.clone())
                        .collect();
                    if !who.is_empty() {
                        x = x.effect(
                            Effect::Widens,
                            format!("new table without RLS: {} reach every row", who.join(", ")),
                        );
                    }
                }
                vec![x]
            }
            (Some(ta), Some(tb)) => {
                let mut v = Vec::new();
                if let (Some(x), Some(y)) = (ta.rls, tb.rls) {
                    if x != y {
                        let c = d(Change::Changed, "RLS").values(on(x), on(y));
                        v.push(if y {
                            c.effect(Effect::Narrows, "RLS enabled: rows now need a policy")
                        } else {
                            c.effect(
                                Effect::Widens,
                                "RLS disabled: every grant now reaches every row",
                            )
                        });
                    }
                } else if ta.rls.is_some() != tb.rls.is_some() {
                    not_compared.insert("RLS of tables one side does not record".to_string());
                }
                if let (Some(x), Some(y)) = (ta.forced, tb.forced) {
                    if x != y {
                        let c = d(Change::Changed, "FORCE ROW LEVEL SECURITY").values(on(x), on(y));
                        v.push(if y {
                            c.effect(Effect::Narrows, "the owner is now subject to RLS too")
                        } else {
                            c.effect(Effect::Widens, "the table owner now bypasses RLS")
                        });
                    }
                }
                match (&ta.policies, &tb.policies) {
                    (Some(pa), Some(pb)) => {
                        v.extend(policies(pa, pb, &mut not_compared));
                    }
                    (None, None) => {}
                    _ => {
                        not_compared.insert(
                            "policies of tables one side does not record exactly".to_string(),
                        );
                    }
                }
                v.extend(grants(&ta.grants, &tb.grants, a.complete, b.complete));
                v
            }
            (None, None) => Vec::new(),
        };
        push(&mut objects, "table", &name, diffs);
    }
    for name in keys(&a.views, &b.views) {
        if skip.contains(&("view", name.clone())) {
            continue;
        }
        let diffs = match (a.views.get(&name), b.views.get(&name)) {
            (Some(_), None) => vec![d(Change::Removed, "view")],
            (None, Some(v)) => {
                let mut x = d(Change::Added, "view");
                if v.security_invoker == Some(false) {
                    x = x.effect(
                        Effect::Widens,
                        "new view without security_invoker: it reads its tables as its owner",
                    );
                }
                vec![x]
            }
            (Some(va), Some(vb)) => {
                let mut v = Vec::new();
                if let (Some(x), Some(y)) = (va.security_invoker, vb.security_invoker) {
                    if x != y {
                        let c = d(Change::Changed, "security_invoker").values(on(x), on(y));
                        v.push(if y {
                            c.effect(Effect::Narrows, "the view now applies the caller's RLS")
                        } else {
                            c.effect(
                                Effect::Widens,
                                "the view now reads its tables as its owner, bypassing the callers' RLS",
                            )
                        });
                    }
                }
                v.extend(grants(&va.grants, &vb.grants, a.complete, b.complete));
                v
            }
            (None, None) => Vec::new(),
        };
        push(&mut objects, "view", &name, diffs);
    }
    for name in keys(&a.definer_functions, &b.definer_functions) {
        if skip.contains(&("function", name.clone())) {
            continue;
        }
        let diffs = match (
            a.definer_functions.get(&name),
            b.definer_functions.get(&name),
        ) {
            (Some(_), None) => vec![d(Change::Removed, "SECURITY DEFINER function")],
            (None, Some(f)) => {
                let who: Vec<&String> = f
                    .execute
                    .iter()
                    .filter(|(r, h)| **h && public_facing(r))
                    .map(|(r, _)| r)
                    .collect();
                let mut note = "runs with its owner's rights".to_string();
                if !who.is_empty() {
                    note.push_str(&format!(
                        "; {} may execute it",
                        who.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                vec![d(Change::Added, "SECURITY DEFINER function").effect(Effect::Widens, note)]
            }
            (Some(fa), Some(fb)) => function(fa, fb, a.complete, b.complete),
            (None, None) => Vec::new(),
        };
        push(&mut objects, "function", &name, diffs);
    }
    match (&a.extensions, &b.extensions) {
        (Some(ea), Some(eb)) => {
            for name in keys(ea, eb) {
                let diffs = match (ea.get(&name), eb.get(&name)) {
                    (Some(_), None) => vec![d(Change::Removed, "extension")],
                    (None, Some(_)) => vec![d(Change::Added, "extension")],
                    (Some(Some(x)), Some(Some(y))) if x != y => {
                        vec![d(Change::Changed, "version").values(x.clone(), y.clone())]
                    }
                    _ => Vec::new(),
                };
                push(&mut objects, "extension", &name, diffs);
            }
        }
        (None, None) => {}
        _ => {
            not_compared.insert("extensions (one side does not record them)".into());
        }
    }
    match (&a.publications, &b.publications) {
        (Some(pa), Some(pb)) => {
            for name in keys(pa, pb) {
                let diffs = match (pa.get(&name), pb.get(&name)) {
                    (Some(_), None) => vec![d(Change::Removed, "publication")],
                    (None, Some(_)) => vec![d(Change::Added, "publication")
                        .effect(Effect::Widens, "changes of its tables are now published")],
                    (Some(x), Some(y)) => {
                        let mut v = Vec::new();
                        if let (Some(p), Some(q)) = (x.all_tables, y.all_tables) {
                            if p != q {
                                let c = d(Change::Changed, "FOR ALL TABLES").values(on(p), on(q));
                                v.push(if q {
                                    c.effect(
                                        Effect::Widens,
                                        "every table's changes are now published",
                                    )
                                } else {
                                    c
                                });
                            }
                        }
                        if let (Some(p), Some(q)) = (&x.members, &y.members) {
                            for t in q.difference(p) {
                                v.push(d(Change::Added, format!("table {t}")).effect(
                                    Effect::Widens,
                                    "its changes are now published (e.g. to Supabase Realtime)",
                                ));
                            }
                            for t in p.difference(q) {
                                v.push(d(Change::Removed, format!("table {t}")));
                            }
                        }
                        v
                    }
                    (None, None) => Vec::new(),
                };
                push(&mut objects, "publication", &name, diffs);
            }
        }
        (None, None) => {}
        _ => {
            not_compared.insert("publications (one side does not record them)".into());
        }
    }
    let equal = objects.is_empty();
    Diff {
        schema_version: SCHEMA_VERSION,
        a: a.source.clone(),
        b: b.source.clone(),
        equal,
        objects,
        not_compared: not_compared.into_iter().collect(),
    }
}

fn on(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

fn keys<V>(a: &BTreeMap<String, V>, b: &BTreeMap<String, V>) -> BTreeSet<String> {
    a.keys().chain(b.keys()).cloned().collect()
}

fn push(objects: &mut Vec<ObjectDiff>, kind: &str, name: &str, differences: Vec<Difference>) {
    if !differences.is_empty() {
        objects.push(ObjectDiff {
            kind: kind.to_string(),
            name: name.to_string(),
            differences,
        });
    }
}

/// `SELECT to authenticated, permissive`.
fn describe_policy(p: &PolicyPosture) -> String {
    let mut s = p.command.clone().unwrap_or_else(|| "?".into());
    if let Some(r) = &p.roles {
        s.push_str(&format!(
            " to {}",
            r.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if p.permissive == Some(false) {
        s.push_str(", restrictive");
    }
    s
}

fn policies(
    a: &BTreeMap<String, PolicyPosture>,
    b: &BTreeMap<String, PolicyPosture>,
    not_compared: &mut BTreeSet<String>,
) -> Vec<Difference> {
    let mut v = Vec::new();
    for name in keys(a, b) {
        let what = format!("policy \"{name}\"");
        match (a.get(&name), b.get(&name)) {
            (Some(p), None) => {
                let c = d(Change::Removed, what).values(describe_policy(p), None);
                v.push(if p.permissive == Some(false) {
                    c.effect(Effect::Widens, "a restrictive policy is gone: rows it excluded may now pass")
                } else {
                    c.effect(
                        Effect::Narrows,
                        "the rows only it allowed are now denied (or the table is reached another way)",
                    )
                });
            }
            (None, Some(p)) => {
                let c = d(Change::Added, what).values(None, describe_policy(p));
                v.push(if p.permissive == Some(false) {
                    c.effect(
                        Effect::Narrows,
                        "a new restrictive policy limits every other one",
                    )
                } else {
                    let always = p.using.as_deref() == Some("true")
                        || p.with_check.as_deref() == Some("true");
                    c.effect(
                        Effect::Widens,
                        if always {
                            "a new permissive policy that allows every row"
                        } else {
                            "a new permissive policy: more rows for the roles it names"
                        },
                    )
                });
            }
            (Some(pa), Some(pb)) => {
                if let (Some(x), Some(y)) = (&pa.command, &pb.command) {
                    if x != y {
                        let c = d(Change::Changed, format!("{what} command"))
                            .values(x.clone(), y.clone());
                        v.push(if y == "ALL" {
                            c.effect(Effect::Widens, "now applies to every command")
                        } else {
                            c.effect(Effect::Review, "applies to other statements now")
                        });
                    }
                }
                if let (Some(x), Some(y)) = (&pa.roles, &pb.roles) {
                    if x != y {
                        let show =
                            |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
                        let c =
                            d(Change::Changed, format!("{what} roles")).values(show(x), show(y));
                        let widened = y.contains("public") && !x.contains("public")
                            || y.difference(x).next().is_some();
                        v.push(if widened {
                            c.effect(Effect::Widens, "applies to more roles")
                        } else {
                            c.effect(Effect::Narrows, "applies to fewer roles")
                        });
                    }
                }
                if let (Some(x), Some(y)) = (pa.permissive, pb.permissive) {
                    if x != y {
                        let kind =
                            |p: bool| if p { "permissive" } else { "restrictive" }.to_string();
                        let c = d(Change::Changed, format!("{what} kind")).values(kind(x), kind(y));
                        v.push(if y {
                            c.effect(
                                Effect::Widens,
                                "now ORed with the others instead of limiting them",
                            )
                        } else {
                            c.effect(Effect::Narrows, "now limits the other policies")
                        });
                    }
                }
                if pa.logic_known && pb.logic_known {
                    for (label, x, y) in [
                        ("USING", &pa.using, &pb.using),
                        ("WITH CHECK", &pa.with_check, &pb.with_check),
                    ] {
                        if x != y {
                            let c = d(Change::Changed, format!("{what} {label}"))
                                .values(x.clone(), y.clone());
                            let relaxed =
                                y.as_deref() == Some("true") || (y.is_none() && label == "USING");
                            v.push(if relaxed {
                                c.effect(
                                    Effect::Widens,
                                    format!("{label} relaxed: now allows every row"),
                                )
                            } else {
                                c.effect(
                                    Effect::Review,
                                    format!("{label} logic changed: review who it lets through"),
                                )
                            });
                        }
                    }
                } else if pa.logic_known != pb.logic_known {
                    not_compared.insert(
                        "policy USING / WITH CHECK (one side records names, commands and roles only)"
                            .to_string(),
                    );
                }
            }
            (None, None) => {}
        }
    }
    v
}

/// What a role holds on a side: the recorded value, else `false` on a complete side (a
/// database), else unknown.
fn held(g: &Grants, complete: bool, role: &str, privilege: &str) -> Option<bool> {
    match g.get(role).and_then(|m| m.get(privilege)) {
        Some(h) => Some(*h),
        None if complete => Some(false),
        None => None,
    }
}

fn grants(a: &Grants, b: &Grants, a_complete: bool, b_complete: bool) -> Vec<Difference> {
    let mut v = Vec::new();
    let roles: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for role in roles {
        let privs: BTreeSet<&String> = a
            .get(role)
            .into_iter()
            .chain(b.get(role))
            .flat_map(|m| m.keys())
            .collect();
        let (mut gained, mut lost) = (Vec::new(), Vec::new());
        for p in privs {
            match (held(a, a_complete, role, p), held(b, b_complete, role, p)) {
                (Some(false), Some(true)) => gained.push(p.clone()),
                (Some(true), Some(false)) => lost.push(p.clone()),
                _ => {}
            }
        }
        sort(&mut gained);
        sort(&mut lost);
        if !gained.is_empty() {
            let note = if public_facing(role) {
                format!("{role} gains {}", gained.join(", "))
            } else {
                format!("{role} can do more")
            };
            v.push(
                d(
                    Change::Added,
                    format!("grant {} to {role}", gained.join(", ")),
                )
                .effect(Effect::Widens, note),
            );
        }
        if !lost.is_empty() {
            v.push(
                d(
                    Change::Removed,
                    format!("grant {} to {role}", lost.join(", ")),
                )
                .effect(Effect::Narrows, format!("{role} can do less")),
            );
        }
    }
    v
}

fn sort(v: &mut [String]) {
    let rank = |p: &String| {
        posture::RELATION_PRIVILEGES
            .iter()
            .position(|x| x == p)
            .unwrap_or(usize::MAX)
    };
    v.sort_by_key(rank);
}

fn function(a: &FunctionPosture, b: &FunctionPosture, ac: bool, bc: bool) -> Vec<Difference> {
    let mut v = Vec::new();
    if a.search_path_known && b.search_path_known && a.search_path != b.search_path {
        let c =
            d(Change::Changed, "search_path").values(a.search_path.clone(), b.search_path.clone());
        v.push(if b.search_path.is_none() {
            c.effect(
                Effect::Widens,
                "search_path no longer pinned: a caller's objects can shadow the ones it uses",
            )
        } else {
            c.effect(Effect::Review, "resolves names elsewhere now")
        });
    }
    if let (Some(x), Some(y)) = (&a.body, &b.body) {
        if x != y {
            v.push(
                d(Change::Changed, "body")
                    .values(x.clone(), y.clone())
                    .effect(
                        Effect::Review,
                        "the code that runs with its owner's rights changed",
                    ),
            );
        }
    }
    let to_grants = |m: &BTreeMap<String, bool>| -> Grants {
        m.iter()
            .map(|(r, h)| (r.clone(), BTreeMap::from([("EXECUTE".to_string(), *h)])))
            .collect()
    };
    v.extend(grants(
        &to_grants(&a.execute),
        &to_grants(&b.execute),
        ac,
        bc,
    ));
    v
}

/// The terminal / plain-text rendering.
pub fn render_text(diff: &Diff, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "A: {}", diff.a)?;
    writeln!(w, "B: {}", diff.b)?;
    for o in &diff.objects {
        writeln!(w)?;
        writeln!(w, "{} {}", o.kind, o.name)?;
        for x in &o.differences {
            let mut line = format!("  {} {}", x.change.sign(), x.what);
            match (&x.a, &x.b) {
                (Some(a), Some(b)) => line.push_str(&format!(": {} → {}", one(a), one(b))),
                (Some(a), None) => line.push_str(&format!(" ({})", one(a))),
                (None, Some(b)) => line.push_str(&format!(" ({})", one(b))),
                (None, None) => {}
            }
            writeln!(w, "{line}")?;
            if let (Some(e), Some(n)) = (x.effect, &x.note) {
                let tag = match e {
                    Effect::Widens => "⚠ widens",
                    Effect::Narrows => "narrows",
                    Effect::Review => "review",
                };
                writeln!(w, "      {tag}: {n}")?;
            }
        }
    }
    writeln!(w)?;
    for n in &diff.not_compared {
        writeln!(w, "not compared: {n}")?;
    }
    if diff.equal {
        writeln!(w, "no differences")
    } else {
        let n = diff.count();
        writeln!(
            w,
            "{n} difference{} in {} object{} ({} widen{} access)",
            if n == 1 { "" } else { "s" },
            diff.objects.len(),
            if diff.objects.len() == 1 { "" } else { "s" },
            diff.widening(),
            if diff.widening() == 1 { "s" } else { "" },
        )
    }
}

/// Expressions on one line.
fn one(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
