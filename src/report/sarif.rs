//! SARIF 2.1.0 (GitHub code scanning and other viewers), shared by `lint`, `verify` and
//! `diagnose`: one run whose driver lists the rules, one result per problem, a physical location
//! (file:line:col) where one is known, else the database object as a logical location. Built with
//! the `serde-sarif` types. Pure functions over a writer; must not decide exit codes nor read files.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_sarif::sarif::{
    ArtifactLocation, Location as SarifLocation, LogicalLocation, Message,
    MultiformatMessageString, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultKind, ResultLevel, Run, Sarif, Tool,
    ToolComponent,
};

use super::github::relative_path;
use super::{CheckResult, Level, Report, RuleInfo, Status};

/// The `$schema` deskctl writes (SchemaStore's copy of the OASIS schema, as GitHub documents).
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One problem to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub rule_id: String,
    pub level: Level,
    pub message: String,
    /// `(path relative to the repository root, line, column)`; 0 means unknown.
    pub file: Option<(String, usize, usize)>,
    /// The database object it is about (`schema.name`, `schema.name/part`).
    pub object: Option<String>,
}

/// SARIF's level of ours.
pub fn level(l: Level) -> ResultLevel {
    match l {
        Level::Error => ResultLevel::Error,
        Level::Warn => ResultLevel::Warning,
        Level::Info => ResultLevel::Note,
    }
}

/// Texts shown by SARIF viewers (code-scanning pages, IDEs) keep their line breaks; other control
/// and bidi characters (a hostile name or server message) are shown as escapes, not obeyed.
fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder()
        .text(super::safe::visible_lines(s).into_owned())
        .build()
}

fn descriptor(r: &RuleInfo) -> ReportingDescriptor {
    let mut d = ReportingDescriptor::builder()
        .id(r.id.clone())
        .short_description(text(&r.what))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::Value::String(level(r.level).to_string()))
                .build(),
        )
        .build();
    if !r.why.is_empty() {
        d.full_description = Some(text(&r.why));
    }
    if !r.fix.is_empty() {
        d.help = Some(text(&r.fix));
    }
    d
}

fn result(it: &Item) -> SarifResult {
    let mut loc = SarifLocation::builder().build();
    if let Some((uri, line, col)) = &it.file {
        let mut region = Region::builder().build();
        if *line > 0 {
            region.start_line = Some(*line as i64);
            if *col > 0 {
                region.start_column = Some(*col as i64);
            }
        }
        loc.physical_location = Some(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(uri.clone()).build())
                .region(region)
                .build(),
        );
    }
    if let Some(o) = &it.object {
        loc.logical_locations = Some(vec![LogicalLocation::builder()
            .fully_qualified_name(o.clone())
            .kind("object")
            .build()]);
    }
    let mut r = SarifResult::builder()
        .rule_id(it.rule_id.clone())
        .level(level(it.level))
        .kind(ResultKind::Fail)
        .message(
            Message::builder()
                .text(super::safe::visible_lines(&it.message).into_owned())
                .build(),
        )
        .build();
    if loc.physical_location.is_some() || loc.logical_locations.is_some() {
        r.locations = Some(vec![loc]);
    }
    // A stable identity across runs even when the file moves or no file is known.
    if let Some(o) = &it.object {
        let mut fp = BTreeMap::new();
        fp.insert(
            "deskctlObject/v1".to_string(),
            format!("{}:{o}", it.rule_id),
        );
        r.partial_fingerprints = Some(fp);
    }
    r
}

/// The whole SARIF log: one run of `deskctl` (its `command` in the run's properties).
pub fn document(command: &str, rules: &[RuleInfo], items: &[Item]) -> Sarif {
    let driver = ToolComponent::builder()
        .name("deskctl")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let mut props = BTreeMap::new();
    props.insert("command".to_string(), serde_json::json!(command));
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(items.iter().map(result).collect::<Vec<_>>())
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// Write the log, pretty-printed, with a final newline.
pub fn write(
    command: &str,
    rules: &[RuleInfo],
    items: &[Item],
    w: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &document(command, rules, items))?;
    writeln!(w)
}

