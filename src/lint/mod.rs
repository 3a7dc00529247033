//! What `deskctl diagnose` runs (built-in security and performance lints over ONE catalog
//! snapshot, one file per rule under `rules/`). Owns the rule model, the diagnose context
//! (exposed schemas, API-role access; `crate::snapshot` reads the catalog through it too),
//! exclusions and the failing level; the command around them is `crate::commands::diagnose`.
//! Must not open connections, render by itself or query the catalog per rule.

pub mod migration;
pub mod origin;
pub mod rules;
pub mod sql;
#[cfg(test)]
pub(crate) mod testkit;

use std::time::Instant;

use crate::catalog::{self, privileges_of, AclItem, QualName, Relation, Scope, Snapshot};
use crate::config::{ConfigError, Exclusion, HistoryTable};
use crate::findings::{Level, Location, RuleInfo};

/// The roles API clients act as on Supabase: `anon` (no login) and `authenticated` (any signed-up
/// user). What they can reach in an exposed schema is what the internet can reach.
pub const API_ROLES: &[&str] = &["anon", "authenticated"];

/// One lint rule of either kind: squawk's shape (id, level, what / why / fix, and `check`, a
/// function over what the rule reads: the catalog snapshot for diagnose, [`Rule`]; a migration
/// set for `deskctl lint`, [`migration::Rule`]).
#[derive(Debug, Clone, Copy)]
pub struct RuleDef<F> {
    /// Stable kebab-case id, used in reports and in `[diagnose] exclude` / `[lint] disable` /
    /// `-- deskctl:allow`.
    pub id: &'static str,
    pub level: Level,
    /// What the rule detects, one line.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it, in general (each finding carries its own concrete fix).
    pub fix: &'static str,
    pub check: F,
}

/// One built-in diagnosis, over the catalog snapshot.
pub type Rule = RuleDef<fn(&RuleCtx) -> Vec<Finding>>;

impl<F> RuleDef<F> {
    /// The rule as reports describe it (SARIF's driver rules, the human output).
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.id.to_string(),
            level: self.level,
            what: self.what.to_string(),
            why: self.why.to_string(),
            fix: self.fix.to_string(),
        }
    }
}

/// The rules of `rules` not named in `disabled`, in order, each with what `check` found.
pub fn run_enabled<'r, F, H>(
    rules: &[&'r RuleDef<F>],
    disabled: &[String],
    check: impl Fn(&F) -> Vec<H>,
) -> Vec<(&'r RuleDef<F>, Vec<H>)> {
    rules
        .iter()
        .filter(|r| !disabled.iter().any(|d| d == r.id))
        .map(|r| (*r, check(&r.check)))
        .collect()
}

/// The names in `given` that match no rule id of `rules`, in order, each with the closest id when
/// one is close (a typo would silently exclude or disable nothing); `matches(name, id)` says
/// whether a name stands for an id (a glob, or equality).
pub fn unknown_ids<'g, F>(
    given: impl IntoIterator<Item = &'g str>,
    rules: &[&RuleDef<F>],
    matches: impl Fn(&str, &str) -> bool,
) -> Vec<(&'g str, Option<&'static str>)> {
    given
        .into_iter()
        .filter(|g| !rules.iter().any(|r| matches(g, r.id)))
        .map(|g| (g, crate::words::closest(g, rules.iter().map(|r| r.id))))
        .collect()
}

/// One problem a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The table, view or function it is about (functions: `name(argtypes)`).
    pub object: QualName,
    /// The part of the object, when the finding is about one: a policy, a column, a constraint.
    pub part: Option<String>,
    /// What was found, naming the object.
    pub message: String,
    /// How to fix this one (SQL where possible, identifiers quoted).
    pub fix: String,
}

