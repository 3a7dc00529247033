//! `[[privileges]]`: a role has / has not given privileges on tables, views, sequences,
//! functions, schemas or columns, counting PUBLIC grants, inherited memberships and superuser
//! status ("anon has no privilege on any table in public"; "authenticated may EXECUTE
//! assign_ticket"). Reads only the Snapshot.

use std::collections::HashSet;

use serde::Deserialize;

use crate::catalog::{
    AclItem, Column, Function, FunctionKind, QualName, RelKind, Relation, Snapshot,
};
use crate::checks::names::{
    like, missing_relation, qualify, schemas_of, split_column, wrong_kind, Ctx, Names,
};
use crate::checks::validator::Validator;
use crate::checks::{Outcome, StaticCheck};
use crate::findings::{Message, Missing, Problem};
use crate::words::{closest, list_of, plural};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum On {
    #[serde(alias = "tables")]
    Table,
    #[serde(alias = "views")]
    View,
    #[serde(alias = "materialized_views")]
    MaterializedView,
    #[serde(alias = "sequences")]
    Sequence,
    #[serde(alias = "functions")]
    Function,
    #[serde(alias = "schemas")]
    Schema,
    #[serde(alias = "columns")]
    Column,
}

impl On {
    fn noun(self) -> &'static str {
        match self {
            On::Table => "table",
            On::View => "view",
            On::MaterializedView => "materialized view",
            On::Sequence => "sequence",
            On::Function => "function",
            On::Schema => "schema",
            On::Column => "column",
        }
    }

    fn plural_noun(self) -> &'static str {
        match self {
            On::Table => "tables",
            On::View => "views",
            On::MaterializedView => "materialized views",
            On::Sequence => "sequences",
            On::Function => "functions",
            On::Schema => "schemas",
            On::Column => "columns",
        }
    }

    /// Privileges that exist for this object type (what `ALL` means).
    fn privileges(self) -> &'static [&'static str] {
        use crate::catalog::privilege;
        match self {
            On::Table | On::View | On::MaterializedView => privilege::TABLE,
            On::Sequence => privilege::SEQUENCE,
            On::Function => privilege::FUNCTION,
            On::Schema => privilege::SCHEMA,
            On::Column => privilege::COLUMN,
        }
    }

    fn relkind_ok(self, k: RelKind) -> bool {
        match self {
            On::Table => k.is_table() || k == RelKind::ForeignTable,
            On::View => k == RelKind::View,
            On::MaterializedView => k == RelKind::MaterializedView,
            On::Sequence => k == RelKind::Sequence,
            On::Column => k != RelKind::Sequence,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Privileges {
    pub role: Names,
    pub on: On,
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub names: Option<Names>,
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(extend("default" = false))]
    pub all: bool,
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub except: Option<Names>,
    pub has: Option<Vec<String>>,
    pub has_not: Option<Vec<String>>,
}

/// One object the check is about and the ACLs that grant on it (a column: the table's and the
/// column's). Its display name is built only when a detail shows it.
struct Target<'s> {
    object: Granted<'s>,
    acls: [&'s [AclItem]; 2],
}

#[derive(Clone, Copy)]
enum Granted<'s> {
    Schema(&'s str),
    Relation(&'s Relation),
    Function(&'s Function),
    Column(&'s Relation, &'s Column),
}

impl<'s> Target<'s> {
    fn new(object: Granted<'s>, acl: &'s [AclItem]) -> Target<'s> {
        Target {
            object,
            acls: [acl, &[]],
        }
    }

    fn show(&self, ctx: &Ctx) -> String {
        match self.object {
            Granted::Schema(s) => format!("schema {s}"),
            Granted::Relation(r) => ctx.show_rel(r),
            Granted::Function(f) => ctx.show(&QualName::new(&f.schema, f.signature())),
            Granted::Column(r, c) => format!("{}.{}", ctx.show_rel(r), c.name),
        }
    }
}

/// Privileges as bits over one object type's privileges (`On::privileges`).
type Mask = u16;

fn bit(on: On, privilege: &str) -> Mask {
    on.privileges()
        .iter()
        .position(|p| *p == privilege)
        .map_or(0, |i| 1 << i)
}

impl Privileges {
    fn expand(&self, list: &Option<Vec<String>>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in list.iter().flatten() {
            let up = p.to_ascii_uppercase();
            if up == "ALL" || up == "ALL PRIVILEGES" {
                for x in self.on.privileges() {
                    if !out.iter().any(|o| o == x) {
                        out.push(x.to_string());
                    }
                }
            } else if !out.contains(&up) {
                out.push(up);
            }
        }
        out
    }

    /// `except`, qualified, once per evaluation.
    fn except_set(&self, ctx: &Ctx) -> HashSet<QualName> {
        self.except
            .iter()
            .flat_map(|e| e.iter())
            .map(|x| ctx.qual(x))
            .collect()
    }

    /// Resolve the objects; names that do not exist go to `missing`.
    fn targets<'s>(
        &self,
        ctx: &Ctx,
        snap: &'s Snapshot,
        missing: &mut Vec<Problem>,
    ) -> Vec<Target<'s>> {
        let mut out = Vec::new();
        let except = self.except_set(ctx);
        let excluded = |q: &QualName| except.contains(q);
        let except_schemas: HashSet<&str> = self.except.iter().flat_map(|e| e.iter()).collect();
        let pat = self.pattern.as_deref().map(|p| qualify(ctx.schema, p));
        match self.on {
            On::Schema => {
                let wanted: Vec<String> = match &self.names {
                    Some(n) => n.0.clone(),
                    None => vec![ctx.schema.to_string()],
                };
                if self.all || self.pattern.is_some() {
                    for s in &snap.schemas {
                        let ok = self.pattern.as_deref().is_none_or(|p| like(p, &s.name));
                        if ok && !except_schemas.contains(s.name.as_str()) {
                            out.push(Target::new(Granted::Schema(&s.name), &s.acl));
                        }
                    }
                } else {
                    for w in wanted {
                        match snap.schema(&w) {
                            Some(s) => out.push(Target::new(Granted::Schema(&s.name), &s.acl)),
                            None => missing.push(Problem::missing(
                                format!("schema {w}"),
                                Missing::of("schema"),
                            )),
                        }
                    }
                }
            }
            On::Function => {
                // `name(type, ...)`: the argument types read by PostgreSQL's parser (commas in
                // `numeric(10,2)` or a quoted type name do not split), canonical. A text with
                // parentheses the grammar rejects matches no function.
                // A list with no nested parentheses, quotes or dots has commas only between
                // arguments: split it without calling the parser (a snapshot names ~1,000
                // functions this way; parsing each costs ~50 us).
                let plain = |args: &str| -> Option<Vec<String>> {
                    let inner = args.strip_suffix(')')?;
                    if inner.contains(['(', ')', '"', '\'', '.']) {
                        return None;
                    }
                    Some(
                        inner
                            .split(',')
                            .map(crate::checks::normalize::canonical_type)
                            .filter(|a| !a.is_empty())
                            .collect(),
                    )
                };
                let want_args = |raw: &str| -> Option<Vec<String>> {
                    let open = raw.find('(')?;
                    if !raw[..open].contains('"') {
                        if let Some(args) = plain(raw[open + 1..].trim_end()) {
                            return Some(args);
                        }
                    }
                    Some(match crate::sqltext::signature(raw) {
                        Some(sig) => sig
                            .args
                            .unwrap_or_default()
                            .iter()
                            .map(|a| crate::checks::normalize::canonical_type(a))
                            .collect(),
                        None => vec![String::from("(not a signature)")],
                    })
                };
                let matches_sig = |f: &Function, want: &Option<Vec<String>>| -> bool {
                    want.as_ref().is_none_or(|w| {
                        w.len() == f.arg_types.len()
                            && w.iter().zip(&f.arg_types).all(|(x, y)| {
                                x == y || *x == crate::checks::normalize::canonical_type(y)
                            })
                    })
                };
                if let Some(names) = &self.names {
                    for raw in names.iter() {
                        let base = raw.split('(').next().unwrap_or(raw).trim();
                        let q = ctx.qual(base);
                        let want = want_args(raw);
                        let same_name = snap.functions_named(&q);
                        let fs: Vec<&Function> = same_name
                            .iter()
                            .copied()
                            .filter(|f| matches_sig(f, &want))
                            .collect();
                        if fs.is_empty() && !same_name.is_empty() {
                            let sigs: Vec<String> =
                                same_name.iter().map(|f| f.signature()).collect();
                            missing.push(Problem::on(
                                raw,
                                format!(
                                    "no function with these argument types; there is {}",
                                    sigs.join(", ")
                                ),
                            ));
                        } else if fs.is_empty() {
                            let near = closest(
                                &q.name,
                                snap.functions
                                    .iter()
                                    .filter(|f| f.schema == q.schema)
                                    .map(|f| f.name.as_str()),
                            );
                            missing.push(Problem::missing(raw, Missing::of("function").near(near)));
                        }
                        for f in fs {
                            if !excluded(&f.qual()) {
                                out.push(Target::new(Granted::Function(f), &f.acl));
                            }
                        }
                    }
                } else {
                    let schema = pat
                        .as_ref()
                        .map(|p| p.schema.as_str())
                        .unwrap_or(ctx.schema);
                    for f in snap.functions.iter().filter(|f| f.schema == schema) {
                        if matches!(f.kind, FunctionKind::Aggregate | FunctionKind::Window) {
                            continue;
                        }
                        if pat.as_ref().is_some_and(|p| !like(&p.name, &f.name))
                            || excluded(&f.qual())
                        {
                            continue;
                        }
                        out.push(Target::new(Granted::Function(f), &f.acl));
                    }
                }
            }
            On::Column => {
                if let Some(names) = &self.names {
                    for raw in names.iter() {
                        let (rel, col) = split_column(ctx.schema, raw);
                        let Some(rq) = rel else {
                            missing.push(Problem::on(raw, "write columns as table.column"));
                            continue;
                        };
                        match snap.relation(&rq) {
                            None => missing.push(missing_relation(ctx, snap, &rq, "table", &|k| {
                                k != RelKind::Sequence
                            })),
                            Some(r) => match r.column(&col) {
                                None => missing.push(Problem::missing(
                                    ctx.show_rel(r),
                                    Missing::named("column", col),
                                )),
                                Some(c) => out.push(Target {
                                    object: Granted::Column(r, c),
                                    acls: [&r.acl, &c.acl],
                                }),
                            },
                        }
                    }
                } else {
                    let schema = pat
                        .as_ref()
                        .map(|p| p.schema.as_str())
                        .unwrap_or(ctx.schema);
                    for r in snap
                        .relations_in(schema)
                        .filter(|r| On::Column.relkind_ok(r.kind))
                    {
                        if excluded(&r.qual()) {
                            continue;
                        }
                        for c in &r.columns {
                            if pat.as_ref().is_none_or(|p| like(&p.name, &c.name)) {
                                out.push(Target {
                                    object: Granted::Column(r, c),
                                    acls: [&r.acl, &c.acl],
                                });
                            }
                        }
                    }
                }
            }
            on => {
                if let Some(names) = &self.names {
                    for raw in names.iter() {
                        let q = ctx.qual(raw);
                        match snap.relation(&q) {
                            Some(r) if on.relkind_ok(r.kind) => {
                                if !excluded(&q) {
                                    out.push(Target::new(Granted::Relation(r), &r.acl))
                                }
                            }
                            Some(r) => missing.push(wrong_kind(ctx, &q, r, on.noun())),
                            None => {
                                missing.push(missing_relation(ctx, snap, &q, on.noun(), &|k| {
                                    on.relkind_ok(k)
                                }))
                            }
                        }
                    }
                } else {
                    let schema = pat
                        .as_ref()
                        .map(|p| p.schema.as_str())
                        .unwrap_or(ctx.schema);
                    for r in snap.relations_in(schema) {
                        if !on.relkind_ok(r.kind) || r.is_partition || excluded(&r.qual()) {
                            continue;
                        }
                        if pat.as_ref().is_none_or(|p| like(&p.name, &r.name)) {
                            out.push(Target::new(Granted::Relation(r), &r.acl));
                        }
                    }
                }
            }
        }
        out
    }
}

