//! `audit-log-truncate` (warn): an append-only (audit / log) table guarded by row triggers
//! against UPDATE and DELETE, with nothing firing on TRUNCATE.

use super::prelude::*;
use crate::catalog::{TriggerEvent, TriggerTiming};

pub static RULE: Rule = Rule {
    id: "audit-log-truncate",
    level: Level::Warn,
    what: "an audit/log table guarded by BEFORE row triggers against UPDATE and DELETE but not against TRUNCATE",
    why: "Row triggers never fire on TRUNCATE, and TRUNCATE ignores RLS: anyone holding the TRUNCATE privilege (by Supabase's default grants, anon and authenticated) can erase the whole log at once",
    fix: "Add a BEFORE TRUNCATE ... FOR EACH STATEMENT trigger that raises, and REVOKE TRUNCATE from every role that does not own the table",
    check,
};

fn check(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables() {
        let firing: Vec<&crate::catalog::Trigger> =
            t.triggers.iter().filter(|g| g.enabled.fires()).collect();
        // Guards: BEFORE, FOR EACH ROW, on UPDATE and/or DELETE but never INSERT (an INSERT
        // trigger is bookkeeping, not a guard).
        let guards: Vec<&&crate::catalog::Trigger> = firing
            .iter()
            .filter(|g| {
                g.row
                    && g.timing == TriggerTiming::Before
                    && !g.events.contains(&TriggerEvent::Insert)
                    && (g.events.contains(&TriggerEvent::Update)
                        || g.events.contains(&TriggerEvent::Delete))
            })
            .collect();
        let covers = |e: TriggerEvent| guards.iter().any(|g| g.events.contains(&e));
        if !(covers(TriggerEvent::Update) && covers(TriggerEvent::Delete)) {
            continue;
        }
        if firing
            .iter()
            .any(|g| g.events.contains(&TriggerEvent::Truncate))
        {
            continue;
        }
        let names: Vec<String> = guards.iter().map(|g| g.name.clone()).collect();
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
        let function = guards
            .first()
            .map(|g| qident(&g.function))
            .unwrap_or_else(|| "<guard function>".into());
        let mut fix = format!(
            "CREATE TRIGGER {} BEFORE TRUNCATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
            ident(&format!("{}_no_truncate", t.name)),
            qident(&t.qual())
        );
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
                "table {} is guarded against UPDATE and DELETE by {} but nothing fires on TRUNCATE; {who}",
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
    use crate::lint::testkit::*;

    fn guarded(name: &str) -> Relation {
        let mut t = protected_table(name);
        t.triggers.push(trigger(
            &format!("{name}_immutable"),
            TriggerTiming::Before,
            &[TriggerEvent::Update, TriggerEvent::Delete],
            true,
        ));
        t
    }

    #[test]
    fn triggers_on_a_log_guarded_only_per_row() {
        let f = run(&RULE, vec![guarded("cc_audit_logs")], vec![]);
        assert_eq!(keys(&f), ["public.cc_audit_logs"]);
        assert!(
            f[0].message
                .contains("anon, authenticated and service_role hold TRUNCATE"),
            "{}",
            f[0].message
        );
        assert!(f[0].fix.contains("BEFORE TRUNCATE ON public.cc_audit_logs FOR EACH STATEMENT EXECUTE FUNCTION public.cc_audit_logs_immutable_fn()"), "{}", f[0].fix);
    }

    #[test]
    fn does_not_trigger_with_a_truncate_trigger_or_without_guards() {
        let mut t = guarded("support_ticket_activity");
        t.triggers.push(trigger(
            "no_truncate",
            TriggerTiming::Before,
            &[TriggerEvent::Truncate],
            false,
        ));
        let mut u = protected_table("tickets");
        u.triggers.push(trigger(
            "set_updated_at",
            TriggerTiming::Before,
            &[TriggerEvent::Update],
            true,
        ));
        u.triggers.push(trigger(
            "audit",
            TriggerTiming::After,
            &[
                TriggerEvent::Insert,
                TriggerEvent::Update,
                TriggerEvent::Delete,
            ],
            true,
        ));
        let mut disabled = guarded("old_log");
        for g in &mut disabled.triggers {
            g.enabled = crate::catalog::TriggerEnabled::Disabled;
        }
        assert!(run(&RULE, vec![t, u, disabled], vec![]).is_empty());
    }
}
