//! `[[policies]]`: the expected RLS policies of a table (command, roles incl. PUBLIC,
//! permissive/restrictive, USING / WITH CHECK text; `exact` reports extras), or coverage (every
//! selected table has a policy per command). Diagnoses name the table, the missing policy and
//! what is present, and near misses. Reads only the Snapshot.

use serde::Deserialize;

use crate::catalog::{Policy, PolicyCommand, Relation, Snapshot};
use crate::checks::names::{missing_relation, qualify, schemas_of, Ctx, Names, Selection};
use crate::checks::normalize::squash_sql;
use crate::checks::validator::Validator;
use crate::checks::{Outcome, StaticCheck};
use crate::findings::{Message, PolicyNear, PolicyRef, Problem};
use crate::words::{closest_long, list, plural};

const COMMANDS: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE", "ALL"];

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    /// Expected-policies form: the table, or a list (each must have the expected policies).
    pub table: Option<Names>,
    #[serde(
        default,
        deserialize_with = "exact_capacity",
        skip_serializing_if = "Option::is_none"
    )]
    pub expect: Option<Vec<Expected>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(extend("default" = false))]
    pub exact: bool,
    /// How `using` / `with_check` are compared: `"contains"` (default: the expression contains
    /// the text, whitespace and casts aside) or `"exact"` (the same expression as PostgreSQL's
    /// parser reads both; an expression not given must be absent). `deskctl snapshot` writes
    /// `"exact"`: a weakened policy that still contains the old text is a change.
    pub expressions: Option<String>,
    /// Coverage form.
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub tables: Option<Names>,
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(extend("default" = false))]
    pub all: bool,
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub except: Option<Names>,
    pub commands: Option<Vec<String>>,
    /// Coverage: the policies must apply to these roles. (Expected form: per policy.)
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub roles: Option<Names>,
}

/// The expected policies without spare capacity: serde grows a list of unknown length to at
/// least 4 entries, and a snapshot file holds one `[[policies]]` per table.
fn exact_capacity<'de, D>(d: D) -> Result<Option<Vec<Expected>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let mut v = Option::<Vec<Expected>>::deserialize(d)?;
    if let Some(v) = v.as_mut() {
        v.shrink_to_fit();
    }
    Ok(v)
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub name: String,
    pub command: Option<String>,
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub roles: Option<Names>,
    pub permissive: Option<bool>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// "SELECT" etc. for display.
fn cmd_of(p: &Policy) -> &'static str {
    p.command.sql()
}

fn roles_text(roles: &[String]) -> String {
    let mut r: Vec<String> = roles
        .iter()
        .map(|x| {
            if x.eq_ignore_ascii_case("public") {
                "PUBLIC".to_string()
            } else {
                x.clone()
            }
        })
        .collect();
    r.sort();
    format!("{{{}}}", r.join(", "))
}

fn same_roles(expected: &Names, actual: &[String]) -> bool {
    let norm = |s: &str| {
        if s.eq_ignore_ascii_case("public") {
            "public".to_string()
        } else {
            s.to_string()
        }
    };
    let mut e: Vec<String> = expected.iter().map(norm).collect();
    let mut a: Vec<String> = actual.iter().map(|s| norm(s)).collect();
    e.sort();
    e.dedup();
    a.sort();
    a.dedup();
    e == a
}

/// `"name" (SELECT)` for lists of present policies.
fn show_policy(p: &Policy) -> PolicyRef {
    PolicyRef {
        name: p.name.clone(),
        command: cmd_of(p).to_string(),
    }
}