impl StaticCheck for Privileges {
    fn validate(&mut self, v: &mut Validator) {
        let given = [self.names.is_some(), self.pattern.is_some(), self.all]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 || (given == 0 && self.on != On::Schema) {
            v.error(
                "",
                "give exactly one of `names`, `pattern` or `all = true`",
                Some("e.g. names = [\"orders\"] or all = true".to_string()),
            );
        }
        if self.has.is_none() && self.has_not.is_none() {
            v.error(
                "",
                "give `has` and/or `has_not`",
                Some("e.g. has_not = [\"ALL\"]".to_string()),
            );
        }
        if self.role.is_empty() {
            v.error("role", "`role` is empty", None);
        }
        let mut allowed: Vec<&str> = self.on.privileges().to_vec();
        allowed.push("ALL");
        for (key, l) in [("has", &self.has), ("has_not", &self.has_not)] {
            for (i, p) in l.iter().flatten().enumerate() {
                if !p.eq_ignore_ascii_case("all privileges") {
                    v.word(
                        &format!("{key}.{i}"),
                        &format!("{} privilege", self.on.noun()),
                        p,
                        &allowed,
                    );
                }
            }
        }
    }

    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        let mut raws: Vec<String> = Vec::new();
        match self.on {
            On::Schema => {
                let mut s = vec![ctx.schema.to_string()];
                for n in self.names.iter().flat_map(|n| n.iter()) {
                    if !s.iter().any(|x| x == n) {
                        s.push(n.to_string());
                    }
                }
                return s;
            }
            On::Column => {
                let mut s = vec![ctx.schema.to_string()];
                for n in self.names.iter().flat_map(|n| n.iter()) {
                    if let (Some(q), _) = split_column(ctx.schema, n) {
                        if !s.contains(&q.schema) {
                            s.push(q.schema);
                        }
                    }
                }
                return s;
            }
            On::Function => {
                for n in self.names.iter().flat_map(|n| n.iter()) {
                    raws.push(n.split('(').next().unwrap_or(n).to_string());
                }
            }
            _ => raws.extend(self.names.iter().flat_map(|n| n.iter()).map(str::to_string)),
        }
        if let Some(p) = &self.pattern {
            raws.push(p.clone());
        }
        schemas_of(ctx.schema, raws.iter().map(String::as_str))
    }

    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let mut problems = Vec::new();
        let targets = self.targets(ctx, snap, &mut problems);
        if targets.is_empty() && problems.is_empty() {
            problems.push(Problem::new(format!("no {} found", self.on.plural_noun())));
        }
        let has = self.expand(&self.has);
        let has_not = self.expand(&self.has_not);
        let universe = self.on.privileges();
        let all_bits: Mask = (1 << universe.len()) - 1;
        // MAINTAIN exists only on PostgreSQL 17+: never required by `ALL`.
        let required: Vec<&str> = has
            .iter()
            .map(String::as_str)
            .filter(|p| {
                !(*p == "MAINTAIN"
                    && snap.server_version_num < crate::catalog::privilege::MAINTAIN_SINCE)
            })
            .collect();
        let has_bits: Mask = required.iter().fold(0, |m, p| m | bit(self.on, p));
        // A required privilege outside this object type's list is never held.
        let has_unknown = required.iter().any(|p| bit(self.on, p) == 0);
        let has_not_bits: Mask = has_not.iter().fold(0, |m, p| m | bit(self.on, p));
        // The bit of each privilege an ACL item can hold, indexed by the enum: no name lookups in
        // the per-object loop.
        let by_privilege: Vec<Mask> = crate::catalog::privilege::ORDER
            .iter()
            .map(|p| bit(self.on, p.name()))
            .collect();
        for role in self.role.iter() {
            let superuser = snap.is_superuser(role);
            let grantees = snap.effective_grantees(role);
            if snap.role(role).is_none() && !role.eq_ignore_ascii_case("public") {
                problems.push(Problem::absent("role", role));
                continue;
            }
            for t in &targets {
                let held: Mask = if superuser {
                    all_bits
                } else {
                    let mut m = 0;
                    for acl in t.acls {
                        for a in acl {
                            if grantees.iter().any(|g| **g == *a.grantee) {
                                m |= by_privilege[a.privilege as usize];
                            }
                        }
                    }
                    m
                };
                let lacks = has_bits & !held != 0 || (has_unknown && !superuser);
                let extra = has_not_bits & held != 0;
                if !lacks && !extra {
                    continue;
                }
                let name = t.show(ctx);
                let grant = |held, privileges: Vec<&str>| {
                    Problem::about(
                        &name,
                        Message::Privileges {
                            role: role.to_string(),
                            superuser,
                            held,
                            privileges: privileges.into_iter().map(str::to_string).collect(),
                        },
                    )
                };
                if lacks {
                    let lacking: Vec<&str> = required
                        .iter()
                        .copied()
                        .filter(|p| match bit(self.on, p) {
                            0 => !superuser,
                            b => held & b == 0,
                        })
                        .collect();
                    problems.push(grant(false, lacking));
                }
                if extra {
                    let extra: Vec<&str> = has_not
                        .iter()
                        .map(String::as_str)
                        .filter(|p| held & bit(self.on, p) != 0)
                        .collect();
                    problems.push(grant(true, extra));
                }
            }
        }
        let names: Vec<String> = targets.iter().take(8).map(|t| t.show(ctx)).collect();
        let total = targets.len();
        let mut summary = Vec::new();
        if !has.is_empty() {
            summary.push(format!("has {}", has.join(", ")));
        }
        if !has_not.is_empty() {
            summary.push(format!(
                "has no {}",
                if self
                    .has_not
                    .iter()
                    .flatten()
                    .any(|p| p.eq_ignore_ascii_case("all"))
                {
                    "privilege".to_string()
                } else {
                    has_not.join(", ")
                }
            ));
        }
        let count = problems.len();
        if count > 12 {
            let n = count - 10;
            problems.truncate(10);
            problems.push(Problem::new(format!("and {n} more")));
        }
        Outcome::from_problems(
            problems,
            format!(
                "{} {} on {} {}: {}",
                self.role.0.join(", "),
                summary.join(" and "),
                total,
                plural(total, self.on.noun(), self.on.plural_noun()),
                list_of(&names, total)
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, Function, Relation, Role, SchemaInfo};
    use crate::checks::loader::load_str;
    use crate::checks::testkit::Kit;
    use crate::findings::Status;

    fn acl(items: &[(&str, &str)]) -> Vec<AclItem> {
        items.iter().map(|(g, p)| AclItem::new(g, p)).collect()
    }

    fn snap() -> Snapshot {
        let mut t = Relation::new("public", "chat_sessions", RelKind::Table);
        t.acl = acl(&[
            ("postgres", "SELECT"),
            ("authenticated", "SELECT"),
            ("authenticated", "INSERT"),
        ]);
        let mut c = Column::new("notes", "text");
        c.acl = acl(&[("anon", "SELECT")]);
        t.columns = vec![Column::new("id", "uuid"), c];
        let mut u = Relation::new("public", "tickets", RelKind::Table);
        u.acl = acl(&[("anon", "SELECT"), ("anon", "INSERT")]);
        let mut v = Relation::new("public", "stats", RelKind::View);
        v.acl = acl(&[("PUBLIC", "SELECT")]);
        let mut f = Function::new("public", "assign_ticket", &["uuid", "uuid"], "void");
        f.acl = acl(&[("authenticated", "EXECUTE")]);
        let mut g = Function::new("public", "assign_ticket", &["uuid"], "void");
        g.acl = acl(&[("postgres", "EXECUTE")]);
        let mut h = Function::new("public", "price", &["numeric", "text[]"], "numeric");
        h.acl = acl(&[("authenticated", "EXECUTE")]);
        let mut authenticator = Role::new("authenticator");
        authenticator.member_of = vec!["authenticated".into()];
        let mut pg = Role::new("postgres");
        pg.superuser = true;
        Snapshot {
            scope: vec!["public".into()],
            schemas: vec![SchemaInfo {
                name: "public".into(),
                owner: "postgres".into(),
                acl: acl(&[("anon", "USAGE")]),
            }],
            relations: vec![t, u, v],
            functions: vec![f, g, h],
            roles: vec![
                Role::new("anon"),
                Role::new("authenticated"),
                authenticator,
                pg,
            ],
            server_version_num: 150000,
            ..Default::default()
        }
        .finish()
    }

    fn kit() -> Kit {
        Kit::new(snap())
    }

    #[test]
    fn anon_has_no_privilege_on_any_table() {
        let o = kit().eval(
            "[[privileges]]\nrole = \"anon\"\non = \"table\"\nall = true\nhas_not = [\"ALL\"]\n",
        );
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.detail(), "anon has SELECT, INSERT on tickets");
        let o = kit().eval("[[privileges]]\nrole = \"anon\"\non = \"table\"\nall = true\nexcept = [\"tickets\"]\nhas_not = [\"ALL\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "anon has no privilege on 1 table: chat_sessions"
        );
    }

    /// Failing privileges as data: the object each problem is about, the role and privileges
    /// as fields; missing objects with their near misses.
    #[test]
    fn problems_as_data() {
        let k = kit();
        let got: Vec<serde_json::Value> = [
            "[[privileges]]\nrole = \"anon\"\non = \"table\"\nall = true\nhas_not = [\"ALL\"]\n",
            "[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"assign_ticket\", \"asign_ticket\"]\nhas = [\"EXECUTE\"]\n",
            "[[privileges]]\nrole = \"nobody\"\non = \"table\"\nnames = [\"tickets\"]\nhas = [\"SELECT\"]\n",
            "[[privileges]]\nrole = \"anon\"\non = \"column\"\nnames = [\"tickets.nope\", \"tickts.id\"]\nhas = [\"SELECT\"]\n",
        ]
        .iter()
        .map(|c| {
            let o = k.eval(c);
            assert_eq!(o.status, Status::Fail, "{c}");
            serde_json::json!({ "check": c, "problems": o.problems, "detail": o.detail() })
        })
        .collect();
        insta::assert_json_snapshot!(got);
    }

    #[test]
    fn execute_on_function_and_overloads() {
        let o = kit().eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"assign_ticket(uuid, uuid)\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = kit().eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"assign_ticket\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "authenticated lacks EXECUTE on assign_ticket(uuid)"
        );
        let o = kit().eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"asign_ticket\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(
            o.detail(),
            "asign_ticket: no such function (did you mean assign_ticket?)"
        );
    }

    #[test]
    fn signatures_are_read_by_the_parser() {
        // The comma inside numeric(10,2) does not split the argument list; typmods are ignored
        // as PostgreSQL ignores them in a routine's arguments.
        let o = kit().eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"price(numeric(10,2), text[])\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = kit().eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"price(decimal, pg_catalog.text[])\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        for bad in [
            "price(numeric, text)",
            "price(numeric(10,2)",
            "price(numeric); drop table x",
        ] {
            let o = kit().eval(&format!("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"{bad}\"]\nhas = [\"EXECUTE\"]\n"));
            assert_eq!(
                o.detail(),
                format!(
                    "{bad}: no function with these argument types; there is price(numeric, text[])"
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn membership_public_superuser_views_columns_schemas() {
        // authenticator inherits authenticated's grants.
        let o = kit().eval("[[privileges]]\nrole = \"authenticator\"\non = \"table\"\nnames = \"chat_sessions\"\nhas = [\"SELECT\", \"INSERT\"]\nhas_not = [\"DELETE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        // PUBLIC grants count for everyone.
        let o = kit().eval("[[privileges]]\nrole = [\"anon\", \"authenticated\"]\non = \"view\"\nnames = \"stats\"\nhas_not = [\"SELECT\"]\n");
        assert_eq!(
            o.detail(),
            "anon has SELECT on stats; authenticated has SELECT on stats"
        );
        let o = kit().eval(
            "[[privileges]]\nrole = \"postgres\"\non = \"table\"\nall = true\nhas = [\"ALL\"]\n",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = kit().eval("[[privileges]]\nrole = \"anon\"\non = \"column\"\nnames = [\"chat_sessions.notes\", \"chat_sessions.id\"]\nhas_not = [\"SELECT\"]\n");
        assert_eq!(o.detail(), "anon has SELECT on chat_sessions.notes");
        let o = kit().eval("[[privileges]]\nrole = \"anon\"\non = \"schema\"\nhas = [\"USAGE\"]\nhas_not = [\"CREATE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = kit().eval("[[privileges]]\nrole = \"anon\"\non = \"materialized_view\"\nall = true\nhas_not = [\"ALL\"]\n");
        assert_eq!(o.detail(), "no materialized views found");
        let o = kit().eval(
            "[[privileges]]\nrole = \"anon\"\non = \"view\"\nall = true\nhas = [\"SELECT\"]\n",
        );
        assert_eq!(o.detail(), "anon has SELECT on 1 view: stats");
        let o =
            kit().eval("[[privileges]]\nrole = \"nobody\"\non = \"schema\"\nhas = [\"USAGE\"]\n");
        assert_eq!(o.detail(), "role nobody does not exist");
    }

    #[test]
    fn validation() {
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[privileges]]\nrole = \"anon\"\non = \"function\"\nall = true\nhas = [\"SELECT\"]\n",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(s.contains("unknown function privilege `SELECT`"), "{s}");
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[privileges]]\nrole = \"anon\"\non = \"tabel\"\nall = true\nhas_not = [\"ALL\"]\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("did you mean `table`?"), "{e}");
    }
}
