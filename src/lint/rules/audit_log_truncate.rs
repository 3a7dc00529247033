//! `audit-log-truncate` (warn): a table whose triggers demonstrably reject UPDATE and DELETE (the
//! trigger function raises for them, read from its body with PostgreSQL's PL/pgSQL parser), with
//! nothing rejecting TRUNCATE. A trigger that only stamps `updated_at` or cleans up is not a
//! guard; the fix reuses a guard function only when it also rejects TRUNCATE.

use std::collections::BTreeSet;

use super::prelude::*;
use crate::catalog::{Trigger, TriggerEvent, TriggerTiming};
use crate::sqltext::expr::{plpgsql_rejects, TriggerOp};

pub static RULE: Rule = Rule {
    id: "audit-log-truncate",
    level: Level::Warn,
    what: "a table whose triggers reject UPDATE and DELETE (append-only) but nothing rejects TRUNCATE",
    why: "Row triggers never fire on TRUNCATE, and TRUNCATE ignores RLS: anyone holding the TRUNCATE privilege (by Supabase's default grants, anon and authenticated) can erase the whole log at once",
    fix: "Add a BEFORE TRUNCATE ... FOR EACH STATEMENT trigger whose function raises, and REVOKE TRUNCATE from every role that does not own the table",
    check,
};

/// What the trigger's function certainly rejects (PL/pgSQL bodies in the scanned schemas only;
/// anything else proves nothing).
fn rejected_by(cx: &RuleCtx, g: &Trigger) -> BTreeSet<TriggerOp> {
    let fs = cx.snap.functions_named(&g.function);
    let Some(f) = fs
        .iter()
        .find(|f| f.arg_types.is_empty() && f.is_trigger_function())
    else {
        return BTreeSet::new();
    };
    if !f.language.eq_ignore_ascii_case("plpgsql") {
        return BTreeSet::new();
    }
    f.body
        .as_deref()
        .and_then(plpgsql_rejects)
        .unwrap_or_default()
}