impl Policies {
    fn exact_expressions(&self) -> bool {
        self.expressions
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case("exact"))
    }

    fn is_coverage(&self) -> bool {
        self.commands.is_some()
    }

    fn selection(&self) -> Selection<'_> {
        Selection {
            names: self.tables.as_ref(),
            pattern: self.pattern.as_deref(),
            all: self.all,
            except: self.except.as_ref(),
        }
    }

    /// Expected-policies form: every listed table has every expected policy. One result; each
    /// problem names its table, and a table's `present: ...` follows its own problems.
    fn evaluate_expected(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let expected = self.expect.as_deref().unwrap_or_default();
        let mut problems: Vec<Problem> = Vec::new();
        let mut checked: Vec<String> = Vec::new();
        let mut rls_off: Vec<String> = Vec::new();
        for raw in self.table.iter().flat_map(|t| t.iter()) {
            if let Some(table) = self.expected_on(ctx, snap, raw, expected, &mut problems) {
                let tname = ctx.show_rel(table);
                if !table.rls_enabled {
                    rls_off.push(tname.clone());
                }
                checked.push(tname);
            }
        }
        if !problems.is_empty() {
            return Outcome::failing(problems);
        }
        let n = expected.len();
        let mut detail = format!(
            "{}: {n} expected {} present{}{}",
            list(&checked, 10),
            plural(n, "policy", "policies"),
            if checked.len() > 1 { " on each" } else { "" },
            if self.exact { ", no others" } else { "" }
        );
        if !rls_off.is_empty() {
            // Policies do nothing while RLS is off; say so without failing (that is [[rls]]'s job).
            detail.push_str(&format!(
                " (note: RLS is disabled on {})",
                list(&rls_off, 10)
            ));
        }
        Outcome::pass(detail)
    }

    /// The expected policies on one table: push its problems; the table when it exists.
    fn expected_on<'s>(
        &self,
        ctx: &Ctx,
        snap: &'s Snapshot,
        raw: &str,
        expected: &[Expected],
        problems: &mut Vec<Problem>,
    ) -> Option<&'s Relation> {
        let q = ctx.qual(raw);
        let table = match snap.relation(&q) {
            Some(r) if r.kind.is_table() => r,
            Some(r) => {
                problems.push(Problem::says(
                    "",
                    ctx.show(&q),
                    format!(
                        "is a {}, not a table (policies apply to tables)",
                        r.kind.noun()
                    ),
                ));
                return None;
            }
            None => {
                problems.push(missing_relation(ctx, snap, &q, "table", &|k| k.is_table()));
                return None;
            }
        };
        let tname = ctx.show_rel(table);
        let mut missing_any = false;
        for e in expected {
            match table.policy(&e.name) {
                Some(p) => {
                    problems.extend(mismatches(e, p, self.exact_expressions()).into_iter().map(
                        |m| {
                            Problem::about(
                                &tname,
                                Message::PolicyDiffers {
                                    name: e.name.clone(),
                                    difference: m,
                                },
                            )
                        },
                    ))
                }
                None => {
                    missing_any = true;
                    problems.push(Problem::about(
                        &tname,
                        Message::MissingPolicy {
                            name: e.name.clone(),
                            command: e.command.as_deref().map(str::to_ascii_uppercase),
                            near: near_misses(ctx, snap, table, e),
                        },
                    ));
                }
            }
        }
        if self.exact {
            let extras: Vec<PolicyRef> = table
                .policies
                .iter()
                .filter(|p| !expected.iter().any(|e| e.name == p.name))
                .map(show_policy)
                .collect();
            if !extras.is_empty() {
                problems.push(Problem::about(&tname, Message::UnexpectedPolicies(extras)));
            }
        }
        if missing_any {
            let present: Vec<PolicyRef> = table.policies.iter().map(show_policy).collect();
            problems.push(Problem::whole(Message::PresentPolicies(present)));
        }
        Some(table)
    }

    fn evaluate_coverage(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let sel = self.selection();
        let found = sel.resolve(ctx, snap, "table", |k| k.is_table());
        let mut problems: Vec<Problem> = found.missing.clone();
        if found.found.is_empty() && problems.is_empty() {
            problems.push(Problem::new(format!(
                "no {} found",
                sel.describe(ctx, "table", "tables")
            )));
        }
        let commands: Vec<PolicyCommand> = self
            .commands
            .iter()
            .flatten()
            .filter_map(|c| PolicyCommand::parse(c))
            .collect();
        let roles: Vec<&str> = self.roles.iter().flat_map(|r| r.iter()).collect();
        let for_roles = if roles.is_empty() {
            String::new()
        } else {
            format!(" for {}", roles.join(", "))
        };
        for t in &found.found {
            let mut lacking: Vec<&str> = Vec::new();
            for &cmd in &commands {
                let covered = t.policies.iter().any(|p| {
                    p.permissive
                        && p.command.covers(cmd)
                        && roles
                            .iter()
                            .all(|r| p.applies_to_public() || p.roles.iter().any(|pr| pr == r))
                });
                if !covered {
                    lacking.push(cmd.sql());
                }
            }
            if !lacking.is_empty() {
                problems.push(Problem::about(
                    ctx.show_rel(t),
                    Message::Uncovered {
                        commands: lacking.iter().map(|c| c.to_string()).collect(),
                        roles: roles.iter().map(|r| r.to_string()).collect(),
                    },
                ));
            }
        }
        let names: Vec<String> = found.found.iter().map(|r| ctx.show_rel(r)).collect();
        let cmds: Vec<&str> = commands.iter().map(|c| c.sql()).collect();
        Outcome::from_problems(
            problems,
            format!(
                "{} {}{for_roles} on {} {}: {}",
                cmds.join(", "),
                plural(cmds.len(), "policy", "policies"),
                names.len(),
                plural(names.len(), "table", "tables"),
                list(&names, 10)
            ),
        )
    }
}

