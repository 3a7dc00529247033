//! Unit tests of the comparison over hand-built postures and catalog snapshots.

use super::posture::*;
use super::*;
use crate::catalog::{AclItem, PolicyCommand};
use crate::lint::testkit::{policy, protected_table, snap, view};
use crate::lint::RuleCtx;

fn of(s: &crate::catalog::Snapshot) -> Posture {
    from_snapshot(&RuleCtx::new(s, &[]), "db")
}

fn whats(d: &Diff) -> Vec<(String, Change, Option<Effect>)> {
    d.objects
        .iter()
        .flat_map(|o| {
            o.differences.iter().map(move |x| {
                (
                    format!("{} {}: {}", o.kind, o.name, x.what),
                    x.change,
                    x.effect,
                )
            })
        })
        .collect()
}

#[test]
fn equal_databases_and_whitespace_in_policy_logic() {
    let mut t = protected_table("notes");
    t.policies[0].using = Some("(auth.uid() =\n   user_id)".into());
    let a = snap(vec![t.clone()], vec![]);
    t.policies[0].using = Some("((auth.uid() = user_id))".into());
    let b = snap(vec![t], vec![]);
    let d = compare(&of(&a), &of(&b));
    assert!(d.equal, "{d:?}");
    assert_eq!(d.count(), 0);
}

#[test]
fn widening_changes_are_flagged() {
    let mut t = protected_table("notes");
    t.policies.push(policy(
        "not deleted",
        PolicyCommand::Select,
        &["authenticated"],
        Some("(deleted_at IS NULL)"),
        None,
    ));
    t.policies[1].permissive = false;
    t.acl.retain(|a| &*a.grantee != "anon");
    let v = view("note_view", &["notes"], true);
    let a = snap(vec![t.clone(), v.clone()], vec![]);

    t.rls_enabled = false;
    t.policies[0].using = Some("true".into());
    t.policies.remove(1);
    t.acl.push(AclItem::new("anon", "SELECT"));
    let mut v2 = v;
    v2.options.clear();
    let b = snap(vec![t, v2], vec![]);
    let d = compare(&of(&a), &of(&b));
    let got = whats(&d);
    let expect = [
        (
            "table public.notes: RLS",
            Change::Changed,
            Some(Effect::Widens),
        ),
        (
            "table public.notes: policy \"not deleted\"",
            Change::Removed,
            Some(Effect::Widens),
        ),
        (
            "table public.notes: policy \"own rows\" USING",
            Change::Changed,
            Some(Effect::Widens),
        ),
        (
            "table public.notes: grant SELECT to anon",
            Change::Added,
            Some(Effect::Widens),
        ),
        (
            "view public.note_view: security_invoker",
            Change::Changed,
            Some(Effect::Widens),
        ),
    ];
    for e in expect {
        assert!(
            got.contains(&(e.0.to_string(), e.1, e.2)),
            "{e:?} not in {got:#?}"
        );
    }
    assert_eq!(d.widening(), d.count(), "{got:#?}");
    let mut out = Vec::new();
    render_text(&d, &mut out).unwrap();
    insta::assert_snapshot!("diff_text", String::from_utf8(out).unwrap());
}

#[test]
fn a_file_side_compares_only_what_it_records() {
    let t = protected_table("notes");
    let db = of(&snap(vec![t], vec![]));
    let text = r#"
schema = "public"
[[rls]]
tables = ["notes"]
force = false
[[policies]]
table = "notes"
exact = true
expect = [{ name = "own rows", command = "SELECT", roles = ["authenticated"] }]
[[privileges]]
role = "anon"
on = "table"
names = ["notes"]
has_not = ["ALL"]
"#;
    let checks = crate::checks::load_str(std::path::Path::new("snap.toml"), text).unwrap();
    let file = from_checks(&checks, "snap.toml");
    let d = compare(&file, &db);
    // anon holds every privilege in the database (Supabase defaults); the file says none.
    let got = whats(&d);
    assert_eq!(
        got,
        [(
            "table public.notes: grant SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER to anon"
                .to_string(),
            Change::Added,
            Some(Effect::Widens)
        )]
    );
    assert!(d
        .not_compared
        .iter()
        .any(|n| n.starts_with("policy USING / WITH CHECK")));
    // authenticated's grants are not in the file: not compared, not reported.
    assert!(!got.iter().any(|g| g.0.contains("authenticated")));
}

#[test]
fn policies_added_roles_and_definer_functions() {
    let t = protected_table("notes");
    let a = snap(vec![t.clone()], vec![]);
    let mut t2 = t;
    t2.policies[0].roles = vec!["anon".into(), "authenticated".into()];
    t2.policies.push(policy(
        "all",
        PolicyCommand::All,
        &["public"],
        Some("true"),
        Some("true"),
    ));
    let mut f = crate::lint::testkit::function("exec_sql", &["text"], "void");
    f.security_definer = true;
    let b = snap(vec![t2], vec![f]);
    let got = whats(&compare(&of(&a), &of(&b)));
    assert!(got.contains(&(
        "table public.notes: policy \"own rows\" roles".into(),
        Change::Changed,
        Some(Effect::Widens)
    )));
    assert!(got.contains(&(
        "table public.notes: policy \"all\"".into(),
        Change::Added,
        Some(Effect::Widens)
    )));
    assert!(got.contains(&(
        "function public.exec_sql(text): SECURITY DEFINER function".into(),
        Change::Added,
        Some(Effect::Widens)
    )));
    // A definer function whose body changes (layout and comments do not count).
    let mut g = f2();
    g.body = Some("select  1 -- note".into());
    let x = snap(vec![], vec![g.clone()]);
    g.body = Some("select 1".into());
    let same = snap(vec![], vec![g.clone()]);
    assert!(compare(&of(&x), &of(&same)).equal);
    g.body = Some("select 2".into());
    let y = snap(vec![], vec![g]);
    assert_eq!(
        whats(&compare(&of(&x), &of(&y))),
        [(
            "function public.exec_sql(text): body".to_string(),
            Change::Changed,
            Some(Effect::Review)
        )]
    );
    // And back: the removals narrow.
    let back = whats(&compare(&of(&b), &of(&a)));
    assert!(back.contains(&(
        "table public.notes: policy \"all\"".into(),
        Change::Removed,
        Some(Effect::Narrows)
    )));
}

fn f2() -> crate::catalog::Function {
    let mut f = crate::lint::testkit::function("exec_sql", &["text"], "void");
    f.security_definer = true;
    f
}

#[test]
fn canonical_expressions() {
    assert_eq!(canonical("(a =  b)"), canonical("a = b"));
    assert_eq!(canonical("((x))  AND\n y"), canonical("x AND y"));
    assert_ne!(canonical("a = 'x  y'"), canonical("a = 'x y'"));
    // Not an expression: whitespace folded.
    assert_eq!(canonical("not ) valid   sql"), "not ) valid sql");
}