/// The rules of a verify run: one per check (its id; what: its description or kind).
fn check_rules(report: &Report) -> Vec<RuleInfo> {
    let mut seen = std::collections::HashSet::new();
    report
        .results
        .iter()
        .filter(|r| seen.insert(r.id.as_str()))
        .map(|r| RuleInfo {
            id: r.id.clone(),
            level: Level::Error,
            what: r
                .description
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| format!("`{}` check {}", r.kind, r.id)),
            why: String::new(),
            fix: String::new(),
        })
        .collect()
}

/// The SARIF item of a failed or broken result: diagnose findings under their rule, verify
/// checks under their own id.
pub fn item(report: &Report, r: &CheckResult) -> Item {
    let diagnose = !report.rules.is_empty() || report.command == "diagnose";
    let mut message = r.detail.clone();
    if let Some(h) = r.hint.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        message.push_str(&format!("\nFix: {h}"));
    }
    Item {
        rule_id: if diagnose {
            r.kind.clone()
        } else {
            r.id.clone()
        },
        level: r.level.unwrap_or(Level::Error),
        message,
        file: r
            .location
            .as_ref()
            .map(|l| (relative_path(&l.file), l.line, l.col)),
        // Something to point at: the object, else (a check without a place) the check itself.
        object: r
            .object
            .clone()
            .or_else(|| r.location.is_none().then(|| r.id.clone())),
    }
}

/// A verify or diagnose report as SARIF: every rule (diagnose) or check (verify) in the
/// driver, a result for each FAIL and ERROR row (passing rows are not results).
pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let rules = if report.rules.is_empty() {
        check_rules(report)
    } else {
        report.rules.clone()
    };
    let items: Vec<Item> = report
        .results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .map(|r| item(report, r))
        .collect();
    write(&report.command, &rules, &items, w)
}

