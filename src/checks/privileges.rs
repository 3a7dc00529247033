//! `[[privileges]]`: a role has / has not given privileges on tables, views, sequences,
//! functions, schemas or columns, counting PUBLIC grants, inherited memberships and superuser
//! status ("anon has no privilege on any table in public"; "authenticated may EXECUTE
//! assign_ticket"). Reads only the Snapshot.

use serde::Deserialize;

use super::model::{
    closest, like, list, missing_relation, plural, qualify, schemas_of, split_column, Ctx, Names,
    Validator,
};
use super::{Outcome, StaticCheck};
use crate::catalog::{privileges_of, AclItem, FunctionKind, QualName, RelKind, Snapshot};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
        match self {
            On::Table | On::View | On::MaterializedView => &[
                "SELECT",
                "INSERT",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "REFERENCES",
                "TRIGGER",
                "MAINTAIN",
            ],
            On::Sequence => &["USAGE", "SELECT", "UPDATE"],
            On::Function => &["EXECUTE"],
            On::Schema => &["USAGE", "CREATE"],
            On::Column => &["SELECT", "INSERT", "UPDATE", "REFERENCES"],
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privileges {
    pub role: Names,
    pub on: On,
    pub names: Option<Names>,
    pub pattern: Option<String>,
    #[serde(default)]
    pub all: bool,
    pub except: Option<Names>,
    pub has: Option<Vec<String>>,
    pub has_not: Option<Vec<String>>,
}

/// One object the check is about: its display name and its ACL(s).
struct Target<'s> {
    name: String,
    /// ACLs that grant to the object (a column: the table's and the column's).
    acls: Vec<&'s [AclItem]>,
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

    fn excluded(&self, ctx: &Ctx, q: &QualName) -> bool {
        self.except
            .as_ref()
            .is_some_and(|e| e.iter().any(|x| ctx.qual(x) == *q))
    }

    /// Resolve the objects; names that do not exist go to `missing`.
    fn targets<'s>(
        &self,
        ctx: &Ctx,
        snap: &'s Snapshot,
        missing: &mut Vec<String>,
    ) -> Vec<Target<'s>> {
        let mut out = Vec::new();
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
                        if ok
                            && !self
                                .except
                                .as_ref()
                                .is_some_and(|e| e.iter().any(|x| x == s.name))
                        {
                            out.push(Target {
                                name: format!("schema {}", s.name),
                                acls: vec![&s.acl],
                            });
                        }
                    }
                } else {
                    for w in wanted {
                        match snap.schema(&w) {
                            Some(s) => out.push(Target {
                                name: format!("schema {}", s.name),
                                acls: vec![&s.acl],
                            }),
                            None => missing.push(format!("schema {w}: no such schema")),
                        }
                    }
                }
            }
            On::Function => {
                let matches_sig = |f: &crate::catalog::Function, raw: &str| -> bool {
                    match raw.find('(') {
                        Some(i) => {
                            let want: Vec<String> = raw[i + 1..]
                                .trim_end_matches(')')
                                .split(',')
                                .map(super::model::canonical_type)
                                .filter(|a| !a.is_empty())
                                .collect();
                            let have: Vec<String> = f
                                .arg_types
                                .iter()
                                .map(|a| super::model::canonical_type(a))
                                .collect();
                            want == have
                        }
                        None => true,
                    }
                };
                if let Some(names) = &self.names {
                    for raw in names.iter() {
                        let base = raw.split('(').next().unwrap_or(raw).trim();
                        let q = ctx.qual(base);
                        let fs: Vec<_> = snap
                            .functions_named(&q)
                            .into_iter()
                            .filter(|f| matches_sig(f, raw))
                            .collect();
                        if fs.is_empty() {
                            let mut s = format!("{raw}: no such function");
                            if let Some(c) = closest(
                                &q.name,
                                snap.functions
                                    .iter()
                                    .filter(|f| f.schema == q.schema)
                                    .map(|f| f.name.as_str()),
                            ) {
                                s.push_str(&format!(" (did you mean {c}?)"));
                            }
                            missing.push(s);
                        }
                        for f in fs {
                            if !self.excluded(ctx, &f.qual()) {
                                out.push(Target {
                                    name: ctx.show(&QualName::new(&f.schema, f.signature())),
                                    acls: vec![&f.acl],
                                });
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
                            || self.excluded(ctx, &f.qual())
                        {
                            continue;
                        }
                        out.push(Target {
                            name: ctx.show(&QualName::new(&f.schema, f.signature())),
                            acls: vec![&f.acl],
                        });
                    }
                }
            }
            On::Column => {
                if let Some(names) = &self.names {
                    for raw in names.iter() {
                        let (rel, col) = split_column(ctx.schema, raw);
                        let Some(rq) = rel else {
                            missing.push(format!("{raw}: write columns as table.column"));
                            continue;
                        };
                        match snap.relation(&rq) {
                            None => missing.push(missing_relation(ctx, snap, &rq, "table", &|k| {
                                k != RelKind::Sequence
                            })),
                            Some(r) => match r.column(&col) {
                                None => {
                                    missing.push(format!("{}: no column {col}", ctx.show_rel(r)))
                                }
                                Some(c) => out.push(Target {
                                    name: format!("{}.{}", ctx.show_rel(r), c.name),
                                    acls: vec![&r.acl, &c.acl],
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
                        if self.excluded(ctx, &r.qual()) {
                            continue;
                        }
                        for c in &r.columns {
                            if pat.as_ref().is_none_or(|p| like(&p.name, &c.name)) {
                                out.push(Target {
                                    name: format!("{}.{}", ctx.show_rel(r), c.name),
                                    acls: vec![&r.acl, &c.acl],
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
                                if !self.excluded(ctx, &q) {
                                    out.push(Target {
                                        name: ctx.show_rel(r),
                                        acls: vec![&r.acl],
                                    })
                                }
                            }
                            Some(r) => missing.push(format!(
                                "{} is a {}, not a {}",
                                ctx.show(&q),
                                r.kind.noun(),
                                on.noun()
                            )),
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
                        if !on.relkind_ok(r.kind) || r.is_partition || self.excluded(ctx, &r.qual())
                        {
                            continue;
                        }
                        if pat.as_ref().is_none_or(|p| like(&p.name, &r.name)) {
                            out.push(Target {
                                name: ctx.show_rel(r),
                                acls: vec![&r.acl],
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

impl StaticCheck for Privileges {
    fn validate(&self, v: &mut Validator) {
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
            problems.push(format!("no {} found", self.on.plural_noun()));
        }
        let has = self.expand(&self.has);
        let has_not = self.expand(&self.has_not);
        for role in self.role.iter() {
            let superuser = snap.is_superuser(role);
            let grantees = snap.effective_grantees(role);
            if snap.role(role).is_none() && !role.eq_ignore_ascii_case("public") {
                problems.push(format!("role {role} does not exist"));
                continue;
            }
            for t in &targets {
                let held: Vec<&str> = if superuser {
                    self.on.privileges().to_vec()
                } else {
                    let mut h: Vec<&str> = Vec::new();
                    for acl in &t.acls {
                        for p in privileges_of(acl, &grantees) {
                            if !h.contains(&p) {
                                h.push(p);
                            }
                        }
                    }
                    h
                };
                let lacking: Vec<&str> = has
                    .iter()
                    .filter(|p| !held.contains(&p.as_str()))
                    .map(String::as_str)
                    .filter(|p| self.on.privileges().contains(p) || !superuser)
                    .collect();
                // MAINTAIN exists only on PostgreSQL 17+: never required by `ALL`.
                let lacking: Vec<&str> = lacking
                    .into_iter()
                    .filter(|p| !(*p == "MAINTAIN" && snap.server_version_num < 170000))
                    .collect();
                let extra: Vec<&str> = has_not
                    .iter()
                    .filter(|p| held.contains(&p.as_str()))
                    .map(String::as_str)
                    .collect();
                let who = if superuser {
                    format!("{role} (superuser)")
                } else {
                    role.to_string()
                };
                if !lacking.is_empty() {
                    problems.push(format!("{who} lacks {} on {}", lacking.join(", "), t.name));
                }
                if !extra.is_empty() {
                    problems.push(format!("{who} has {} on {}", extra.join(", "), t.name));
                }
            }
        }
        let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
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
            problems.push(format!("and {n} more"));
        }
        Outcome::from_problems(
            problems,
            format!(
                "{} {} on {} {}: {}",
                self.role.0.join(", "),
                summary.join(" and "),
                names.len(),
                plural(names.len(), self.on.noun(), self.on.plural_noun()),
                list(&names, 8)
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, Function, Relation, Role, SchemaInfo};
    use crate::checks::loader::load_str;
    use crate::report::Status;

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
            functions: vec![f, g],
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

    fn eval(toml: &str) -> Outcome {
        let checks = load_str(std::path::Path::new("t.toml"), toml).unwrap();
        checks[0].evaluate_static(&snap()).unwrap()
    }

    #[test]
    fn anon_has_no_privilege_on_any_table() {
        let o = eval(
            "[[privileges]]\nrole = \"anon\"\non = \"table\"\nall = true\nhas_not = [\"ALL\"]\n",
        );
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.detail, "anon has SELECT, INSERT on tickets");
        let o = eval("[[privileges]]\nrole = \"anon\"\non = \"table\"\nall = true\nexcept = [\"tickets\"]\nhas_not = [\"ALL\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.detail, "anon has no privilege on 1 table: chat_sessions");
    }

    #[test]
    fn execute_on_function_and_overloads() {
        let o = eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"assign_ticket(uuid, uuid)\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"assign_ticket\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail,
            "authenticated lacks EXECUTE on assign_ticket(uuid)"
        );
        let o = eval("[[privileges]]\nrole = \"authenticated\"\non = \"function\"\nnames = [\"asign_ticket\"]\nhas = [\"EXECUTE\"]\n");
        assert_eq!(
            o.detail,
            "asign_ticket: no such function (did you mean assign_ticket?)"
        );
    }

    #[test]
    fn membership_public_superuser_views_columns_schemas() {
        // authenticator inherits authenticated's grants.
        let o = eval("[[privileges]]\nrole = \"authenticator\"\non = \"table\"\nnames = \"chat_sessions\"\nhas = [\"SELECT\", \"INSERT\"]\nhas_not = [\"DELETE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        // PUBLIC grants count for everyone.
        let o = eval("[[privileges]]\nrole = [\"anon\", \"authenticated\"]\non = \"view\"\nnames = \"stats\"\nhas_not = [\"SELECT\"]\n");
        assert_eq!(
            o.detail,
            "anon has SELECT on stats; authenticated has SELECT on stats"
        );
        let o = eval(
            "[[privileges]]\nrole = \"postgres\"\non = \"table\"\nall = true\nhas = [\"ALL\"]\n",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = eval("[[privileges]]\nrole = \"anon\"\non = \"column\"\nnames = [\"chat_sessions.notes\", \"chat_sessions.id\"]\nhas_not = [\"SELECT\"]\n");
        assert_eq!(o.detail, "anon has SELECT on chat_sessions.notes");
        let o = eval("[[privileges]]\nrole = \"anon\"\non = \"schema\"\nhas = [\"USAGE\"]\nhas_not = [\"CREATE\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = eval("[[privileges]]\nrole = \"anon\"\non = \"materialized_view\"\nall = true\nhas_not = [\"ALL\"]\n");
        assert_eq!(o.detail, "no materialized views found");
        let o = eval(
            "[[privileges]]\nrole = \"anon\"\non = \"view\"\nall = true\nhas = [\"SELECT\"]\n",
        );
        assert_eq!(o.detail, "anon has SELECT on 1 view: stats");
        let o = eval("[[privileges]]\nrole = \"nobody\"\non = \"schema\"\nhas = [\"USAGE\"]\n");
        assert_eq!(o.detail, "role nobody does not exist");
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
