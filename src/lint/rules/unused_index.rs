//! `unused-index` (info): an index that no query has used since the statistics were reset
//! (splinter 0005); unique and primary-key indexes are left alone (they enforce something). While
//! the statistics cover less than a week it judges nothing and says so (`note`).

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "unused-index",
    level: Level::Info,
    what: "a non-unique index with no index scans since the statistics were last reset",
    why: "An index costs space and work on every write; one no query uses is pure cost. The statistics must cover a representative period (weekly and monthly jobs included) before it is dropped",
    fix: "DROP INDEX CONCURRENTLY ... once the statistics cover a representative period",
    check,
};

/// Statistics younger than this cannot say an index is unused.
const FRESH_S: f64 = 7.0 * 86400.0;

fn age(s: f64) -> String {
    match s {
        s if s < 120.0 => format!("{} seconds", s.round() as i64),
        s if s < 7200.0 => format!("{} minutes", (s / 60.0).round() as i64),
        s if s < 172800.0 => format!("{} hours", (s / 3600.0).round() as i64),
        s => format!("{} days", (s / 86400.0).round() as i64),
    }
}

/// Indexes with no scans: (table, index), unique and primary ones left out.
fn unscanned<'a>(cx: &'a RuleCtx) -> Vec<(&'a Relation, &'a crate::catalog::Index)> {
    cx.relations()
        .filter(|t| (t.kind.is_table() || t.kind == RelKind::MaterializedView) && !t.from_extension)
        .flat_map(|t| t.indexes.iter().map(move |ix| (t, ix)))
        .filter(|(_, ix)| !ix.unique && !ix.primary && ix.scans == Some(0))
        .collect()
}

fn since(cx: &RuleCtx) -> &'static str {
    if cx.snap.stats_reset_age_s.is_some() {
        "the statistics were reset"
    } else {
        "the server started"
    }
}

/// While the statistics are too fresh no index is judged; the rule's row says so instead.
pub fn note(cx: &RuleCtx) -> Option<String> {
    let window = cx.stats_window_s();
    if window >= FRESH_S {
        return None;
    }
    let n = unscanned(cx).len();
    Some(format!(
        "not judged: the statistics are too fresh ({} since {}); {n} index{} without scans so far. Run diagnose again after a representative period of traffic",
        age(window),
        since(cx),
        if n == 1 { "" } else { "es" }
    ))
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let window = cx.stats_window_s();
    if window < FRESH_S {
        return Vec::new();
    }
    unscanned(cx)
        .into_iter()
        .map(|(t, ix)| {
            Finding::new(
                t.qual(),
                format!(
                    "index {} on {} has not been used since {} ({} ago)",
                    ix.name,
                    cx.show(&t.qual()),
                    since(cx),
                    age(window)
                ),
                format!(
                    "DROP INDEX CONCURRENTLY {};",
                    qident(&QualName::new(&t.schema, &ix.name))
                ),
            )
            .part(ix.name.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    fn with_scans(scans: Option<i64>, reset_age: Option<f64>) -> Vec<Finding> {
        let mut t = protected_table("notes");
        for ix in &mut t.indexes {
            ix.scans = scans;
        }
        let mut s = snap(vec![t], vec![]);
        s.stats_reset_age_s = reset_age;
        s.uptime_s = 60.0;
        let s = s.finish();
        (RULE.check)(&RuleCtx::new(&s, &["public".to_string()]))
    }

    #[test]
    fn triggers_on_a_never_scanned_index_and_says_when_too_fresh() {
        let f = with_scans(Some(0), Some(30.0 * 86400.0));
        assert_eq!(keys(&f), ["public.notes/notes_user_id_idx"]);
        assert!(
            f[0].message
                .contains("since the statistics were reset (30 days ago)"),
            "{}",
            f[0].message
        );
        assert_eq!(
            f[0].fix,
            "DROP INDEX CONCURRENTLY public.notes_user_id_idx;"
        );
        // Fresh statistics: no finding, a note instead.
        assert!(with_scans(Some(0), None).is_empty());
        let mut t = protected_table("notes");
        t.indexes[1].scans = Some(0);
        let mut s = snap(vec![t], vec![]);
        s.uptime_s = 60.0;
        let s = s.finish();
        let n = note(&RuleCtx::new(&s, &["public".to_string()])).unwrap();
        assert!(
            n.contains("too fresh (60 seconds since the server started); 1 index without scans"),
            "{n}"
        );
    }

    #[test]
    fn does_not_trigger_on_used_unknown_or_unique_indexes() {
        assert!(with_scans(Some(3), Some(30.0 * 86400.0)).is_empty());
        assert!(with_scans(None, Some(30.0 * 86400.0)).is_empty());
    }
}