impl Finding {
    pub fn new(object: QualName, message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            object,
            part: None,
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub fn part(mut self, part: impl Into<String>) -> Finding {
        self.part = Some(part.into());
        self
    }

    /// `schema.name` or `schema.name/part`: the finding's id after the rule id.
    pub fn key(&self) -> String {
        match &self.part {
            Some(p) => format!("{}/{p}", self.object),
            None => self.object.to_string(),
        }
    }

    /// The spellings an exclusion's `object` is matched against: `schema.name`, `name`, the same
    /// without a function's `(argtypes)`, and each with `.part` when there is a part.
    pub fn names(&self) -> Vec<String> {
        let mut bases = vec![self.object.to_string(), self.object.name.clone()];
        if let Some(i) = self.object.name.find('(') {
            let bare = &self.object.name[..i];
            bases.push(format!("{}.{bare}", self.object.schema));
            bases.push(bare.to_string());
        }
        let mut out = bases.clone();
        if let Some(p) = &self.part {
            out.extend(bases.iter().map(|b| format!("{b}.{p}")));
        }
        out
    }
}

/// What the rules see: the snapshot, which schemas the API exposes, and what to leave alone.
pub struct RuleCtx<'a> {
    pub snap: &'a Snapshot,
    /// Schemas API clients can reach (`--exposed-schemas`, default `public`).
    pub exposed: Vec<String>,
    /// Relations never diagnosed: deskctl's own migration history table.
    pub skip: Vec<QualName>,
    /// Schemas read only for the rules that look there on purpose (`pgmq`), not diagnosed as
    /// the user's: [`RuleCtx::relations`] leaves them out.
    pub extra: Vec<String>,
}

impl<'a> RuleCtx<'a> {
    pub fn new(snap: &'a Snapshot, exposed: &[String]) -> RuleCtx<'a> {
        RuleCtx {
            snap,
            exposed: exposed.to_vec(),
            skip: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Relations of a schema read for specific rules only (see `extra`), in catalog order.
    pub fn extra_relations(&self, schema: &str) -> impl Iterator<Item = &'a Relation> + '_ {
        let schema = schema.to_string();
        self.snap
            .relations
            .iter()
            .filter(move |r| r.schema == schema)
    }

    /// Seconds of activity the statistics cover (since the last reset, else since the server
    /// started: a lower bound, as clean restarts keep them).
    pub fn stats_window_s(&self) -> f64 {
        self.snap.stats_reset_age_s.unwrap_or(self.snap.uptime_s)
    }

    /// Leave out the migration history table (refinery's shape) wherever it is.
    pub fn skipping_history(mut self, history: &HistoryTable) -> RuleCtx<'a> {
        for r in &self.snap.relations {
            let schema_ok = history.schema.as_deref().is_none_or(|s| s == r.schema);
            let shaped = ["version", "name", "applied_on", "checksum"]
                .iter()
                .all(|c| r.column(c).is_some());
            if r.name == history.name && schema_ok && shaped && r.kind.is_table() {
                self.skip.push(r.qual());
            }
            // Its audit log (`deskctl history repair`, repeatable migrations): migrate/repair.rs.
            let log_shaped = ["action", "version", "checksum_before", "checksum_after"]
                .iter()
                .all(|c| r.column(c).is_some());
            if r.name == format!("{}_log", history.name) && schema_ok && log_shaped {
                self.skip.push(r.qual());
            }
            let repeatables = format!(
                "{}{}",
                history.name,
                crate::migrate::repeatable::TABLE_SUFFIX
            );
            if r.name == repeatables && schema_ok && r.column("runs").is_some() {
                self.skip.push(r.qual());
            }
        }
        self
    }

    /// Relations of the scanned schemas, deskctl's own left out, in catalog order.
    pub fn relations(&self) -> impl Iterator<Item = &'a Relation> + '_ {
        self.snap
            .relations
            .iter()
            .filter(move |r| !self.skip.contains(&r.qual()) && !self.extra.contains(&r.schema))
    }

    /// Functions of the scanned schemas (not of the `extra` ones), in catalog order.
    pub fn functions(&self) -> impl Iterator<Item = &'a catalog::Function> + '_ {
        self.snap
            .functions
            .iter()
            .filter(move |f| !self.extra.contains(&f.schema))
    }

    /// Ordinary and partitioned tables.
    pub fn tables(&self) -> impl Iterator<Item = &'a Relation> + '_ {
        self.relations().filter(|r| r.kind.is_table())
    }

    pub fn is_exposed(&self, schema: &str) -> bool {
        self.exposed.iter().any(|s| s == schema)
    }

    /// The API roles that exist in this cluster and do not bypass RLS.
    pub fn api_roles(&self) -> Vec<&'static str> {
        API_ROLES
            .iter()
            .copied()
            .filter(|r| {
                self.snap
                    .role(r)
                    .is_some_and(|i| !i.superuser && !i.bypass_rls)
            })
            .collect()
    }

    /// Whether `role` may use objects of `schema` (USAGE, directly, through PUBLIC or membership).
    pub fn schema_usage(&self, role: &str, schema: &str) -> bool {
        if self.snap.is_superuser(role) {
            return true;
        }
        match self.snap.schema(schema) {
            Some(s) => held(&s.acl, &self.snap.effective_grantees(role)).contains(&"USAGE"),
            None => false,
        }
    }

    /// Privileges `role` holds on a relation: table-level, plus column-level ones (on any column).
    pub fn relation_privileges<'r>(&self, role: &str, r: &'r Relation) -> Vec<&'r str> {
        let grantees = self.snap.grantees(role);
        let mut out = held(&r.acl, &grantees);
        for c in &r.columns {
            for p in held(&c.acl, &grantees) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        sort_privileges(&mut out);
        out
    }

