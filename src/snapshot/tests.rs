//! Unit tests of the snapshot: the file it writes loads and passes on its own catalog, fails on
//! any change, and round-trips hostile names exactly.

use super::*;
use crate::catalog::{EnumType, TriggerEvent, TriggerTiming};
use crate::checks::loader::load_str;
use crate::lint::testkit::*;
use crate::report::Status;
use std::path::Path;

fn sample() -> crate::catalog::Snapshot {
    let mut t = protected_table("chat.sessions");
    t.policies.push(policy(
        "Admins \"see\" all",
        PolicyCommand::Select,
        &["authenticated"],
        Some("true"),
        None,
    ));
    let mut r = policy("tenant", PolicyCommand::All, &["public"], Some("x"), None);
    r.permissive = false;
    t.policies.push(r);
    t.triggers.push(trigger(
        "guard",
        TriggerTiming::Before,
        &[TriggerEvent::Update, TriggerEvent::Delete],
        true,
    ));
    t.columns[1].acl = acl(&[("anon", "SELECT")]);
    let mut open = api_table("ChatMessage");
    open.rls_forced = false;
    let mut seq = Relation::new("public", "ticket_seq", RelKind::Sequence);
    seq.acl = acl(&[("authenticated", "USAGE")]);
    let mut owned = Relation::new("public", "ChatMessage_n_seq", RelKind::Sequence);
    if let Some(i) = owned.sequence.as_mut() {
        i.owned_by = Some((QualName::new("public", "ChatMessage"), "n".into()));
    }
    open.columns
        .push(crate::catalog::Column::new("n", "bigint"));
    let mut f = function("log_activity", &["uuid", "text"], "uuid");
    f.security_definer = true;
    f.config = vec!["search_path=\"\"".into()];
    f.language = "plpgsql".into();
    f.body = Some("begin insert into activity values (p_id, p_kind); return p_id; end;".into());
    let g = function("guard_fn", &[], "trigger");
    let mut s = snap(
        vec![
            t,
            open,
            seq,
            owned,
            view("v", &["chat.sessions"], true),
            view("plain", &["ChatMessage"], false),
        ],
        vec![f, g],
    );
    s.relations[0].triggers[0].function = QualName::new("public", "guard_fn");
    s.enums.push(EnumType {
        schema: "public".into(),
        name: "ticket_status".into(),
        values: vec!["open".into(), "closed".into()],
    });
    s.finish()
}

