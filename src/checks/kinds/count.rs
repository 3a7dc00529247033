//! `[[count]]`: how many objects of one type exist (tables, views, sequences, functions,
//! policies, ...), filtered by names, LIKE pattern, schema or tables, against `expect` /
//! `at_least` / `at_most`; each is one row of the seed-style component table. Reads only the
//! Snapshot.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::catalog::{EnumType, Function, FunctionKind, QualName, RelKind, Relation, Snapshot};
use crate::checks::names::{qualify, schemas_of, Ctx, Names};
use crate::checks::validator::Validator;
use crate::checks::{Component, Expectation, Outcome, StaticCheck};
use crate::findings::{Counted, Message, Missing, Problem};
use crate::words::{list, plural};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "Object")]
pub enum CountTarget {
    #[serde(alias = "tables")]
    Table,
    #[serde(alias = "partitioned_tables")]
    PartitionedTable,
    #[serde(alias = "views")]
    View,
    #[serde(alias = "materialized_views")]
    MaterializedView,
    #[serde(alias = "sequences")]
    Sequence,
    #[serde(alias = "functions")]
    Function,
    #[serde(alias = "procedures")]
    Procedure,
    #[serde(alias = "policies")]
    Policy,
    #[serde(alias = "triggers")]
    Trigger,
    #[serde(alias = "indexes")]
    Index,
    #[serde(alias = "enum_values")]
    EnumValue,
}