    /// Privileges `role` holds on one column (table-level grants included).
    pub fn column_privileges<'r>(&self, role: &str, r: &'r Relation, column: &str) -> Vec<&'r str> {
        let grantees = self.snap.grantees(role);
        let mut out = held(&r.acl, &grantees);
        if let Some(c) = r.column(column) {
            for p in held(&c.acl, &grantees) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        sort_privileges(&mut out);
        out
    }

    /// API roles that can reach `r` through the API: the schema is exposed, the role has USAGE on
    /// it and at least one of `wanted` on the relation. With the privileges of `wanted` they hold.
    pub fn api_access<'r>(
        &self,
        r: &'r Relation,
        wanted: &[&str],
    ) -> Vec<(&'static str, Vec<&'r str>)> {
        if !self.is_exposed(&r.schema) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for role in self.api_roles() {
            if !self.schema_usage(role, &r.schema) {
                continue;
            }
            let privs: Vec<&str> = self
                .relation_privileges(role, r)
                .into_iter()
                .filter(|p| wanted.contains(p))
                .collect();
            if !privs.is_empty() {
                out.push((role, privs));
            }
        }
        out
    }

    /// The API roles that hold one of `wanted` on `r` through the API ([`RuleCtx::api_access`]),
    /// by name, with what they hold.
    pub fn api_roles_holding<'r>(
        &self,
        r: &'r Relation,
        wanted: &[&str],
    ) -> (Vec<String>, Vec<(&'static str, Vec<&'r str>)>) {
        let access = self.api_access(r, wanted);
        (access.iter().map(|(r, _)| r.to_string()).collect(), access)
    }

    /// Whether `role` may EXECUTE the function.
    pub fn can_execute(&self, role: &str, f: &catalog::Function) -> bool {
        self.snap.is_superuser(role)
            || held(&f.acl, &self.snap.effective_grantees(role)).contains(&"EXECUTE")
    }

    /// A name as shown in findings: bare in the first scanned schema, else `schema.name`.
    pub fn show(&self, q: &QualName) -> String {
        q.show(
            self.snap
                .scope
                .first()
                .map(String::as_str)
                .unwrap_or("public"),
        )
    }
}

/// Privileges an ACL grants to any of `grantees`.
fn held<'a>(acl: &'a [AclItem], grantees: &[String]) -> Vec<&'a str> {
    privileges_of(acl, grantees)
}

/// Privileges in the order PostgreSQL documents them.
pub fn sort_privileges(v: &mut [&str]) {
    crate::catalog::privilege::sort(v);
}