/// How a present policy differs from the expectation. `exact`: USING / WITH CHECK must be the
/// same expressions (compared by PostgreSQL's parser), absent when not given.
fn mismatches(e: &Expected, p: &Policy, exact: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = e.command.as_deref().and_then(PolicyCommand::parse) {
        if c != p.command {
            out.push(format!("is for {}, expected {}", p.command, c));
        }
    }
    if let Some(r) = &e.roles {
        if !same_roles(r, &p.roles) {
            out.push(format!(
                "applies to {}, expected {}",
                roles_text(&p.roles),
                roles_text(&r.0)
            ));
        }
    }
    if let Some(perm) = e.permissive {
        if perm != p.permissive {
            out.push(format!(
                "is {}, expected {}",
                if p.permissive {
                    "permissive"
                } else {
                    "restrictive"
                },
                if perm { "permissive" } else { "restrictive" }
            ));
        }
    }
    for (what, want, have) in [
        ("USING", &e.using, &p.using),
        ("WITH CHECK", &e.with_check, &p.with_check),
    ] {
        if exact {
            let one = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            match (want, have) {
                (Some(w), Some(h)) if crate::sqltext::expr::same(w, h) => {}
                (Some(w), Some(h)) => {
                    out.push(format!("{what} is `{}`, expected `{}`", one(h), one(w)))
                }
                (Some(w), None) => {
                    out.push(format!("has no {what} expression, expected `{}`", one(w)))
                }
                (None, Some(h)) => out.push(format!("has {what} `{}`, expected none", one(h))),
                (None, None) => {}
            }
            continue;
        }
        if let Some(w) = want {
            match have {
                Some(h) if squash_sql(h).contains(&squash_sql(w)) => {}
                Some(h) => out.push(format!("{what} is `{h}`, expected it to contain `{w}`")),
                None => out.push(format!(
                    "has no {what} expression, expected one containing `{w}`"
                )),
            }
        }
    }
    out
}

/// Near misses for a missing policy: same name on another table, similar names on this table.
fn near_misses(ctx: &Ctx, snap: &Snapshot, table: &Relation, e: &Expected) -> Vec<PolicyNear> {
    let mut out = Vec::new();
    for (r, p) in snap.policies_named(&e.name) {
        if r.oid != table.oid || r.qual() != table.qual() {
            out.push(PolicyNear::Elsewhere {
                table: ctx.show_rel(r),
                command: cmd_of(p).to_string(),
            });
        }
    }
    let same_ci: Vec<&Policy> = table
        .policies
        .iter()
        .filter(|p| p.name != e.name && p.name.eq_ignore_ascii_case(&e.name))
        .collect();
    if let Some(p) = same_ci.first() {
        out.push(PolicyNear::Similar(show_policy(p)));
    } else if let Some(best) = closest_long(&e.name, table.policies.iter().map(|p| p.name.as_str()))
    {
        if let Some(p) = table.policy(best) {
            out.push(PolicyNear::Similar(show_policy(p)));
        }
    }
    out
}

