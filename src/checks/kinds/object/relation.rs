//! What the relation types (table, view, materialized view, sequence) share: finding the
//! relation of the accepted kind, `[[absent]]` of one, and the properties more than one of them
//! has (`columns`, `owner`, `reads`). Not an object type itself; must not hold one type's rules.

use crate::catalog::{QualName, RelKind, Relation, Snapshot};
use crate::checks::names::{missing_relation, Ctx};
use crate::words::{closest, list, plural};

/// `[[exists]]` of the relation `name` of a kind `accept` takes (`noun` as details say it):
/// when found, `props` pushes how it differs (given the relation and its display name). Returns
/// the name to show.
pub(super) fn exists(
    ctx: &Ctx,
    snap: &Snapshot,
    name: &str,
    noun: &str,
    accept: &dyn Fn(RelKind) -> bool,
    problems: &mut Vec<String>,
    props: impl FnOnce(&Relation, &str, &mut Vec<String>),
) -> String {
    let q = ctx.qual(name);
    let Some(r) = snap.relation(&q) else {
        problems.push(missing_relation(ctx, snap, &q, noun, accept));
        return ctx.show(&q);
    };
    if !accept(r.kind) {
        problems.push(format!(
            "{} is a {}, not a {noun}",
            ctx.show(&q),
            r.kind.noun()
        ));
        return ctx.show(&q);
    }
    let shown = ctx.show_rel(r);
    props(r, &shown, problems);
    shown
}

/// `[[absent]]` of the relation `name` of a kind `accept` takes.
pub(super) fn absent(
    ctx: &Ctx,
    snap: &Snapshot,
    name: &str,
    noun: &str,
    accept: &dyn Fn(RelKind) -> bool,
) -> Option<String> {
    snap.relation(&ctx.qual(name))
        .filter(|r| accept(r.kind))
        .map(|r| format!("{noun} {} exists", ctx.show_rel(r)))
}

/// `columns = [...]`: every one is there.
pub(super) fn columns(r: &Relation, name: &str, cols: &[String], problems: &mut Vec<String>) {
    let missing: Vec<String> = cols
        .iter()
        .filter(|c| r.column(c).is_none())
        .cloned()
        .collect();
    if missing.is_empty() {
        return;
    }
    let mut s = format!(
        "{name}: missing {} {}",
        plural(missing.len(), "column", "columns"),
        missing.join(", ")
    );
    if missing.len() == 1 {
        if let Some(n) = closest(&missing[0], r.columns.iter().map(|c| c.name.as_str())) {
            s.push_str(&format!(" (did you mean {n}?)"));
        }
    }
    problems.push(s);
}

/// `owner = "..."`.
pub(super) fn owner(r: &Relation, name: &str, want: &str, problems: &mut Vec<String>) {
    if want != r.owner {
        problems.push(format!("{name}: owner is {}, expected {want}", r.owner));
    }
}

/// `reads = [...]`: the view depends on each.
pub(super) fn reads(
    ctx: &Ctx,
    r: &Relation,
    name: &str,
    reads: &[String],
    problems: &mut Vec<String>,
) {
    let deps: Vec<QualName> = r.view.iter().flat_map(|v| v.depends_on.clone()).collect();
    let missing: Vec<String> = reads
        .iter()
        .filter(|x| !deps.contains(&ctx.qual(x)))
        .cloned()
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{name}: does not read {} (reads: {})",
            missing.join(", "),
            if deps.is_empty() {
                "nothing".to_string()
            } else {
                list(&deps.iter().map(|d| ctx.show(d)).collect::<Vec<_>>(), 10)
            }
        ));
    }
}