impl CountTarget {
    /// The component label when none is given ("Tables", "RLS Policies", ...).
    fn label(self) -> &'static str {
        match self {
            CountTarget::Table => "Tables",
            CountTarget::PartitionedTable => "Partitioned tables",
            CountTarget::View => "Views",
            CountTarget::MaterializedView => "Materialized views",
            CountTarget::Sequence => "Sequences",
            CountTarget::Function => "Functions",
            CountTarget::Procedure => "Procedures",
            CountTarget::Policy => "RLS Policies",
            CountTarget::Trigger => "Triggers",
            CountTarget::Index => "Indexes",
            CountTarget::EnumValue => "Enum values",
        }
    }

    /// The noun for `n` of them: `1 table`, `3 tables`.
    fn noun(self, n: i64) -> &'static str {
        let one = match self {
            CountTarget::Table => "table",
            CountTarget::PartitionedTable => "partitioned table",
            CountTarget::View => "view",
            CountTarget::MaterializedView => "materialized view",
            CountTarget::Sequence => "sequence",
            CountTarget::Function => "function",
            CountTarget::Procedure => "procedure",
            CountTarget::Policy => "policy",
            CountTarget::Trigger => "trigger",
            CountTarget::Index => "index",
            CountTarget::EnumValue => "enum value",
        };
        plural(usize::try_from(n).unwrap_or(0), one, self.plural_noun())
    }

    fn plural_noun(self) -> &'static str {
        match self {
            CountTarget::Table => "tables",
            CountTarget::PartitionedTable => "partitioned tables",
            CountTarget::View => "views",
            CountTarget::MaterializedView => "materialized views",
            CountTarget::Sequence => "sequences",
            CountTarget::Function => "functions",
            CountTarget::Procedure => "procedures",
            CountTarget::Policy => "policies",
            CountTarget::Trigger => "triggers",
            CountTarget::Index => "indexes",
            CountTarget::EnumValue => "enum values",
        }
    }

    fn relkind(self) -> Option<RelKind> {
        Some(match self {
            CountTarget::Table => RelKind::Table,
            CountTarget::PartitionedTable => RelKind::PartitionedTable,
            CountTarget::View => RelKind::View,
            CountTarget::MaterializedView => RelKind::MaterializedView,
            CountTarget::Sequence => RelKind::Sequence,
            _ => return None,
        })
    }

    /// Objects that live on tables (filterable by `tables`).
    fn on_tables(self) -> bool {
        matches!(
            self,
            CountTarget::Policy | CountTarget::Trigger | CountTarget::Index
        )
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Count {
    /// Row label in the component table [default: from `object`, e.g. "RLS Policies"].
    pub component: Option<String>,
    pub object: CountTarget,
    /// Count only objects with these names (those that exist). Enum values: the labels.
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub names: Option<Names>,
    /// Count only objects whose name is LIKE this pattern.
    pub pattern: Option<String>,
    /// Policies, triggers, indexes: only those on these tables.
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub tables: Option<Names>,
    /// Enum values: of this enum type, or of each of a list (else of every enum in the schema).
    #[serde(rename = "enum")]
    pub enum_type: Option<Names>,
    /// Sequences: `false` leaves out sequences owned by a column (serial / identity), `true`
    /// counts only those.
    pub owned: Option<bool>,
    pub expect: Option<i64>,
    pub at_least: Option<i64>,
    pub at_most: Option<i64>,
}

impl Count {
    fn expectation(&self) -> Expectation {
        match (self.expect, self.at_least, self.at_most) {
            (Some(e), _, _) => Expectation::Exactly(e),
            (None, Some(l), Some(m)) => Expectation::Between(l, m),
            (None, Some(l), None) => Expectation::AtLeast(l),
            (None, None, Some(m)) => Expectation::AtMost(m),
            (None, None, None) => Expectation::Unspecified,
        }
    }

    /// The counted objects, in catalog order. O(objects + names): listed names go into a hash
    /// set once; display names are built only when a failing count shows them.
    fn counted<'s>(&self, ctx: &Ctx, snap: &'s Snapshot) -> Result<Vec<Item<'s>>, Vec<Problem>> {
        let schema = ctx.schema;
        let pattern = self.pattern.as_deref();
        let pat_ok = |name: &str| pattern.is_none_or(|p| crate::checks::names::like(p, name));
        // Relations and functions: listed names qualified; objects on tables and enum values:
        // listed names as written.
        let qualified: Option<HashSet<QualName>> = self
            .names
            .as_ref()
            .map(|ns| ns.iter().map(|n| ctx.qual(n)).collect());
        let plain: Option<HashSet<&str>> = self.names.as_ref().map(|ns| ns.iter().collect());
        let name_ok = |s: &str, n: &str| {
            qualified
                .as_ref()
                .is_none_or(|q| q.contains(&QualName::new(s, n)))
                && pat_ok(n)
        };
        let plain_ok = |n: &str| plain.as_ref().is_none_or(|p| p.contains(n)) && pat_ok(n);
        let mut out = Vec::new();
        if let Some(kind) = self.object.relkind() {
            for r in snap.relations_in(schema) {
                if r.kind != kind || !name_ok(&r.schema, &r.name) {
                    continue;
                }
                if let (Some(owned), Some(seq)) = (self.owned, &r.sequence) {
                    if seq.owned_by.is_some() != owned {
                        continue;
                    }
                }
                out.push(Item::Rel(r));
            }
            // Listed names in other schemas.
            for q in qualified.iter().flatten() {
                if q.schema != schema {
                    if let Some(r) = snap.relation(q).filter(|r| r.kind == kind) {
                        out.push(Item::Rel(r));
                    }
                }
            }
            return Ok(out);
        }
        match self.object {
            CountTarget::Function | CountTarget::Procedure => {
                let want = if self.object == CountTarget::Function {
                    FunctionKind::Function
                } else {
                    FunctionKind::Procedure
                };
                for f in &snap.functions {
                    if f.kind == want
                        && (f.schema == schema || self.names.is_some())
                        && name_ok(&f.schema, &f.name)
                    {
                        out.push(Item::Function(f));
                    }
                }
            }
            CountTarget::Policy | CountTarget::Trigger | CountTarget::Index => {
                let tables: Vec<_> = match &self.tables {
                    Some(ts) => {
                        let mut v = Vec::new();
                        let mut missing = Vec::new();
                        for t in ts.iter() {
                            let q = ctx.qual(t);
                            match snap.relation(&q) {
                                Some(r) => v.push(r),
                                None => missing.push(crate::checks::names::missing_relation(
                                    ctx,
                                    snap,
                                    &q,
                                    "table",
                                    &|k| k.is_table(),
                                )),
                            }
                        }
                        if !missing.is_empty() {
                            return Err(missing);
                        }
                        v
                    }
                    None => snap.relations_in(schema).collect(),
                };
                for r in tables {
                    let names: Vec<&str> = match self.object {
                        CountTarget::Policy => r.policies.iter().map(|p| p.name.as_str()).collect(),
                        CountTarget::Trigger => {
                            r.triggers.iter().map(|t| t.name.as_str()).collect()
                        }
                        _ => r.indexes.iter().map(|i| i.name.as_str()).collect(),
                    };
                    for n in names {
                        if plain_ok(n) {
                            out.push(Item::OnTable(r, n));
                        }
                    }
                }
            }
            CountTarget::EnumValue => {
                let types: Option<HashSet<QualName>> = self
                    .enum_type
                    .as_ref()
                    .map(|ts| ts.iter().map(|t| ctx.qual(t)).collect());
                for e in &snap.enums {
                    let which = match &types {
                        Some(ts) => ts.contains(&QualName::new(&e.schema, &e.name)),
                        None => e.schema == schema,
                    };
                    if !which {
                        continue;
                    }
                    for v in &e.values {
                        if plain_ok(v) {
                            out.push(Item::EnumValue(e, v));
                        }
                    }
                }
                let missing: Vec<Problem> = self
                    .enum_type
                    .iter()
                    .flat_map(|ts| ts.iter())
                    .filter(|t| snap.enum_type(&ctx.qual(t)).is_none())
                    .map(|t| Problem::missing(t, Missing::of("enum type")))
                    .collect();
                if !missing.is_empty() {
                    return Err(missing);
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// Listed names that match no counted object (relations and functions by qualified name,
    /// objects on tables and enum values by name).
    fn missing_names(&self, ctx: &Ctx, counted: &[Item]) -> Vec<String> {
        let Some(ns) = &self.names else {
            return Vec::new();
        };
        let quals: HashSet<QualName> = counted.iter().filter_map(Item::qual).collect();
        let plain: HashSet<&str> = counted.iter().map(Item::name).collect();
        ns.iter()
            .filter(|x| match self.object.relkind() {
                Some(_) => !quals.contains(&ctx.qual(x)),
                None if matches!(self.object, CountTarget::Function | CountTarget::Procedure) => {
                    !quals.contains(&ctx.qual(x))
                }
                None => !plain.contains(x),
            })
            .map(str::to_string)
            .collect()
    }
}

/// One counted object.
#[derive(Debug, Clone, Copy)]
enum Item<'s> {
    Rel(&'s Relation),
    Function(&'s Function),
    /// A policy, trigger or index, by name, on its table.
    OnTable(&'s Relation, &'s str),
    EnumValue(&'s EnumType, &'s str),
}

impl Item<'_> {
    /// As shown in a failing count's detail.
    fn show(&self, ctx: &Ctx) -> String {
        match self {
            Item::Rel(r) => ctx.show_rel(r),
            Item::Function(f) => f.signature(),
            Item::OnTable(r, n) => format!("{}.{n}", ctx.show_rel(r)),
            Item::EnumValue(e, v) => format!("{}.{v}", e.name),
        }
    }

    fn name(&self) -> &str {
        match self {
            Item::Rel(r) => &r.name,
            Item::Function(f) => &f.name,
            Item::OnTable(_, n) | Item::EnumValue(_, n) => n,
        }
    }

    fn qual(&self) -> Option<QualName> {
        match self {
            Item::Rel(r) => Some(r.qual()),
            Item::Function(f) => Some(f.qual()),
            _ => None,
        }
    }
}

impl StaticCheck for Count {
    fn validate(&mut self, v: &mut Validator) {
        if self.expect.is_none() && self.at_least.is_none() && self.at_most.is_none() {
            v.error(
                "",
                "count needs `expect`, `at_least` or `at_most`",
                Some("e.g. expect = 11".to_string()),
            );
        }
        if self.expect.is_some() && (self.at_least.is_some() || self.at_most.is_some()) {
            v.error(
                "expect",
                "`expect` cannot be combined with `at_least` / `at_most`",
                None,
            );
        }
        if let (Some(l), Some(m)) = (self.at_least, self.at_most) {
            if l > m {
                v.error(
                    "at_least",
                    format!("`at_least` ({l}) is above `at_most` ({m})"),
                    None,
                );
            }
        }
        if self.tables.is_some() && !self.object.on_tables() {
            v.not_here(
                "tables",
                "applies to policies, triggers and indexes only (filter tables by `names` or `pattern`)",
            );
        }
        if self.enum_type.as_ref().is_some_and(|e| e.is_empty()) {
            v.error("enum", "`enum` is empty", None);
        }
        if self.enum_type.is_some() && self.object != CountTarget::EnumValue {
            v.not_here("enum", "applies to `object = \"enum_value\"` only");
        }
        if self.owned.is_some() && self.object != CountTarget::Sequence {
            v.not_here("owned", "applies to `object = \"sequence\"` only");
        }
    }

    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        let mut raws: Vec<&str> = Vec::new();
        if self.object.relkind().is_some()
            || matches!(self.object, CountTarget::Function | CountTarget::Procedure)
        {
            raws.extend(self.names.iter().flat_map(|n| n.iter()));
        }
        raws.extend(self.tables.iter().flat_map(|n| n.iter()));
        raws.extend(self.enum_type.iter().flat_map(|n| n.iter()));
        let mut s = schemas_of(ctx.schema, raws);
        if let Some(p) = &self.pattern {
            let q = qualify(ctx.schema, p);
            if !s.contains(&q.schema) && self.object.relkind().is_none() {
                s.push(q.schema);
            }
        }
        s
    }

    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let label = self
            .component
            .clone()
            .unwrap_or_else(|| self.object.label().to_string());
        let expected = self.expectation();
        let counted = match self.counted(ctx, snap) {
            Ok(c) => c,
            Err(problems) => {
                return Outcome::failing(problems).with_component(Component {
                    component: label,
                    count: 0,
                    expected,
                })
            }
        };
        let n = counted.len() as i64;
        let row = Component {
            component: label,
            count: n,
            expected,
        };
        let noun = self.object.noun(n);
        let scope = match &self.tables {
            Some(ts) => format!(" on {}", list(&ts.0, 10)),
            None => String::new(),
        };
        if expected.accepts(n) {
            return Outcome::pass(format!("{n} {noun}{scope} (expected {expected})"))
                .with_component(row);
        }
        let mut count = Counted {
            count: n,
            one: self.object.noun(1).to_string(),
            many: self.object.plural_noun().to_string(),
            tables: self.tables.iter().flat_map(|t| t.0.clone()).collect(),
            expected,
            per_table: Vec::new(),
        };
        let mut more = None;
        // Name what is missing when names were listed; otherwise what was found, per table.
        if self.names.is_some() {
            let missing = self.missing_names(ctx, &counted);
            if !missing.is_empty() {
                more = Some(Message::MissingNames(missing));
            }
        } else if self.object.on_tables() {
            // Per table, in first-seen order, then listed tables with none.
            let mut per: Vec<(String, usize)> = Vec::new();
            let mut at: HashMap<QualName, usize> = HashMap::new();
            for c in &counted {
                if let Item::OnTable(r, _) = c {
                    let i = *at.entry(r.qual()).or_insert_with(|| {
                        per.push((ctx.show_rel(r), 0));
                        per.len() - 1
                    });
                    per[i].1 += 1;
                }
            }
            if let Some(ts) = &self.tables {
                for t in ts.iter() {
                    let q = ctx.qual(t);
                    if !at.contains_key(&q) {
                        at.insert(q.clone(), per.len());
                        per.push((ctx.show(&q), 0));
                    }
                }
            }
            count.per_table = per;
        } else if !counted.is_empty() {
            more = Some(Message::Found {
                shown: counted.iter().take(20).map(|c| c.show(ctx)).collect(),
                total: counted.len(),
            });
        }
        let problems = std::iter::once(Message::Count(count))
            .chain(more)
            .map(Problem::whole)
            .collect();
        Outcome::failing(problems).with_component(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{
        EnumType, Function, Policy, PolicyCommand, QualName, Relation, SequenceInfo,
    };
    use crate::checks::loader::load_str;
    use crate::checks::testkit::Kit;
    use crate::findings::Status;

    fn snap() -> Snapshot {
        let mut s = Snapshot {
            scope: vec!["public".into()],
            ..Default::default()
        };
        let mut a = Relation::new("public", "chat_sessions", RelKind::Table);
        a.policies = vec![
            Policy::new("p1", PolicyCommand::Select, &["authenticated"]),
            Policy::new("p2", PolicyCommand::Insert, &["authenticated"]),
        ];
        let mut b = Relation::new("public", "chat_session_activity", RelKind::Table);
        b.policies = vec![Policy::new("p3", PolicyCommand::Select, &["authenticated"])];
        let mut owned = Relation::new("public", "chat_sessions_id_seq", RelKind::Sequence);
        owned.sequence = Some(SequenceInfo {
            owned_by: Some((QualName::new("public", "chat_sessions"), "id".into())),
        });
        s.relations = vec![
            a,
            b,
            Relation::new("public", "chat_session_stats", RelKind::View),
            Relation::new("public", "chat_session_seq", RelKind::Sequence),
            owned,
        ];
        s.functions = vec![Function::new(
            "public",
            "log_chat_activity",
            &["uuid"],
            "void",
        )];
        s.enums = vec![EnumType {
            schema: "public".into(),
            name: "status".into(),
            values: vec!["open".into(), "closed".into()],
        }];
        s.finish()
    }

    fn kit() -> Kit {
        Kit::new(snap())
    }

    #[test]
    fn policies_on_tables_pass_and_fail_with_per_table_counts() {
        let o = kit().eval("[[count]]\nobject = \"policy\"\ntables = [\"chat_sessions\", \"chat_session_activity\"]\nexpect = 3\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let row = o.component.unwrap();
        assert_eq!(
            (row.component.as_str(), row.count, row.expected),
            ("RLS Policies", 3, Expectation::Exactly(3))
        );
        let o = kit().eval("[[count]]\nobject = \"policy\"\ntables = [\"chat_sessions\", \"chat_session_activity\"]\nat_least = 4\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "3 policies on chat_sessions, chat_session_activity, expected >= 4 (chat_sessions 2, chat_session_activity 1)"
        );
    }

    /// The outcome as data (what the report renders): each problem apart, the count and its
    /// expectation typed.
    #[test]
    fn outcome_data() {
        let k = kit();
        insta::assert_json_snapshot!(
            "count_missing_names",
            k.eval("[[count]]\nobject = \"table\"\nnames = [\"chat_sessions\", \"chat_messages\"]\nexpect = 2\n")
        );
        insta::assert_json_snapshot!(
            "count_between_passes",
            k.eval("[[count]]\ncomponent = \"Chat tables\"\nobject = \"table\"\npattern = \"chat_%\"\nat_least = 1\nat_most = 3\n")
        );
        insta::assert_json_snapshot!(
            "count_per_table",
            k.eval("[[count]]\nobject = \"policy\"\ntables = [\"chat_sessions\", \"chat_session_activity\"]\nat_least = 4\n")
        );
        insta::assert_json_snapshot!(
            "count_found",
            k.eval("[[count]]\nobject = \"function\"\nexpect = 0\n")
        );
        insta::assert_json_snapshot!(
            "count_on_missing_tables",
            k.eval("[[count]]\nobject = \"policy\"\ntables = [\"nope\", \"chat_sesions\"]\nat_most = 3\n")
        );
    }

    #[test]
    fn tables_views_sequences_functions_enum_values() {
        assert_eq!(
            kit()
                .eval("[[count]]\nobject = \"table\"\nexpect = 2\n")
                .status,
            Status::Pass
        );
        let o = kit().eval("[[count]]\nobject = \"table\"\nnames = [\"chat_sessions\", \"chat_messages\"]\nexpect = 2\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.detail(), "1 table, expected 2; missing: chat_messages");
        assert_eq!(
            kit()
                .eval("[[count]]\nobject = \"views\"\nexpect = 1\n")
                .status,
            Status::Pass
        );
        assert_eq!(
            kit()
                .eval("[[count]]\nobject = \"sequence\"\nexpect = 2\n")
                .status,
            Status::Pass
        );
        assert_eq!(
            kit()
                .eval("[[count]]\nobject = \"sequence\"\nowned = false\nexpect = 1\n")
                .status,
            Status::Pass
        );
        assert_eq!(
            kit()
                .eval("[[count]]\nobject = \"function\"\npattern = \"log_%\"\nexpect = 1\n")
                .status,
            Status::Pass
        );
        assert_eq!(
            kit()
                .eval("[[count]]\nobject = \"enum_value\"\nenum = \"status\"\nexpect = 2\n")
                .status,
            Status::Pass
        );
        let o = kit()
            .eval("[[count]]\ncomponent = \"Functions\"\nobject = \"function\"\nat_most = 0\n");
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.detail().contains("found: log_chat_activity(uuid)"),
            "{}",
            o.detail()
        );
    }

    #[test]
    fn one_is_singular_other_counts_plural() {
        let o = kit().eval(
            "[[count]]\nobject = \"policy\"\ntables = [\"chat_session_activity\"]\nexpect = 1\n",
        );
        assert_eq!(o.detail(), "1 policy on chat_session_activity (expected 1)");
        let o = kit().eval("[[count]]\nobject = \"index\"\nexpect = 1\n");
        assert_eq!(o.detail(), "0 indexes, expected 1");
        let o = kit().eval("[[count]]\nobject = \"enum_value\"\nnames = [\"open\"]\nexpect = 2\n");
        assert_eq!(o.detail(), "1 enum value, expected 2");
        let o = kit().eval("[[count]]\nobject = \"views\"\nexpect = 1\n");
        assert_eq!(o.detail(), "1 view (expected 1)");
    }

    #[test]
    fn enum_takes_a_list() {
        let mut s = snap();
        s.enums.push(EnumType {
            schema: "public".into(),
            name: "priority".into(),
            values: vec!["low".into(), "high".into()],
        });
        s.enums.push(EnumType {
            schema: "public".into(),
            name: "other".into(),
            values: vec!["x".into()],
        });
        let s = s.finish();
        let checks = load_str(
            std::path::Path::new("t.toml"),
            "[[count]]\nobject = \"enum_value\"\nenum = [\"status\", \"priority\"]\nexpect = 4\n",
        )
        .unwrap();
        let o = checks[0].evaluate_static(&s).unwrap();
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.detail(), "4 enum values (expected 4)");
        let o = kit().eval(
            "[[count]]\nobject = \"enum_value\"\nenum = [\"status\", \"prio\"]\nexpect = 2\n",
        );
        assert_eq!(
            (o.status, o.detail().as_str()),
            (Status::Fail, "prio: no such enum type")
        );
    }

    #[test]
    fn dotted_policy_names_count_under_their_table() {
        let mut s = snap();
        let t = s
            .relations
            .iter_mut()
            .find(|r| r.name == "chat_sessions")
            .unwrap();
        t.policies.push(Policy::new(
            "v1.2 insert",
            PolicyCommand::Insert,
            &["public"],
        ));
        let s = s.finish();
        let checks = load_str(
            std::path::Path::new("t.toml"),
            "[[count]]\nobject = \"policy\"\ntables = [\"chat_sessions\"]\nexpect = 9\n",
        )
        .unwrap();
        let o = checks[0].evaluate_static(&s).unwrap();
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "3 policies on chat_sessions, expected 9 (chat_sessions 3)"
        );
    }

    #[test]
    fn missing_table_is_named_with_near_miss() {
        let o =
            kit().eval("[[count]]\nobject = \"policy\"\ntables = [\"ChatSessions\"]\nexpect = 1\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "ChatSessions: no such table (did you mean chat_sessions?)"
        );
    }

    #[test]
    fn validation() {
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[count]]\nobject = \"table\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("count needs `expect`"), "{e}");
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[count]]\nobject = \"table\"\ntables = [\"x\"]\nexpect = 1\nat_most = 2\n",
        )
        .unwrap_err();
        assert_eq!(e.0.len(), 2, "{e}");
    }
}
