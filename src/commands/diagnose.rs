//! `deskctl diagnose`: open the target through the shared path (migrating only an ephemeral
//! cluster), read ONE catalog snapshot, run the built-in rules (`crate::lint`), place findings at
//! the migration statement that created their object, report and exit (1 when a finding is at or
//! above `--fail-on`). Read-only; must not hold rule logic.

use std::process::ExitCode;
use std::time::Instant;

use super::{read_target, report_and_exit, Open};
use crate::catalog;
use crate::config::{DiagnoseOptions, RunConfig};
use crate::lint::{self, origin, rules, RuleCtx};
use crate::report::Report;

pub async fn run(cfg: &RunConfig, o: DiagnoseOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    lint::validate_exclusions(&o.exclusions)?;
    let extra: Vec<String> = lint::EXTRA_SCHEMAS
        .iter()
        .filter(|s| !o.schemas.iter().any(|x| x == *s))
        .map(|s| s.to_string())
        .collect();
    let mut read = o.schemas.clone();
    read.extend(extra.iter().cloned());
    let target = Open::new("diagnose", &o.migrations, &o.history);
    let got = read_target(cfg, &target, &lint::diagnose_scope(read), &o.schemas).await?;
    let snap = &got.snap;

    let t = Instant::now();
    let mut cx = RuleCtx::new(snap, &o.exposed_schemas).skipping_history(&o.history);
    cx.extra = extra;
    // The migration files are read and parsed only when there is a finding to place.
    let origins = std::cell::OnceCell::new();
    let d = lint::diagnose_placed(&cx, &o.exclusions, |f| {
        origins
            .get_or_init(|| origin::Origins::of_dir(&o.migrations))
            .find(f, snap)
    });
    let mut report = Report::new("diagnose", &got.display);
    let (worst, excluded) = (d.worst, d.excluded);
    report.results = crate::report::diagnosis_rows(d);
    report.rules = lint::rule_infos();
    report.list_all = cfg.verbose > 0;
    report.duration_ms = ms(started.elapsed());
    if cfg.verbose > 0 {
        eprintln!(
            "diagnose: {} rules over {} relations and {} functions in {}; snapshot {:.1} ms \
({} queries on {} connection(s)), rules {:.1} ms, {} finding(s) excluded, total {:.1} ms",
            rules::RULES.len(),
            snap.relations.len(),
            snap.functions.len(),
            o.schemas.join(", "),
            got.read_ms,
            catalog::QUERY_COUNT,
            snap.connections,
            ms(t.elapsed()),
            excluded,
            report.duration_ms
        );
    }
    let fails = worst.is_some_and(|w| w >= super::output::threshold(o.fail_on));
    report_and_exit(cfg, &mut report, o.format, o.output.as_deref(), fails)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