fn op(e: TriggerEvent) -> TriggerOp {
    match e {
        TriggerEvent::Insert => TriggerOp::Insert,
        TriggerEvent::Update => TriggerOp::Update,
        TriggerEvent::Delete => TriggerOp::Delete,
        TriggerEvent::Truncate => TriggerOp::Truncate,
    }
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables() {
        let firing: Vec<&Trigger> = t
            .triggers
            .iter()
            .filter(|g| g.enabled.fires() && g.timing == TriggerTiming::Before)
            .collect();
        // Which events are rejected, and by which triggers (a trigger guards an event when it
        // fires on it and its function raises for it).
        let mut guards: Vec<(&Trigger, BTreeSet<TriggerOp>)> = Vec::new();
        for g in &firing {
            let rejects = rejected_by(cx, g);
            let guarded: BTreeSet<TriggerOp> = g
                .events
                .iter()
                .map(|e| op(*e))
                .filter(|o| rejects.contains(o))
                .collect();
            if !guarded.is_empty() {
                guards.push((g, rejects));
            }
        }
        let guarded = |o: TriggerOp| {
            guards
                .iter()
                .any(|(g, r)| r.contains(&o) && g.events.iter().any(|e| op(*e) == o))
        };
        if !(guarded(TriggerOp::Update) && guarded(TriggerOp::Delete))
            || guarded(TriggerOp::Truncate)
        {
            continue;
        }
        let names: Vec<String> = guards
            .iter()
            .filter(|(g, _)| {
                g.events
                    .iter()
                    .any(|e| matches!(e, TriggerEvent::Update | TriggerEvent::Delete))
            })
            .map(|(g, _)| g.name.clone())
            .collect();
        let truncaters: Vec<String> = cx
            .snap
            .roles
            .iter()
            .filter(|r| !r.superuser && r.name != t.owner)
            .filter(|r| cx.relation_privileges(&r.name, t).contains(&"TRUNCATE"))
            .map(|r| r.name.clone())
            .collect();
        let who = if truncaters.is_empty() {
            format!("its owner {} can still TRUNCATE it", t.owner)
        } else {
            format!(
                "{} hold{} TRUNCATE on it",
                join_and(&truncaters),
                if truncaters.len() == 1 { "s" } else { "" }
            )
        };
        // Reuse a guard function only when it rejects TRUNCATE too (it raises whatever TG_OP);
        // else write a dedicated one.
        let trigger = ident(&format!("{}_no_truncate", t.name));
        let reusable = guards
            .iter()
            .find(|(_, r)| r.contains(&TriggerOp::Truncate))
            .map(|(g, _)| qident(&g.function));
        let mut fix = match reusable {
            Some(function) => format!(
                "CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
                qident(&t.qual())
            ),
            None => {
                let function = qident(&QualName::new(&t.schema, format!("{}_reject_truncate", t.name)));
                format!(
                    "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{} is append-only'; END $$; \
CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
                    t.name.replace('\'', "''"),
                    qident(&t.qual())
                )
            }
        };
        if !truncaters.is_empty() {
            fix.push_str(&format!(
                " REVOKE TRUNCATE ON {} FROM {};",
                qident(&t.qual()),
                truncaters
                    .iter()
                    .map(|r| ident(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push(Finding::new(
            t.qual(),
            format!(
                "table {} rejects UPDATE and DELETE ({} raise) but nothing rejects TRUNCATE; {who}",
                cx.show(&t.qual()),
                join_and(&names)
            ),
            fix,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Function;
    use crate::lint::testkit::*;

    fn guard_fn(name: &str, body: &str) -> Function {
        let mut f = function(name, &[], "trigger");
        f.language = "plpgsql".into();
        f.body = Some(body.into());
        f
    }

    fn with_trigger(table: &str, events: &[TriggerEvent], function: &str) -> Relation {
        let mut t = protected_table(table);
        let mut g = trigger(
            &format!("{table}_guard"),
            TriggerTiming::Before,
            events,
            true,
        );
        g.function = QualName::new("public", function);
        t.triggers.push(g);
        t
    }

    const RAISES: &str = "begin raise exception 'append-only'; end;";
    const RAISES_ON_CHANGE: &str =
        "begin if tg_op in ('UPDATE', 'DELETE') then raise exception 'no'; end if; return new; end;";

    #[test]
    fn triggers_when_the_function_raises_and_reuses_it_only_if_it_rejects_truncate() {
        let ev = [TriggerEvent::Update, TriggerEvent::Delete];
        let f = run(
            &RULE,
            vec![with_trigger("cc_audit_logs", &ev, "deny")],
            vec![guard_fn("deny", RAISES)],
        );
        assert_eq!(keys(&f), ["public.cc_audit_logs"]);
        assert!(
            f[0].message
                .contains("anon, authenticated and service_role hold TRUNCATE"),
            "{}",
            f[0].message
        );
        assert!(f[0].fix.starts_with("CREATE TRIGGER cc_audit_logs_no_truncate BEFORE TRUNCATE ON public.cc_audit_logs FOR EACH STATEMENT EXECUTE FUNCTION public.deny();"), "{}", f[0].fix);
        // Raises only for UPDATE/DELETE: as a TRUNCATE trigger it would let TRUNCATE through.
        let f = run(
            &RULE,
            vec![with_trigger("activity", &ev, "deny_changes")],
            vec![guard_fn("deny_changes", RAISES_ON_CHANGE)],
        );
        assert_eq!(keys(&f), ["public.activity"]);
        assert!(!f[0].fix.contains("deny_changes"), "{}", f[0].fix);
        assert!(
            f[0].fix
                .starts_with("CREATE FUNCTION public.activity_reject_truncate() RETURNS trigger"),
            "{}",
            f[0].fix
        );
    }

    #[test]
    fn does_not_trigger_for_updated_at_and_cleanup_triggers_or_a_truncate_guard() {
        // An updated_at trigger plus a cleanup trigger: BEFORE UPDATE and BEFORE DELETE, no guard.
        let mut t = protected_table("tickets");
        let mut a = trigger(
            "set_updated_at",
            TriggerTiming::Before,
            &[TriggerEvent::Update],
            true,
        );
        a.function = QualName::new("public", "touch");
        let mut b = trigger(
            "cleanup",
            TriggerTiming::Before,
            &[TriggerEvent::Delete],
            true,
        );
        b.function = QualName::new("public", "cleanup_fn");
        t.triggers = vec![a, b];
        let fns = vec![
            guard_fn("touch", "begin new.updated_at = now(); return new; end;"),
            guard_fn(
                "cleanup_fn",
                "begin delete from attachments where ticket_id = old.id; return old; end;",
            ),
            guard_fn("deny", RAISES),
        ];
        let mut guarded =
            with_trigger("log", &[TriggerEvent::Update, TriggerEvent::Delete], "deny");
        let mut tg = trigger(
            "log_no_truncate",
            TriggerTiming::Before,
            &[TriggerEvent::Truncate],
            false,
        );
        tg.function = QualName::new("public", "deny");
        guarded.triggers.push(tg);
        let mut disabled = with_trigger(
            "old_log",
            &[TriggerEvent::Update, TriggerEvent::Delete],
            "deny",
        );
        for g in &mut disabled.triggers {
            g.enabled = crate::catalog::TriggerEnabled::Disabled;
        }
        // A function deskctl cannot read proves nothing.
        let unknown = with_trigger(
            "other",
            &[TriggerEvent::Update, TriggerEvent::Delete],
            "elsewhere",
        );
        assert!(run(&RULE, vec![t, guarded, disabled, unknown], fns).is_empty());
    }
}
