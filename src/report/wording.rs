//! The one place a finding's data becomes prose: a `Problem` (object + typed message) as the
//! line every output format shows, and an outcome's detail (problems joined). Pure functions;
//! must not decide whether anything is wrong (the checks did) or read the database.

use crate::findings::{Counted, Message, Missing, Near, PolicyNear, PolicyRef, Problem};
use crate::words::{list, list_of, plural};

/// An outcome as one line of prose: a failure's problems joined by `; `, else the pass or error
/// note; a subject (a named scenario) first.
pub fn detail_of(o: &crate::checks::Outcome) -> String {
    let body = if o.problems.is_empty() {
        o.note.clone()
    } else {
        let parts: Vec<String> = o.problems.iter().map(problem_text).collect();
        parts.join("; ")
    };
    match &o.subject {
        Some(s) => format!("{s}: {body}"),
        None => body,
    }
}

/// One problem as prose: `object: message`, `object message` for a sentence about it, or the
/// message alone when the problem has no object.
pub fn problem_text(p: &Problem) -> String {
    let obj = p.object.as_deref();
    match &p.message {
        Message::Text(t) => match obj {
            Some(o) => format!("{o}: {t}"),
            None => t.clone(),
        },
        Message::Sentence { noun, predicate } => {
            let subject: Vec<&str> = [noun.as_str(), obj.unwrap_or_default()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            if subject.is_empty() {
                predicate.clone()
            } else {
                format!("{} {predicate}", subject.join(" "))
            }
        }
        Message::Missing(m) => missing_text(obj, m),
        Message::Privileges {
            role,
            superuser,
            held,
            privileges,
        } => format!(
            "{role}{} {} {}{}",
            if *superuser { " (superuser)" } else { "" },
            if *held { "has" } else { "lacks" },
            privileges.join(", "),
            obj.map(|o| format!(" on {o}")).unwrap_or_default()
        ),
        Message::OnTables { what, tables } => format!("{what} on {}", list(tables, 20)),
        Message::Changed { op, roles, effect } => {
            format!("{op} succeeded as {}{effect}", list(roles, 10))
        }
        Message::Blocked(attempts) => format!("blocked: {}", attempts.join("; ")),
        Message::TruncateGap {
            all_blocked,
            triggers,
        } => {
            let table = obj.unwrap_or("the table");
            format!(
                "{} row-level trigger{} {}, but row-level triggers do not fire on TRUNCATE and \
                 {table} has no TRUNCATE trigger: add one (CREATE TRIGGER ... BEFORE TRUNCATE ON \
                 {table} FOR EACH STATEMENT EXECUTE FUNCTION ...) or REVOKE TRUNCATE",
                if *all_blocked {
                    "UPDATE and DELETE are blocked by"
                } else {
                    "the table has"
                },
                if triggers.len() == 1 { "" } else { "s" },
                list(triggers, 5)
            )
        }
        Message::Count(c) => counted_text(c),
        Message::MissingNames(names) => format!("missing: {}", list(names, 20)),
        Message::Found { shown, total } => format!("found: {}", list_of(shown, *total)),
        Message::Absent { noun, within, near } => {
            let subject: Vec<&str> = [noun.as_str(), obj.unwrap_or_default()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            let mut s = format!("{} does not exist", subject.join(" "));
            if let Some(w) = within {
                s.push_str(&format!(" in {w}"));
            }
            s.push_str(&did_you_mean(near));
            s
        }
        Message::MissingColumns { columns, near } => lead(
            obj,
            format!(
                "missing {} {}{}",
                plural(columns.len(), "column", "columns"),
                columns.join(", "),
                did_you_mean(near)
            ),
        ),
        Message::NoOverload { present } => lead(
            obj,
            format!("no such overload; present: {}", present.join(", ")),
        ),
        Message::MissingPolicy {
            name,
            command,
            near,
        } => {
            let mut s = format!("missing policy \"{name}\"");
            if let Some(c) = command {
                s.push_str(&format!(" ({c})"));
            }
            if !near.is_empty() {
                let near: Vec<String> = near
                    .iter()
                    .map(|n| match n {
                        PolicyNear::Elsewhere { table, command } => {
                            format!("a policy of that name exists on {table} ({command})")
                        }
                        PolicyNear::Similar(p) => format!("did you mean {}?", policy(p)),
                    })
                    .collect();
                s.push_str(&format!(" ({})", near.join("; ")));
            }
            lead(obj, s)
        }
        Message::PolicyDiffers { name, difference } => {
            lead(obj, format!("policy \"{name}\" {difference}"))
        }
        Message::UnexpectedPolicies(ps) => lead(
            obj,
            format!(
                "unexpected {} {}",
                plural(ps.len(), "policy", "policies"),
                policies(ps)
            ),
        ),
        Message::PresentPolicies(ps) => lead(
            obj,
            if ps.is_empty() {
                "present: none".to_string()
            } else {
                format!("present: {}", policies(ps))
            },
        ),
        Message::Uncovered { commands, roles } => lead(
            obj,
            format!(
                "no {} {}{}",
                commands.join(", "),
                plural(commands.len(), "policy", "policies"),
                if roles.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", roles.join(", "))
                }
            ),
        ),
    }
}

/// `object: rest`, or `rest` alone when there is no object.
fn lead(obj: Option<&str>, rest: String) -> String {
    match obj {
        Some(o) => format!("{o}: {rest}"),
        None => rest,
    }
}

/// ` (did you mean a, b (view)?)`, or nothing when there is no candidate.
fn did_you_mean(near: &[Near]) -> String {
    if near.is_empty() {
        return String::new();
    }
    let near: Vec<String> = near
        .iter()
        .map(|n| match &n.kind {
            Some(k) => format!("{} ({k})", n.name),
            None => n.name.clone(),
        })
        .collect();
    format!(" (did you mean {}?)", near.join(", "))
}

/// A policy as users name it: `"Users read" (SELECT)`.
fn policy(p: &PolicyRef) -> String {
    format!("\"{}\" ({})", p.name, p.command)
}

fn policies(ps: &[PolicyRef]) -> String {
    ps.iter().map(policy).collect::<Vec<_>>().join(", ")
}

/// `x: no such table (did you mean y?)`, `t: no column c`, `x is a view, not a table`,
/// `x: no such table (schema s was not read)`.
fn missing_text(obj: Option<&str>, m: &Missing) -> String {
    let lead = |rest: String| lead(obj, rest);
    if let Some(kind) = &m.found_kind {
        return match obj {
            Some(o) => format!("{o} is a {kind}, not a {}", m.noun),
            None => format!("a {kind}, not a {}", m.noun),
        };
    }
    let mut s = match &m.name {
        Some(n) => lead(format!("no {} {n}", m.noun)),
        None => lead(format!("no such {}", m.noun)),
    };
    if let Some(schema) = &m.unread_schema {
        s.push_str(&format!(" (schema {schema} was not read)"));
    } else if let Some(k) = &m.it_is {
        s.push_str(&format!(" (it is a {k})"));
    } else if !m.near.is_empty() {
        s.push_str(&did_you_mean(&m.near));
    } else if let Some(p) = &m.present {
        let on =
            p.on.as_ref()
                .map(|o| format!(" on {o}"))
                .unwrap_or_default();
        let names = if p.names.is_empty() {
            "none".to_string()
        } else {
            list(&p.names, 10)
        };
        s.push_str(&format!(" ({}{on}: {names})", p.nouns));
    }
    s
}

/// `3 tables, expected 11`, `2 policies on a, b, expected >= 4 (a 2, b 0)`.
fn counted_text(c: &Counted) -> String {
    let noun = if c.count == 1 { &c.one } else { &c.many };
    let mut s = format!("{} {noun}", c.count);
    if !c.tables.is_empty() {
        s.push_str(&format!(" on {}", list(&c.tables, 10)));
    }
    s.push_str(&format!(", expected {}", c.expected));
    if !c.per_table.is_empty() {
        let parts: Vec<String> = c
            .per_table
            .iter()
            .map(|(t, k)| format!("{t} {k}"))
            .collect();
        s.push_str(&format!(" ({})", list(&parts, 20)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Expectation, Present};

    fn text(p: Problem) -> String {
        problem_text(&p)
    }

    #[test]
    fn text_and_sentence_place_the_object() {
        assert_eq!(
            text(Problem::on("public.t", "RLS disabled")),
            "public.t: RLS disabled"
        );
        assert_eq!(text(Problem::new("no tables found")), "no tables found");
        assert_eq!(
            text(Problem::says("extension", "pg_cron", "is not installed")),
            "extension pg_cron is not installed"
        );
        assert_eq!(
            text(Problem::says("", "v", "is a view, not a table")),
            "v is a view, not a table",
            "no noun: the object alone"
        );
    }

    #[test]
    fn privileges_read_role_first() {
        let p = |superuser, held| {
            text(Problem::about(
                "public.t",
                Message::Privileges {
                    role: "anon".into(),
                    superuser,
                    held,
                    privileges: vec!["SELECT".into(), "UPDATE".into()],
                },
            ))
        };
        assert_eq!(p(false, false), "anon lacks SELECT, UPDATE on public.t");
        assert_eq!(
            p(true, true),
            "anon (superuser) has SELECT, UPDATE on public.t"
        );
    }

    #[test]
    fn missing_objects_with_near_misses() {
        let mut m = Missing::of("table");
        assert_eq!(text(Problem::missing("t", m.clone())), "t: no such table");
        m.near = vec![
            Near {
                name: "Orders".into(),
                kind: None,
            },
            Near {
                name: "app.orders".into(),
                kind: Some("view".into()),
            },
        ];
        assert_eq!(
            text(Problem::missing("orders", m.clone())),
            "orders: no such table (did you mean Orders, app.orders (view)?)"
        );
        m.unread_schema = Some("app".into());
        assert_eq!(
            text(Problem::missing("app.x", m)),
            "app.x: no such table (schema app was not read)",
            "an unread schema says so instead of guessing"
        );
        assert_eq!(
            text(Problem::missing(
                "t",
                Missing::named("column", "nmae").near(Some("name"))
            )),
            "t: no column nmae (did you mean name?)"
        );
        let mut m = Missing::of("index");
        m.present = Some(Present {
            nouns: "indexes".into(),
            on: Some("t".into()),
            names: vec![],
        });
        assert_eq!(
            text(Problem::missing("ix", m)),
            "ix: no such index (indexes on t: none)",
            "no near miss: what there is instead"
        );
        let mut v = Missing::of("table");
        v.found_kind = Some("view".into());
        assert_eq!(text(Problem::missing("v", v)), "v is a view, not a table");
    }

    #[test]
    fn counts_against_their_expectation() {
        let c = Counted {
            count: 1,
            one: "policy".into(),
            many: "policies".into(),
            tables: vec!["a".into(), "b".into()],
            expected: Expectation::AtLeast(4),
            per_table: vec![("a".into(), 1), ("b".into(), 0)],
        };
        assert_eq!(
            text(Problem::whole(Message::Count(c))),
            "1 policy on a, b, expected >= 4 (a 1, b 0)"
        );
        let c = Counted {
            count: 3,
            one: "table".into(),
            many: "tables".into(),
            tables: vec![],
            expected: Expectation::Exactly(11),
            per_table: vec![],
        };
        assert_eq!(
            text(Problem::whole(Message::Count(c))),
            "3 tables, expected 11"
        );
        assert_eq!(
            text(Problem::whole(Message::MissingNames(vec![
                "a".into(),
                "b".into()
            ]))),
            "missing: a, b"
        );
        assert_eq!(
            text(Problem::whole(Message::Found {
                shown: vec!["a".into()],
                total: 3
            })),
            "found: a, and 2 more"
        );
    }

    #[test]
    fn absent_objects_are_said_as_sentences() {
        let absent = |noun: &str, within: Option<&str>, near: Option<&str>| Message::Absent {
            noun: noun.into(),
            within: within.map(Into::into),
            near: Near::one(near),
        };
        assert_eq!(
            text(Problem::about("anno", absent("role", None, Some("anon")))),
            "role anno does not exist (did you mean anon?)"
        );
        assert_eq!(
            text(Problem::about("nobody", absent("role", None, None))),
            "role nobody does not exist"
        );
        assert_eq!(
            text(Problem::about(
                "audit_trg",
                absent("trigger", Some("public"), Some("audit_trig"))
            )),
            "trigger audit_trg does not exist in public (did you mean audit_trig?)"
        );
    }

    #[test]
    fn missing_columns_one_or_many() {
        let cols = |c: &[&str], near: Option<&str>| Message::MissingColumns {
            columns: c.iter().map(|s| s.to_string()).collect(),
            near: Near::one(near),
        };
        assert_eq!(
            text(Problem::about("t", cols(&["titel"], Some("title")))),
            "t: missing column titel (did you mean title?)"
        );
        assert_eq!(
            text(Problem::about("t", cols(&["a", "b"], None))),
            "t: missing columns a, b"
        );
    }

    #[test]
    fn functions_of_another_kind_or_overload() {
        let mut m = Missing::of("function");
        m.it_is = Some("procedure".into());
        m.near = Near::one(Some("other"));
        assert_eq!(
            text(Problem::missing("f", m)),
            "f: no such function (it is a procedure)",
            "the other kind is said instead of near misses"
        );
        assert_eq!(
            text(Problem::about(
                "f(uuid)",
                Message::NoOverload {
                    present: vec!["f(uuid, text)".into(), "f()".into()]
                }
            )),
            "f(uuid): no such overload; present: f(uuid, text), f()"
        );
    }

    #[test]
    fn policies_missing_differing_extra_and_present() {
        let r = |name: &str, command: &str| PolicyRef {
            name: name.into(),
            command: command.into(),
        };
        assert_eq!(
            text(Problem::about(
                "t",
                Message::MissingPolicy {
                    name: "read own".into(),
                    command: Some("SELECT".into()),
                    near: vec![
                        PolicyNear::Elsewhere {
                            table: "u".into(),
                            command: "ALL".into()
                        },
                        PolicyNear::Similar(r("Read own", "SELECT")),
                    ],
                }
            )),
            "t: missing policy \"read own\" (SELECT) (a policy of that name exists on u (ALL); \
             did you mean \"Read own\" (SELECT)?)"
        );
        assert_eq!(
            text(Problem::about(
                "t",
                Message::MissingPolicy {
                    name: "p".into(),
                    command: None,
                    near: vec![],
                }
            )),
            "t: missing policy \"p\""
        );
        assert_eq!(
            text(Problem::about(
                "t",
                Message::PolicyDiffers {
                    name: "p".into(),
                    difference: "is for ALL, expected SELECT".into()
                }
            )),
            "t: policy \"p\" is for ALL, expected SELECT"
        );
        assert_eq!(
            text(Problem::about(
                "t",
                Message::UnexpectedPolicies(vec![r("a", "ALL")])
            )),
            "t: unexpected policy \"a\" (ALL)"
        );
        assert_eq!(
            text(Problem::whole(Message::PresentPolicies(vec![]))),
            "present: none"
        );
        assert_eq!(
            text(Problem::whole(Message::PresentPolicies(vec![
                r("a", "ALL"),
                r("b", "INSERT")
            ]))),
            "present: \"a\" (ALL), \"b\" (INSERT)"
        );
        assert_eq!(
            text(Problem::about(
                "t",
                Message::Uncovered {
                    commands: vec!["SELECT".into(), "UPDATE".into()],
                    roles: vec!["authenticated".into()],
                }
            )),
            "t: no SELECT, UPDATE policies for authenticated"
        );
        assert_eq!(
            text(Problem::about(
                "t",
                Message::Uncovered {
                    commands: vec!["DELETE".into()],
                    roles: vec![],
                }
            )),
            "t: no DELETE policy"
        );
    }
}