/// `anon (SELECT, INSERT) and authenticated (SELECT)`.
pub fn show_access(access: &[(&str, Vec<&str>)]) -> String {
    let parts: Vec<String> = access
        .iter()
        .map(|(role, privs)| format!("{role} ({})", privs.join(", ")))
        .collect();
    join_and(&parts)
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Every finding of every rule, in rule order then the rule's order. On a large catalog the
/// rules run on the machine's cores (`crate::par`), one rule at a time per thread.
pub fn run_rules(cx: &RuleCtx) -> Vec<(&'static Rule, Vec<Finding>)> {
    if cx.snap.relations.len() < PARALLEL_FROM_RELATIONS {
        return run_enabled(rules::RULES, &[], |check| check(cx));
    }
    crate::par::map_in_order(rules::RULES, 1, 1, |r| (*r, (r.check)(cx)))
}

/// Below this many relations the rules take well under a millisecond: no threads.
const PARALLEL_FROM_RELATIONS: usize = 200;

/// Shell-style wildcard match (the `glob` crate's patterns: `*` any run of characters, `?` one,
/// `[...]` a class), case-sensitive; a pattern that is not a valid glob matches only itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    match glob::Pattern::new(pattern) {
        Ok(p) => p.matches(text),
        Err(_) => pattern == text,
    }
}

/// Whether an exclusion silences a finding of `rule`.
pub fn excluded(exclusions: &[Exclusion], rule: &str, f: &Finding) -> bool {
    exclusions.iter().any(|e| {
        glob(&e.rule, rule)
            && e.object
                .as_deref()
                .is_none_or(|o| f.names().iter().any(|n| glob(o, n)))
    })
}

/// Unknown rule ids in `[diagnose] exclude` are input errors (a typo would silently exclude nothing).
pub fn validate_exclusions(exclusions: &[Exclusion]) -> Result<(), ConfigError> {
    let ids: Vec<&str> = rules::RULES.iter().map(|r| r.id).collect();
    let given = exclusions.iter().map(|e| e.rule.as_str());
    let problems: Vec<String> = unknown_ids(given, rules::RULES, glob)
        .into_iter()
        .map(|(rule, close)| {
            let hint = match close {
                Some(c) => format!(" (did you mean `{c}`?)"),
                None => format!(" (rules: {})", ids.join(", ")),
            };
            format!("deskctl.toml: [diagnose] exclude names unknown rule `{rule}`{hint}")
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Usage(problems.join("\n")))
    }
}

/// The diagnose rules as the report describes them (SARIF's driver rules, the human output).
pub fn rule_infos() -> Vec<RuleInfo> {
    rules::RULES.iter().map(|r| r.info()).collect()
}

/// The outcome of diagnosing one snapshot, as data (`report::rows` turns it into rows).
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// Every rule, in order, with what it found.
    pub rules: Vec<RuleResult>,
    /// The highest level among the findings that were not excluded.
    pub worst: Option<Level>,
    pub excluded: usize,
}

/// What one rule found.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub rule: &'static Rule,
    /// The findings kept (not excluded), each with its report id and place.
    pub findings: Vec<Placed>,
    /// How many findings `[diagnose] exclude` removed.
    pub excluded: usize,
    /// What the rule looked at, when it says (`rules::note`), for a rule that found nothing.
    pub note: Option<String>,
    pub duration_ms: f64,
}

/// A kept finding with its id in the report (`rule:object`, `#2`... when repeated) and the
/// migration statement that created its object, when known.
#[derive(Debug, Clone)]
pub struct Placed {
    pub id: String,
    pub finding: Finding,
    pub location: Option<Location>,
}

/// Run every rule, exclusions applied.
pub fn diagnose(cx: &RuleCtx, exclusions: &[Exclusion]) -> Diagnosis {
    diagnose_placed(cx, exclusions, |_| None)
}

