//! `insecure-queue-exposed-in-api` (error): a pgmq queue table without RLS that anon or
//! authenticated can read while the API exposes `pgmq_public` (or `pgmq`) (splinter 0019).
//! Reads the `pgmq` schema on purpose (diagnose adds it to what it reads).

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "insecure-queue-exposed-in-api",
    level: Level::Error,
    what: "a pgmq queue table (pgmq.q_*) without RLS, readable by anon or authenticated, while the API exposes pgmq_public or pgmq",
    why: "With pgmq_public exposed, the queue functions run as the caller and read pgmq's tables with the caller's privileges: without RLS every API client can read, and consume, every message of the queue",
    fix: "ALTER TABLE pgmq.q_<queue> ENABLE ROW LEVEL SECURITY and add policies for who may read and send, or REVOKE the API roles' privileges on it",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    if !(cx.is_exposed("pgmq_public") || cx.is_exposed("pgmq")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for t in cx
        .extra_relations("pgmq")
        .chain(cx.relations().filter(|r| r.schema == "pgmq"))
    {
        if !t.kind.is_table() || !t.name.starts_with("q_") || t.rls_enabled {
            continue;
        }
        if out.iter().any(|f: &Finding| f.object == t.qual()) {
            continue;
        }
        let roles: Vec<String> = cx
            .api_roles()
            .into_iter()
            .filter(|r| cx.relation_privileges(r, t).contains(&"SELECT"))
            .map(str::to_string)
            .collect();
        if roles.is_empty() {
            continue;
        }
        out.push(Finding::new(
            t.qual(),
            format!(
                "queue table {} has RLS disabled and {} can read it through the exposed queue API",
                t.qual(),
                join_and(&roles)
            ),
            format!(
                "ALTER TABLE {} ENABLE ROW LEVEL SECURITY; (then add policies for who may read and send)",
                qident(&t.qual())
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    fn queue(name: &str) -> Relation {
        let mut t = api_table(name);
        t.schema = "pgmq".into();
        t
    }

    #[test]
    fn triggers_on_an_open_queue_when_pgmq_public_is_exposed() {
        let s = snap(vec![queue("q_jobs"), queue("meta")], vec![]);
        let mut cx = RuleCtx::new(&s, &["public".to_string(), "pgmq_public".to_string()]);
        cx.extra = vec!["pgmq".into()];
        assert_eq!(keys(&(RULE.check)(&cx)), ["pgmq.q_jobs"]);
    }

    #[test]
    fn does_not_trigger_without_exposure_or_with_rls() {
        let mut guarded = queue("q_safe");
        guarded.rls_enabled = true;
        let s = snap(vec![queue("q_jobs"), guarded.clone()], vec![]);
        assert!((RULE.check)(&RuleCtx::new(&s, &["public".to_string()])).is_empty());
        let s = snap(vec![guarded], vec![]);
        let cx = RuleCtx::new(&s, &["pgmq_public".to_string()]);
        assert!((RULE.check)(&cx).is_empty());
    }
}