/// The fields SARIF 2.1.0 requires (and GitHub code scanning reads), checked on a log: version,
/// `$schema`, runs[].tool.driver.name / rules (each with an id and a short description),
/// results[].ruleId (declared by the driver) / level / message.text / one location, physical
/// (relative URI, line >= 1) or logical. For tests of every SARIF deskctl writes.
pub fn check_required_fields(v: &serde_json::Value) -> std::result::Result<(), String> {
    let fail = |what: &str, at: &serde_json::Value| Err(format!("{what}: {at}"));
    if v["version"] != "2.1.0" {
        return fail("version is not 2.1.0", &v["version"]);
    }
    if !v["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("sarif-2.1.0"))
    {
        return fail("$schema", &v["$schema"]);
    }
    let Some(runs) = v["runs"].as_array().filter(|r| !r.is_empty()) else {
        return fail("no runs", v);
    };
    for run in runs {
        let driver = &run["tool"]["driver"];
        if driver["name"].as_str().is_none_or(str::is_empty) {
            return fail("tool.driver.name", driver);
        }
        let Some(rules) = driver["rules"].as_array() else {
            return fail("tool.driver.rules", driver);
        };
        let mut ids = std::collections::HashSet::new();
        for r in rules {
            let Some(id) = r["id"].as_str() else {
                return fail("rule without id", r);
            };
            if !ids.insert(id) {
                return fail("duplicate rule id", r);
            }
            if !r["shortDescription"]["text"].is_string() {
                return fail("rule without shortDescription.text", r);
            }
        }
        let Some(results) = run["results"].as_array() else {
            return fail("results", run);
        };
        for res in results {
            if !res["ruleId"].as_str().is_some_and(|id| ids.contains(id)) {
                return fail("ruleId not declared by the driver", res);
            }
            if !matches!(res["level"].as_str(), Some("error" | "warning" | "note")) {
                return fail("level", res);
            }
            if res["message"]["text"].as_str().is_none_or(str::is_empty) {
                return fail("message.text", res);
            }
            let Some([l]) = res["locations"].as_array().map(Vec::as_slice) else {
                return fail("not exactly one location", res);
            };
            if let Some(p) = l.get("physicalLocation") {
                let uri = p["artifactLocation"]["uri"].as_str().unwrap_or("");
                if uri.is_empty() || uri.starts_with('/') || uri.contains('\\') {
                    return fail("artifactLocation.uri is not a relative URI", p);
                }
                if p["region"]
                    .get("startLine")
                    .is_some_and(|n| n.as_u64().is_none_or(|n| n < 1))
                {
                    return fail("region.startLine", p);
                }
            } else if !l["logicalLocations"][0]["fullyQualifiedName"].is_string() {
                return fail("neither a physical nor a logical location", l);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Location;

    fn render_json(rep: &Report) -> serde_json::Value {
        let mut v = Vec::new();
        render(rep, &mut v).unwrap();
        serde_json::from_slice(&v).unwrap()
    }

    #[test]
    fn verify_report_has_a_rule_per_check_and_a_result_per_failure() {
        let mut rep = Report::new("verify", "x");
        rep.results
            .push(CheckResult::new("ok", "rls", Status::Pass, "fine"));
        let mut bad = CheckResult::new("pol", "policies", Status::Fail, "missing \"a,b\nc\"");
        bad.location = Some(Location {
            file: "checks/a.toml".into(),
            line: 12,
            col: 3,
        });
        rep.results.push(bad);
        let v = render_json(&rep);
        check_required_fields(&v).unwrap();
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 2);
        let res = run["results"].as_array().unwrap();
        assert_eq!(res.len(), 1);
        assert_eq!(res[0]["ruleId"], "pol");
        assert_eq!(res[0]["message"]["text"], "missing \"a,b\nc\"");
        // Controls and bidi overrides in a message are shown, not obeyed; line breaks stay.
        let mut rep2 = Report::new("verify", "x");
        rep2.results.push(CheckResult::new(
            "evil",
            "sql",
            Status::Fail,
            "got \u{1b}[2J\u{202e}x\nnext",
        ));
        let v2 = render_json(&rep2);
        assert_eq!(
            v2["runs"][0]["results"][0]["message"]["text"],
            "got \\x1b[2J\\u{202e}x\nnext"
        );
        let p = &res[0]["locations"][0]["physicalLocation"];
        assert_eq!(p["artifactLocation"]["uri"], "checks/a.toml");
        assert_eq!(p["region"]["startLine"], 12);
        assert_eq!(p["region"]["startColumn"], 3);
    }

    #[test]
    fn diagnose_findings_carry_rule_level_and_logical_location() {
        let mut rep = Report::new("diagnose", "x");
        rep.rules = vec![RuleInfo {
            id: "no-primary-key".into(),
            level: Level::Warn,
            what: "a table without a primary key".into(),
            why: "replication".into(),
            fix: "add one".into(),
        }];
        let mut f = CheckResult::new(
            "no-primary-key:public.t",
            "no-primary-key",
            Status::Fail,
            "table public.t has no primary key",
        );
        f.level = Some(Level::Warn);
        f.hint = Some("ALTER TABLE ...".into());
        f.object = Some("public.t".into());
        rep.results.push(f);
        let v = render_json(&rep);
        check_required_fields(&v).unwrap();
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["ruleId"], "no-primary-key");
        assert_eq!(r["level"], "warning");
        assert_eq!(
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "public.t"
        );
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("Fix: ALTER TABLE ..."));
        let rule = &v["runs"][0]["tool"]["driver"]["rules"][0];
        assert_eq!(rule["defaultConfiguration"]["level"], "warning");
        assert_eq!(rule["help"]["text"], "add one");
    }
}