/// [`diagnose`], each finding placed where `place` says (the migration statement that created
/// its object); `place` is only called for findings that are kept.
pub fn diagnose_placed(
    cx: &RuleCtx,
    exclusions: &[Exclusion],
    place: impl Fn(&Finding) -> Option<Location>,
) -> Diagnosis {
    let mut out = Vec::new();
    let mut worst: Option<Level> = None;
    let mut total_excluded = 0;
    let mut seen_ids: Vec<String> = Vec::new();
    for (rule, findings) in run_rules(cx) {
        let t = Instant::now();
        let (gone, kept): (Vec<Finding>, Vec<Finding>) = findings
            .into_iter()
            .partition(|f| excluded(exclusions, rule.id, f));
        total_excluded += gone.len();
        let note = if kept.is_empty() {
            rules::note(rule.id, cx)
        } else {
            worst = worst.max(Some(rule.level));
            None
        };
        let mut placed = Vec::with_capacity(kept.len());
        for f in kept {
            let mut id = format!("{}:{}", rule.id, f.key());
            let mut n = 2;
            while seen_ids.contains(&id) {
                id = format!("{}:{}#{n}", rule.id, f.key());
                n += 1;
            }
            seen_ids.push(id.clone());
            let location = place(&f);
            placed.push(Placed {
                id,
                finding: f,
                location,
            });
        }
        out.push(RuleResult {
            rule,
            findings: placed,
            excluded: gone.len(),
            note,
            duration_ms: ms(t.elapsed()),
        });
    }
    Diagnosis {
        rules: out,
        worst,
        excluded: total_excluded,
    }
}

/// What `diagnose` reads: policy USING / WITH CHECK text and index predicates, but no column
/// defaults, constraint definitions or view / index / trigger definitions: no rule reads them
/// (views are followed through their dependencies, indexes by key columns, triggers by timing and
/// events, constraints by type and columns), and deparsing them costs ~0.4 s per 1,000 tables.
pub fn diagnose_scope(schemas: Vec<String>) -> Scope {
    Scope::with_policy_expressions(schemas)
}