impl StaticCheck for Policies {
    fn validate(&mut self, v: &mut Validator) {
        let expect_form = self.table.is_some() || self.expect.is_some();
        if expect_form && self.is_coverage() {
            v.error(
                "",
                "use either `table` + `expect` (expected policies) or `commands` with `tables` / `pattern` / `all` (coverage), not both",
                None,
            );
            return;
        }
        if !expect_form && !self.is_coverage() {
            v.error(
                "",
                "give `table` and `expect` (expected policies), or `commands` (coverage)",
                Some("e.g. table = \"orders\" and expect = [{ name = \"Users read own orders\", command = \"SELECT\" }]".to_string()),
            );
            return;
        }
        if expect_form {
            match &self.table {
                None => v.error("", "`expect` needs `table`", None),
                Some(t) if t.is_empty() => v.error("table", "`table` is empty", None),
                Some(_) => {}
            }
            match &self.expect {
                None => v.error(
                    "",
                    "`table` needs `expect` (a list of policies)",
                    Some("e.g. expect = [{ name = \"...\", command = \"SELECT\" }]".to_string()),
                ),
                Some(list) => {
                    for (i, e) in list.iter().enumerate() {
                        if let Some(c) = &e.command {
                            v.word(&format!("expect.{i}.command"), "command", c, COMMANDS);
                        }
                        if list[..i].iter().any(|x| x.name == e.name) {
                            v.error(
                                &format!("expect.{i}"),
                                format!("policy \"{}\" is listed twice", e.name),
                                None,
                            );
                        }
                    }
                }
            }
            for k in ["tables", "pattern", "except", "roles"] {
                let present = match k {
                    "tables" => self.tables.is_some(),
                    "pattern" => self.pattern.is_some(),
                    "except" => self.except.is_some(),
                    _ => self.roles.is_some(),
                };
                if present {
                    v.not_here(k, "belongs to the coverage form (with `commands`); roles of an expected policy go inside its `expect` entry");
                }
            }
            if self.all {
                v.not_here("all", "belongs to the coverage form (with `commands`)");
            }
            if let Some(x) = &self.expressions {
                v.word("expressions", "comparison", x, &["contains", "exact"]);
            }
        } else {
            self.selection().validate(v, "tables");
            for (i, c) in self.commands.iter().flatten().enumerate() {
                v.word(&format!("commands.{i}"), "command", c, COMMANDS);
            }
            if self.commands.as_ref().is_some_and(|c| c.is_empty()) {
                v.error("commands", "`commands` is empty", None);
            }
            if self.exact {
                v.not_here(
                    "exact",
                    "belongs to the expected-policies form (`table` + `expect`)",
                );
            }
        }
    }

    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        let mut s = self.selection().schemas(ctx.schema);
        if let Some(t) = &self.table {
            for x in schemas_of(ctx.schema, t.iter()) {
                if !s.contains(&x) {
                    s.push(x);
                }
            }
        }
        if let Some(p) = &self.pattern {
            let q = qualify(ctx.schema, p);
            if !s.contains(&q.schema) {
                s.push(q.schema);
            }
        }
        s
    }

    /// Policy text only: no column default or constraint definition.
    fn needs_table_expressions(&self) -> bool {
        false
    }

    fn needs_expressions(&self) -> bool {
        self.exact_expressions()
            || self
                .expect
                .iter()
                .flatten()
                .any(|e| e.using.is_some() || e.with_check.is_some())
    }

    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        if self.is_coverage() {
            self.evaluate_coverage(ctx, snap)
        } else {
            self.evaluate_expected(ctx, snap)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{RelKind, Relation};
    use crate::checks::loader::load_str;
    use crate::checks::testkit::Kit;
    use crate::findings::Status;

    fn snap() -> Snapshot {
        let mut a = Relation::new("public", "chat_session_activity", RelKind::Table);
        a.rls_enabled = true;
        a.policies = vec![
            Policy::new(
                "Users can view activity in own sessions",
                PolicyCommand::Select,
                &["authenticated"],
            ),
            Policy::new(
                "Admins can view all activity",
                PolicyCommand::Select,
                &["authenticated"],
            ),
        ];
        let mut m = Relation::new("public", "chat_messages", RelKind::Table);
        m.rls_enabled = true;
        let mut ins = Policy::new(
            "System can log chat activity",
            PolicyCommand::Insert,
            &["public"],
        );
        ins.with_check =
            Some("((auth.uid() = actor_id) OR (EXISTS ( SELECT 1 FROM user_roles)))".into());
        m.policies = vec![
            ins,
            Policy::new("Users can view messages", PolicyCommand::All, &["public"]),
            Policy::new(
                "Admins can view all activity",
                PolicyCommand::Select,
                &["authenticated"],
            ),
        ];
        let j = Relation::new("public", "ChatMessage", RelKind::Table);
        Snapshot {
            scope: vec!["public".into()],
            relations: vec![a, m, j],
            ..Default::default()
        }
        .finish()
    }

    fn kit() -> Kit {
        Kit::new(snap())
    }

    /// Problems name their table as data; `present:` belongs to no table of its own.
    #[test]
    fn outcome_data() {
        insta::assert_json_snapshot!(
            "policies_missing_and_unexpected",
            kit().eval("[[policies]]\ntable = \"chat_session_activity\"\nexact = true\nexpect = [{ name = \"Admins can view all activity\" }, { name = \"Users can view own activity\", command = \"SELECT\" }]\n")
        );
        insta::assert_json_snapshot!(
            "policies_coverage",
            kit().eval("[[policies]]\npattern = \"%\"\ncommands = [\"SELECT\", \"DELETE\"]\n")
        );
    }

    #[test]
    fn missing_policy_names_table_policy_present_and_near_miss() {
        let o = kit().eval(
            r#"[[policies]]
table = "chat_session_activity"
expect = [
  { name = "Users can view activity in own sessions", command = "SELECT", roles = ["authenticated"] },
  { name = "System can log chat activity", command = "INSERT" },
]"#,
        );
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "chat_session_activity: missing policy \"System can log chat activity\" (INSERT) (a policy of that name exists on chat_messages (INSERT)); \
present: \"Users can view activity in own sessions\" (SELECT), \"Admins can view all activity\" (SELECT)"
        );
    }

    #[test]
    fn pass_exact_and_extras() {
        let ok = r#"[[policies]]
table = "chat_session_activity"
exact = true
expect = [{ name = "Users can view activity in own sessions" }, { name = "Admins can view all activity", command = "select" }]"#;
        let o = kit().eval(ok);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "chat_session_activity: 2 expected policies present, no others"
        );
        let o = kit().eval("[[policies]]\ntable = \"chat_session_activity\"\nexact = true\nexpect = [{ name = \"Admins can view all activity\" }]\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.detail(), "chat_session_activity: unexpected policy \"Users can view activity in own sessions\" (SELECT)");
    }

    #[test]
    fn command_roles_permissive_and_expressions() {
        let o = kit().eval(
            r#"[[policies]]
table = "chat_messages"
expect = [{ name = "System can log chat activity", command = "SELECT", roles = ["authenticated"], permissive = false, with_check = "auth.uid() = actor_id", using = "x" }]"#,
        );
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "chat_messages: policy \"System can log chat activity\" is for INSERT, expected SELECT; \
chat_messages: policy \"System can log chat activity\" applies to {PUBLIC}, expected {authenticated}; \
chat_messages: policy \"System can log chat activity\" is permissive, expected restrictive; \
chat_messages: policy \"System can log chat activity\" has no USING expression, expected one containing `x`"
        );
        let o = kit().eval(
            r#"[[policies]]
table = "chat_messages"
expect = [{ name = "System can log chat activity", roles = ["PUBLIC"], with_check = "AUTH.UID() = actor_id" }]"#,
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn similar_name_and_case_different_table() {
        let o = kit().eval("[[policies]]\ntable = \"chat_messages\"\nexpect = [{ name = \"Users can view message\" }]\n");
        assert!(
            o.detail()
                .contains("did you mean \"Users can view messages\" (ALL)?"),
            "{}",
            o.detail()
        );
        let o = kit().eval("[[policies]]\ntable = \"chat_message\"\nexpect = [{ name = \"x\" }]\n");
        assert_eq!(
            o.detail(),
            "chat_message: no such table (did you mean chat_messages, ChatMessage?)"
        );
    }

    #[test]
    fn a_list_of_tables_checks_each_in_one_result() {
        let o = kit().eval(
            r#"[[policies]]
table = ["chat_session_activity", "chat_messages"]
expect = [{ name = "Admins can view all activity", command = "SELECT", roles = ["authenticated"] }]"#,
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "chat_session_activity, chat_messages: 1 expected policy present on each"
        );
        // Each table's problems carry its name; a table's `present:` follows its own problems.
        let o = kit().eval(
            r#"[[policies]]
table = ["chat_session_activity", "chat_messages", "chat_sessions"]
exact = true
expect = [
  { name = "Admins can view all activity", command = "INSERT" },
  { name = "Users can view activity in own sessions" },
]"#,
        );
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "chat_session_activity: policy \"Admins can view all activity\" is for SELECT, expected INSERT; \
chat_messages: policy \"Admins can view all activity\" is for SELECT, expected INSERT; \
chat_messages: missing policy \"Users can view activity in own sessions\" (a policy of that name exists on chat_session_activity (SELECT)); \
chat_messages: unexpected policies \"System can log chat activity\" (INSERT), \"Users can view messages\" (ALL); \
present: \"System can log chat activity\" (INSERT), \"Users can view messages\" (ALL), \"Admins can view all activity\" (SELECT); \
chat_sessions: no such table (did you mean chat_session_activity?)"
        );
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[policies]]\ntable = []\nexpect = [{ name = \"a\" }]\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`table` is empty"), "{e}");
    }

    #[test]
    fn coverage() {
        let o = kit().eval("[[policies]]\ntables = [\"chat_messages\", \"chat_session_activity\"]\ncommands = [\"SELECT\", \"INSERT\", \"UPDATE\", \"DELETE\"]\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "chat_session_activity: no INSERT, UPDATE, DELETE policies"
        );
        let o = kit().eval("[[policies]]\ntables = [\"chat_messages\"]\ncommands = [\"SELECT\", \"DELETE\"]\nroles = [\"authenticated\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "SELECT, DELETE policies for authenticated on 1 table: chat_messages"
        );
        let o = kit()
            .eval("[[policies]]\ntables = [\"chat_session_activity\"]\ncommands = [\"INSERT\"]\n");
        assert_eq!(o.detail(), "chat_session_activity: no INSERT policy");
        let o = kit().eval(
            "[[policies]]\nall = true\nexcept = [\"ChatMessage\"]\ncommands = [\"SELECT\"]\n",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn validation_hints() {
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[policies]]\ntable = \"t\"\nexpect = [{ name = \"a\", command = \"SELEKT\" }]\n",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(s.contains("t.toml:3:"), "{s}");
        assert!(
            s.contains("unknown command `SELEKT`") && s.contains("did you mean `SELECT`?"),
            "{s}"
        );
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[policies]]\ntable = \"t\"\nexpect = [{ nme = \"a\" }]\n",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("unknown key `nme` in [[policies]] in `expect[1]`"),
            "{s}"
        );
        assert!(s.contains("did you mean `name`?"), "{s}");
    }
}
