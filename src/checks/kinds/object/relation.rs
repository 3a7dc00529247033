//! What the relation types (table, view, materialized view, sequence) share: finding the
//! relation of the accepted kind, `[[absent]]` of one, and the properties more than one of them
//! has (`columns`, `owner`, `reads`). Not an object type itself; must not hold one type's rules.

use crate::catalog::{QualName, RelKind, Relation, Snapshot};
use crate::checks::names::{missing_relation, wrong_kind, Ctx};
use crate::findings::{Message, Near, Problem};
use crate::words::{closest, list};

/// `[[exists]]` of the relation `name` of a kind `accept` takes (`noun` as details say it):
/// when found, `props` pushes how it differs (given the relation and its display name). Returns
/// the name to show.
pub(super) fn exists(
    ctx: &Ctx,
    snap: &Snapshot,
    name: &str,
    noun: &str,
    accept: &dyn Fn(RelKind) -> bool,
    problems: &mut Vec<Problem>,
    props: impl FnOnce(&Relation, &str, &mut Vec<Problem>),
) -> String {
    let q = ctx.qual(name);
    let Some(r) = snap.relation(&q) else {
        problems.push(missing_relation(ctx, snap, &q, noun, accept));
        return ctx.show(&q);
    };
    if !accept(r.kind) {
        problems.push(wrong_kind(ctx, &q, r, noun));
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
) -> Option<Problem> {
    snap.relation(&ctx.qual(name))
        .filter(|r| accept(r.kind))
        .map(|r| Problem::says(noun, ctx.show_rel(r), "exists"))
}

/// `columns = [...]`: every one is there.
pub(super) fn columns(r: &Relation, name: &str, cols: &[String], problems: &mut Vec<Problem>) {
    let missing: Vec<String> = cols
        .iter()
        .filter(|c| r.column(c).is_none())
        .cloned()
        .collect();
    if missing.is_empty() {
        return;
    }
    let near = match missing.as_slice() {
        [one] => Near::one(closest(one, r.columns.iter().map(|c| c.name.as_str()))),
        _ => Vec::new(),
    };
    problems.push(Problem::about(
        name,
        Message::MissingColumns {
            columns: missing,
            near,
        },
    ));
}

/// `owner = "..."`.
pub(super) fn owner(r: &Relation, name: &str, want: &str, problems: &mut Vec<Problem>) {
    if want != r.owner {
        problems.push(Problem::on(
            name,
            format!("owner is {}, expected {want}", r.owner),
        ));
    }
}

/// `reads = [...]`: the view depends on each.
pub(super) fn reads(
    ctx: &Ctx,
    r: &Relation,
    name: &str,
    reads: &[String],
    problems: &mut Vec<Problem>,
) {
    let deps: Vec<QualName> = r.view.iter().flat_map(|v| v.depends_on.clone()).collect();
    let missing: Vec<String> = reads
        .iter()
        .filter(|x| !deps.contains(&ctx.qual(x)))
        .cloned()
        .collect();
    if !missing.is_empty() {
        problems.push(Problem::on(
            name,
            format!(
                "does not read {} (reads: {})",
                missing.join(", "),
                if deps.is_empty() {
                    "nothing".to_string()
                } else {
                    list(&deps.iter().map(|d| ctx.show(d)).collect::<Vec<_>>(), 10)
                }
            ),
        ));
    }
}