/// Schemas diagnose reads beyond the requested ones, for the rules that look there on purpose
/// (`insecure-queue-exposed-in-api`: pgmq's queue tables); not diagnosed otherwise.
pub const EXTRA_SCHEMAS: &[&str] = &["pgmq"];

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    /// `diagnose_scope` reads no definitions: every rule must find exactly the same with and
    /// without them, on a snapshot that gives each rule something to find.
    #[test]
    fn no_rule_reads_view_index_or_trigger_definitions() {
        use crate::catalog::{PolicyCommand, RelKind, TriggerEvent, TriggerTiming};
        let scope = diagnose_scope(vec!["public".into()]);
        assert!(scope.expressions && !scope.table_expressions && !scope.definitions);
        let build = |definitions: bool| {
            let def = |s: &str| definitions.then(|| s.to_string());
            let mut open = api_table("open_table");
            open.constraints
                .push(fk("open_table_user_id_fkey", &["user_id"], "users"));
            let mut guarded = protected_table("guarded");
            guarded.policies.push(policy(
                "everyone",
                PolicyCommand::All,
                &["public"],
                Some("true"),
                Some("(auth.uid() = user_id)"),
            ));
            let mut audit = protected_table("audit_logs");
            audit.triggers.push(trigger(
                "audit_logs_no_update",
                TriggerTiming::Before,
                &[TriggerEvent::Update, TriggerEvent::Delete],
                true,
            ));
            let mut v = view("guarded_view", &["guarded"], false);
            let mut m = view("guarded_stats", &["guarded_view"], false);
            m.kind = RelKind::MaterializedView;
            for r in [&mut open, &mut guarded, &mut audit, &mut v, &mut m] {
                for i in &mut r.indexes {
                    i.definition = def(&format!("CREATE INDEX {} ON x USING btree (y)", i.name));
                }
                for t in &mut r.triggers {
                    t.definition = def(&format!("CREATE TRIGGER {} BEFORE UPDATE ON x", t.name));
                }
                if let Some(info) = r.view.as_mut() {
                    info.definition = def(" SELECT guarded.id FROM guarded;");
                }
                // Column defaults and constraint definitions are not read either.
                for c in &mut r.columns {
                    c.default = def("gen_random_uuid()");
                }
                for c in &mut r.constraints {
                    c.definition = def("CHECK (true)");
                }
            }
            let mut f = function("exec_sql", &["text"], "void");
            f.security_definer = true;
            snap(vec![open, guarded, audit, v, m], vec![f])
        };
        let (with, without) = (build(true), build(false));
        let exposed = ["public".to_string()];
        let found = |s: &Snapshot| -> Vec<(&'static str, Vec<Finding>)> {
            run_rules(&RuleCtx::new(s, &exposed))
                .into_iter()
                .map(|(r, f)| (r.id, f))
                .collect()
        };
        let a = found(&with);
        assert_eq!(a, found(&without));
        // The snapshot does exercise the rules (views, triggers, indexes, policies, functions).
        let firing: Vec<&str> = a
            .iter()
            .filter(|(_, f)| !f.is_empty())
            .map(|(r, _)| *r)
            .collect();
        assert!(firing.len() >= 5, "{firing:?}");
    }

    #[test]
    fn rules_on_a_large_catalog_find_what_they_find_one_by_one_in_rule_order() {
        // 300 tables (above the threshold for threads): exposed without RLS, protected, and
        // protected with an unwrapped auth.uid() and no index on the compared column.
        let rels: Vec<Relation> = (0..300)
            .map(|i| match i % 3 {
                0 => api_table(&format!("open_{i}")),
                1 => protected_table(&format!("own_{i}")),
                _ => {
                    let mut t = protected_table(&format!("slow_{i}"));
                    t.indexes.pop();
                    t.policies[0].using = Some("(auth.uid() = user_id)".into());
                    t
                }
            })
            .collect();
        assert!(rels.len() >= PARALLEL_FROM_RELATIONS);
        let s = snap(rels, Vec::new());
        let cx = RuleCtx::new(&s, &["public".to_string()]);
        let flat = |v: Vec<(&'static Rule, Vec<Finding>)>| -> Vec<(&'static str, Vec<Finding>)> {
            v.into_iter().map(|(r, f)| (r.id, f)).collect()
        };
        let shared = flat(run_rules(&cx));
        let one_by_one = flat(run_enabled(rules::RULES, &[], |check| check(&cx)));
        assert_eq!(shared, one_by_one);
        for id in [
            "rls-disabled-exposed",
            "auth-call-per-row",
            "unindexed-policy-column",
        ] {
            assert!(
                shared.iter().any(|(r, f)| *r == id && f.len() >= 100),
                "{id} finds the tables built for it"
            );
        }
    }

    #[test]
    fn run_enabled_keeps_rule_order_and_leaves_out_disabled_rules() {
        let rule = |id: &'static str| RuleDef {
            id,
            level: Level::Warn,
            what: "",
            why: "",
            fix: "",
            check: id.len(),
        };
        let (a, b, c) = (rule("a-rule"), rule("bb-rule"), rule("ccc-rule"));
        let ran = run_enabled(&[&a, &b, &c], &["bb-rule".to_string()], |n| vec![*n]);
        let got: Vec<(&str, Vec<usize>)> = ran.iter().map(|(r, h)| (r.id, h.clone())).collect();
        assert_eq!(got, [("a-rule", vec![6]), ("ccc-rule", vec![8])]);
        // Both lints' registries go through it: every diagnose rule runs, none is skipped.
        assert_eq!(
            run_enabled(rules::RULES, &[], |_| vec![()]).len(),
            rules::RULES.len()
        );
    }

    #[test]
    fn unknown_ids_by_glob_or_equality_with_the_closest_id() {
        let by_glob = unknown_ids(
            ["no-primary-keys", "unindexed-*", "zzz"],
            rules::RULES,
            glob,
        );
        assert_eq!(
            by_glob,
            [("no-primary-keys", Some("no-primary-key")), ("zzz", None)]
        );
        let exact = unknown_ids(["unindexed-*"], rules::RULES, |g, id| g == id);
        assert_eq!(exact.len(), 1);
    }

    #[test]
    fn glob_matches() {
        assert!(glob("public.*", "public.ChatMessage"));
        assert!(glob("*", ""));
        assert!(glob("cc_*_logs", "cc_audit_logs"));
        assert!(!glob("cc_*", "xcc_a"));
        assert!(glob("exact", "exact"));
        assert!(glob("ticket?", "tickets"));
        assert!(glob("[", "["));
        assert!(!glob("Exact", "exact"));
    }

    #[test]
    fn finding_names_cover_schema_part_and_signature() {
        let f = Finding::new(QualName::new("public", "f(uuid, text)"), "m", "x").part("p");
        let n = f.names();
        assert!(n.contains(&"public.f(uuid, text)".to_string()));
        assert!(n.contains(&"f".to_string()));
        assert!(n.contains(&"public.f".to_string()));
        assert!(n.contains(&"public.f.p".to_string()));
        assert_eq!(f.key(), "public.f(uuid, text)/p");
    }

    #[test]
    fn exclusions_by_rule_and_object() {
        let f = Finding::new(QualName::new("public", "ChatMessage"), "m", "x");
        let ex = |rule: &str, object: Option<&str>| Exclusion {
            rule: rule.into(),
            object: object.map(str::to_string),
        };
        assert!(excluded(
            &[ex("no-primary-key", None)],
            "no-primary-key",
            &f
        ));
        assert!(excluded(
            &[ex("no-primary-key", Some("ChatMessage"))],
            "no-primary-key",
            &f
        ));
        assert!(excluded(
            &[ex("no-primary-key", Some("public.Chat*"))],
            "no-primary-key",
            &f
        ));
        assert!(!excluded(
            &[ex("no-primary-key", Some("other"))],
            "no-primary-key",
            &f
        ));
        assert!(!excluded(
            &[ex("rls-enabled-no-policy", None)],
            "no-primary-key",
            &f
        ));
    }

    #[test]
    fn unknown_rule_in_exclusions_is_an_error_with_a_suggestion() {
        let e = validate_exclusions(&[Exclusion {
            rule: "no-primary-keys".into(),
            object: None,
        }])
        .unwrap_err()
        .to_string();
        assert!(e.contains("did you mean `no-primary-key`"), "{e}");
        assert!(validate_exclusions(&[Exclusion {
            rule: "unindexed-*".into(),
            object: None
        }])
        .is_ok());
    }

    #[test]
    fn diagnose_rows_levels_and_exclusions() {
        let mut t = api_table("notes");
        t.constraints.clear();
        let s = snap(vec![t], vec![]);
        let cx = RuleCtx::new(&s, &["public".to_string()]);
        let d = diagnose(&cx, &[]);
        assert_eq!(d.worst, Some(Level::Error));
        assert_eq!(
            d.rules.len(),
            rules::RULES.len(),
            "every rule, found or not"
        );
        let ids: Vec<&str> = d
            .rules
            .iter()
            .flat_map(|r| r.findings.iter().map(|p| p.id.as_str()))
            .collect();
        assert!(
            ids.contains(&"rls-disabled-exposed:public.notes"),
            "{ids:?}"
        );
        assert!(ids.contains(&"no-primary-key:public.notes"), "{ids:?}");
        assert!(d
            .rules
            .iter()
            .all(|r| r.findings.is_empty() || r.note.is_none()));
        let ex = vec![Exclusion {
            rule: "rls-disabled-exposed".into(),
            object: Some("notes".into()),
        }];
        let d2 = diagnose(&cx, &ex);
        assert!(d2.excluded >= 1);
        let rls = d2
            .rules
            .iter()
            .find(|r| r.rule.id == "rls-disabled-exposed")
            .unwrap();
        assert!(rls.findings.is_empty());
        assert_eq!(rls.excluded, d2.excluded);
    }

    #[test]
    fn history_table_is_skipped() {
        let mut h = api_table("refinery_schema_history");
        h.columns = ["version", "name", "applied_on", "checksum"]
            .iter()
            .map(|c| crate::catalog::Column::new(c, "text"))
            .collect();
        let s = snap(vec![h], vec![]);
        let cx = RuleCtx::new(&s, &["public".to_string()])
            .skipping_history(&HistoryTable::parse("refinery_schema_history").unwrap());
        assert_eq!(cx.tables().count(), 0);
        assert!(run_rules(&cx).iter().all(|(_, f)| f.is_empty()));
    }
}