fn evaluate(text: &str, s: &crate::catalog::Snapshot) -> Vec<crate::report::CheckResult> {
    let checks =
        load_str(Path::new("snap.toml"), text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    crate::verify::evaluate_static(&checks, s)
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn the_check_file_loads_and_passes_on_its_own_snapshot() {
    let s = sample();
    let cx = RuleCtx::new(&s, &[]);
    let text = write(&cx, &["public".to_string()]);
    let results = evaluate(&text, &s);
    assert!(results.len() > 15, "{text}");
    for r in &results {
        assert_eq!(r.status, Status::Pass, "{}: {}\n{text}", r.id, r.detail);
    }
    assert!(text.contains("table = \"\\\"chat.sessions\\\"\""), "{text}");
    assert!(text.contains("# Row-level security"));
    assert!(text.contains("permissive = false"));
    assert!(text.contains("search_path = \"\\\"\\\"\""), "{text}");
    assert_eq!(text, write(&cx, &["public".to_string()]), "deterministic");
}

#[test]
fn dropping_any_policy_fails_naming_it() {
    let s = sample();
    let text = write(&RuleCtx::new(&s, &[]), &["public".to_string()]);
    let names: Vec<String> = s.relations[0]
        .policies
        .iter()
        .map(|p| p.name.clone())
        .collect();
    for name in names {
        let mut broken = s.clone();
        broken.relations[0].policies.retain(|p| p.name != name);
        let broken = broken.finish();
        let failed: Vec<String> = evaluate(&text, &broken)
            .into_iter()
            .filter(|r| r.status == Status::Fail)
            .map(|r| r.detail)
            .collect();
        assert!(
            failed
                .iter()
                .any(|d| d.contains(&format!("missing policy \"{name}\""))),
            "{name}: {failed:?}"
        );
    }
}

#[test]
fn other_changes_fail_too() {
    let s = sample();
    let text = write(&RuleCtx::new(&s, &[]), &["public".to_string()]);
    let fails = |mutate: &dyn Fn(&mut crate::catalog::Snapshot)| -> Vec<String> {
        let mut b = s.clone();
        mutate(&mut b);
        evaluate(&text, &b.finish())
            .into_iter()
            .filter(|r| r.status == Status::Fail)
            .map(|r| r.detail)
            .collect()
    };
    let f = fails(&|b| b.relations[0].rls_enabled = false);
    assert!(
        f.iter()
            .any(|d| d.contains("RLS disabled on chat.sessions")),
        "{f:?}"
    );
    let f = fails(&|b| b.relations[4].options.clear());
    assert!(
        f.iter().any(|d| d.contains("v: security_invoker is off")),
        "{f:?}"
    );
    let f = fails(&|b| b.relations[0].policies[0].using = Some("true OR (x = 1)".into()));
    assert!(
        f.iter().any(|d| d.contains(
            "USING is `true OR (x = 1)`, expected `(( SELECT auth.uid() AS uid) = user_id)`"
        )),
        "{f:?}"
    );
    let f = fails(&|b| b.relations[0].policies[1].with_check = Some("x".into()));
    assert!(
        f.iter()
            .any(|d| d.contains("has WITH CHECK `x`, expected none")),
        "{f:?}"
    );
    let f = fails(&|b| {
        b.functions[0].body = Some("begin return p_id; end;".into());
    });
    assert!(f.iter().any(|d| d.contains("body changed")), "{f:?}");
    let f = fails(&|b| {
        b.relations[0].policies[2].using = Some("(  x\n)".into());
        b.functions[0].body = Some(
            "begin\n  -- log it\n  insert into activity values (p_id, p_kind);\n  return p_id;\nend;"
                .into(),
        );
    });
    assert!(f.is_empty(), "layout and comments are not changes: {f:?}");
    let f = fails(&|b| {
        b.relations[0].indexes[0].valid = false;
        b.relations[0].triggers[0].enabled = crate::catalog::TriggerEnabled::Disabled;
    });
    assert!(f.iter().any(|d| d.contains("is INVALID")), "{f:?}");
    assert!(f.iter().any(|d| d.contains("guard")), "{f:?}");
    let f = fails(&|b| b.functions[0].config.clear());
    assert!(
        f.iter().any(|d| d.contains("search_path is not pinned")),
        "{f:?}"
    );
    let f = fails(&|b| {
        b.relations[1]
            .acl
            .push(crate::catalog::AclItem::new("anon", "MAINTAIN"))
    });
    assert!(
        f.is_empty(),
        "MAINTAIN is not recorded on PostgreSQL 15: {f:?}"
    );
    let f = fails(&|b| b.relations[0].acl.retain(|a| &*a.grantee != "service_role"));
    assert!(f.iter().any(|d| d.contains("service_role lacks")), "{f:?}");
    let f = fails(&|b| b.enums[0].values.push("archived".into()));
    assert!(f.iter().any(|d| d.contains("ticket_status")), "{f:?}");
    let f = fails(&|b| b.relations[0].triggers.clear());
    assert!(f.iter().any(|d| d.contains("no trigger guard")), "{f:?}");
}

#[test]
fn history_table_stays_out_and_other_schemas_get_a_schema_key() {
    let mut h = api_table("refinery_schema_history");
    h.columns = ["version", "name", "applied_on", "checksum"]
        .iter()
        .map(|c| crate::catalog::Column::new(c, "text"))
        .collect();
    let mut a = api_table("audit_events");
    a.schema = "audit".into();
    let mut s = snap(vec![h, api_table("t"), a], vec![]);
    s.scope.push("audit".into());
    s.schemas.push(crate::catalog::SchemaInfo {
        name: "audit".into(),
        owner: "postgres".into(),
        acl: acl(&[("postgres", "USAGE")]),
    });
    let s = s.finish();
    let cx = RuleCtx::new(&s, &[])
        .skipping_history(&crate::config::HistoryTable::parse("refinery_schema_history").unwrap());
    let text = write(&cx, &["public".to_string(), "audit".to_string()]);
    assert!(!text.contains("refinery_schema_history"), "{text}");
    assert!(
        text.contains("schema = \"audit\"\ntable = \"audit_events\""),
        "{text}"
    );
    for r in evaluate(&text, &s) {
        assert_eq!(r.status, Status::Pass, "{}: {}", r.id, r.detail);
    }
}

/// Round trip by construction: the written text loads (through the loader) into exactly the
/// checks that were built, each serialising back to the same keys and values, with the same
/// schema; and every one of them passes on the catalog it was written from.
fn round_trip(s: &crate::catalog::Snapshot, schemas: &[String]) -> String {
    let doc = document(&RuleCtx::new(s, &[]), schemas);
    let text = render::render(&doc);
    let loaded =
        load_str(Path::new("snap.toml"), &text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    let emitted: Vec<&Emitted> = doc.checks().collect();
    assert_eq!(loaded.len(), emitted.len(), "{text}");
    for (l, e) in loaded.iter().zip(&emitted) {
        assert_eq!(l.kind(), e.spec.kind(), "{text}");
        assert_eq!(l.schema, *e.schema.as_ref().unwrap_or(&doc.schema));
        let back = Emitted {
            note: None,
            schema: (l.schema != doc.schema).then(|| l.schema.clone()),
            spec: l.spec.clone(),
        };
        assert_eq!(
            render::check_item(&back),
            render::check_item(e),
            "{}\n---\n{text}",
            l.id
        );
    }
    for r in evaluate(&text, s) {
        assert_eq!(r.status, Status::Pass, "{}: {}\n{text}", r.id, r.detail);
    }
    text
}

#[test]
fn every_check_written_loads_back_as_built() {
    let text = round_trip(&sample(), &["public".to_string()]);
    // Every kind the snapshot writes is in the sample.
    for kind in ["count", "exists", "rls", "policies", "privileges"] {
        assert!(text.contains(&format!("\n[[{kind}]]\n")), "{kind}\n{text}");
    }
}

/// Names with quotes, dots, line breaks, `]]`, TOML and SQL punctuation, unicode and
/// control characters, in every place a name is written.
#[test]
fn a_hostile_catalog_round_trips_exactly() {
    let odd = [
        "a\"b",
        "dot.ted",
        "line\nbreak",
        "]]\n[[exists]]\ntable = \"x\"",
        "caf\u{e9} \u{1F600}",
        "tab\there",
        " padded ",
        "'''",
        "back\\slash",
        "bell\u{7}",
        "\"\"\"",
        "# not a comment",
    ];
    let mut rels = Vec::new();
    let mut functions = Vec::new();
    for (i, n) in odd.iter().enumerate() {
        let mut t = protected_table(n);
        t.columns.push(crate::catalog::Column::new(n, "text"));
        t.columns[2].acl = acl(&[("anon", "SELECT")]);
        t.constraints[0].columns = vec![n.to_string()];
        t.policies.push(policy(
            n,
            PolicyCommand::Update,
            &["authenticated", "anon"],
            Some(&format!("(name = '{}'::text)", n.replace('\'', "''"))),
            Some(&format!(
                "(\"{}\" IS NOT NULL AND {})",
                n.replace('"', "\"\""),
                (0..12)
                    .map(|k| format!("(user_id IS DISTINCT FROM '{k}'::uuid)"))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            )),
        ));
        let mut tr = trigger(n, TriggerTiming::After, &[TriggerEvent::Insert], i % 2 == 0);
        tr.function = QualName::new("public", format!("{n}_fn"));
        t.triggers.push(tr);
        functions.push(function(&format!("{n}_fn"), &[], "trigger"));
        let mut f = function(n, &["text", "integer"], "text");
        f.security_definer = true;
        f.config = vec![format!("search_path={n}")];
        f.body = Some(format!("select '{}'", n.replace('\'', "''")));
        functions.push(f);
        let mut seq = Relation::new("public", &format!("{n}_seq"), RelKind::Sequence);
        if let Some(info) = seq.sequence.as_mut() {
            info.owned_by = Some((QualName::new("public", *n), n.to_string()));
        }
        rels.push(seq);
        rels.push(view(&format!("v {n}"), &[n], i % 2 == 0));
        rels.push(t);
    }
    let mut s = snap(rels, functions);
    s.enums.push(EnumType {
        schema: "public".into(),
        name: "odd \"enum\".x".into(),
        values: odd.iter().map(|v| v.to_string()).collect(),
    });
    let s = s.finish();
    let text = round_trip(&s, &["public".to_string()]);
    assert!(
        text.contains("[[policies.expect]]\nname = \"line\\nbreak\""),
        "{text}"
    );
    // Nothing but the checks written opens a table.
    let headers = text.lines().filter(|l| l.starts_with("[[")).count();
    let built = document(&RuleCtx::new(&s, &[]), &["public".to_string()])
        .checks()
        .map(|c| match &c.spec {
            Spec::Policies(p) => 1 + p.expect.as_ref().map_or(0, Vec::len),
            _ => 1,
        })
        .sum::<usize>();
    assert_eq!(headers, built, "{text}");
}

#[test]
fn strings_and_names_are_escaped() {
    assert_eq!(name_part("a.b"), "\"a.b\"");
    assert_eq!(name_part("x\"y"), "\"x\"\"y\"");
    assert_eq!(name_part("ChatMessage"), "ChatMessage");
    assert_eq!(
        check_name("public", &QualName::new("auth", "users")),
        "auth.users"
    );
}
