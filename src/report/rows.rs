//! Outcomes and findings, as the layers that produce them return them (a check's `Outcome`, a
//! pgTAP file's `TapResult`, a diagnose `Diagnosis`), into the rows of a `Report`: ids, kinds,
//! locations and the detail text (`wording`). Must not decide pass or fail, or run anything.

use super::wording::detail_of;
use super::{CheckResult, ReportedProblem, Status};
use crate::checks::kinds::pgtap::TapResult;
use crate::checks::{Check, Outcome};
use crate::lint::Diagnosis;

/// A check's outcome with its id, kind, description and location.
pub fn result_of(check: &Check, o: Outcome, duration_ms: f64) -> CheckResult {
    let mut r = CheckResult::new(&check.id, check.kind(), o.status, detail_of(&o));
    r.description = check.description.clone();
    r.location = Some(check.location.clone());
    r.problems = o.problems.into_iter().map(ReportedProblem::of).collect();
    r.component = o.component;
    r.duration_ms = duration_ms;
    r
}

/// One pgTAP assertion (or file plan) as a row of kind `pgtap`.
pub fn tap_row(t: TapResult) -> CheckResult {
    let mut r = CheckResult::new(
        t.id,
        TapResult::KIND,
        t.outcome.status,
        detail_of(&t.outcome),
    );
    r.problems = t
        .outcome
        .problems
        .into_iter()
        .map(ReportedProblem::of)
        .collect();
    r.description = t.description;
    r.location = Some(t.location);
    r.duration_ms = t.duration_ms;
    r
}

/// A diagnosis as rows: one FAIL row per kept finding (with level, object, fix and place), and
/// one PASS row per rule that kept none, saying what it looked at and how many were excluded.
pub fn diagnosis_rows(d: Diagnosis) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for rr in d.rules {
        let rule = rr.rule;
        if rr.findings.is_empty() {
            let mut detail = match rr.note {
                Some(n) => format!("{n} ({})", rule.what),
                None => format!("none found: {}", rule.what),
            };
            if rr.excluded > 0 {
                detail.push_str(&format!(
                    " ({} excluded by [diagnose] exclude)",
                    rr.excluded
                ));
            }
            let mut r = CheckResult::new(rule.id, rule.id, Status::Pass, detail);
            r.duration_ms = rr.duration_ms;
            out.push(r);
            continue;
        }
        for p in rr.findings {
            let f = p.finding;
            let object = f.key();
            let mut r = CheckResult::finding(p.id, rule.id, rule.level, f.message, rule.why);
            r.object = Some(object);
            r.location = p.location;
            r.hint = Some(f.fix);
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Missing, Problem};

    #[test]
    fn a_failing_checks_problems_reach_json_as_data_and_text() {
        let checks = crate::checks::load_str(
            std::path::Path::new("t.toml"),
            "[[exists]]\ntable = \"t\"\n",
        )
        .unwrap();
        let o = Outcome::failing(vec![
            Problem::missing("nope", Missing::of("table")),
            Problem::says("extension", "pg_cron", "is not installed"),
        ]);
        let r = result_of(&checks[0], o, 0.0);
        assert_eq!(
            r.detail,
            "nope: no such table; extension pg_cron is not installed"
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["problems"],
            serde_json::json!([
                {
                    "object": "nope",
                    "message": { "missing": { "noun": "table" } },
                    "text": "nope: no such table"
                },
                {
                    "object": "pg_cron",
                    "message": { "sentence": { "noun": "extension", "predicate": "is not installed" } },
                    "text": "extension pg_cron is not installed"
                }
            ])
        );
        // A passing check has no problems and no `problems` key.
        let r = result_of(&checks[0], Outcome::pass("table t exists"), 0.0);
        assert!(serde_json::to_value(&r).unwrap().get("problems").is_none());
    }
}
