//! pgTAP test files (`.sql`, e.g. a Supabase project's `supabase/tests`) run natively by
//! `verify`: every file's statements, split by PostgreSQL's parser (`sqltext`), run inside
//! verify's transaction that is always rolled back (a savepoint per file, rolled back after it),
//! and every TAP line pgTAP prints (`ok N - desc`, `not ok N - desc` with its `#` diagnostics)
//! becomes a row of the same Report as the TOML checks. A file's own leading BEGIN and trailing
//! ROLLBACK are its wrapper and are not sent; any other statement that could end or escape the
//! transaction (COMMIT, a ROLLBACK elsewhere, PREPARE TRANSACTION, VACUUM...) is refused before
//! anything of the file is sent. Must never commit, and must not evaluate TOML checks.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio_postgres::{Client, SimpleQueryMessage};

use crate::checks::Outcome;
use crate::findings::{Location, Problem};
use crate::sqltext::{self, Kind, TxControl};
use crate::verify::ProbeSettings;

const KIND: &str = "pgtap";
const SAVEPOINT: &str = "deskctl_pgtap";

/// The `.sql` files among verify's paths (directories searched recursively, sorted), and the
/// paths left for the TOML loader (a directory with `.toml` files in it, or anything not `.sql`).
/// A directory whose walk met a link loop or a `.sql`/`.toml` FIFO, device or socket goes to the
/// loader too, which reports it (exit 2) before anything runs.
pub fn partition(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut sql = Vec::new();
    let mut rest = Vec::new();
    for p in paths {
        if p.is_dir() {
            let w = crate::inputs::walk(p, &|f| {
                f.extension().is_some_and(|e| e == "sql" || e == "toml")
            });
            let (found, toml): (Vec<PathBuf>, Vec<PathBuf>) = w
                .files
                .into_iter()
                .partition(|f| f.extension().is_some_and(|e| e == "sql"));
            if found.is_empty() || !toml.is_empty() || !w.problems.is_empty() {
                rest.push(p.clone());
            }
            sql.extend(found);
        } else if p.extension().is_some_and(|e| e == "sql") {
            sql.push(p.clone());
        } else {
            rest.push(p.clone());
        }
    }
    (sql, rest)
}

/// One statement to send, with its 1-based line.
#[derive(Debug, Clone, PartialEq)]
pub struct PgtapStatement {
    pub text: String,
    pub line: usize,
}

/// A test file ready to run, or why it cannot run (line, message).
pub fn plan_file(body: &str) -> Result<Vec<PgtapStatement>, (usize, String)> {
    let statements = sqltext::parse(body).map_err(|e| {
        let line = e.at.map_or(1, |at| sqltext::line_col(body, at).0);
        (line, format!("syntax error: {}", e.message))
    })?;
    let last = statements.len().saturating_sub(1);
    let mut steps = Vec::with_capacity(statements.len());
    let lines = sqltext::LineIndex::new(body);
    for (i, st) in statements.iter().enumerate() {
        let line = lines.line_col(st.start).0;
        let refuse = match st.kind() {
            // The file's own wrapper: `begin;` first, `rollback;` last. verify's savepoint
            // takes its place.
            Kind::TransactionControl(TxControl::Begin | TxControl::StartTransaction) if i == 0 => {
                continue
            }
            Kind::TransactionControl(TxControl::Rollback) if i == last => continue,
            Kind::TransactionControl(
                TxControl::Savepoint | TxControl::Release | TxControl::RollbackTo,
            ) => None,
            k @ (Kind::TransactionControl(_) | Kind::NoTransaction(_) | Kind::Session(_)) => {
                Some(k.describe().unwrap_or_default())
            }
            _ => None,
        };
        if let Some(what) = refuse {
            return Err((
                line,
                format!(
                    "{what} is refused: verify runs pgTAP files inside a transaction it always rolls back \
(a file may start with BEGIN and end with ROLLBACK; nothing else may end the transaction)"
                ),
            ));
        }
        steps.push(PgtapStatement {
            text: st.text(body).to_string(),
            line,
        });
    }
    Ok(steps)
}

/// One TAP test line and the diagnostics after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub number: usize,
    pub ok: bool,
    pub description: String,
    /// `# TODO` / `# SKIP` directive text, when present.
    pub directive: Option<String>,
    pub diagnostics: Vec<String>,
}

/// What the TAP output of one file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tap {
    pub planned: Option<usize>,
    pub assertions: Vec<Assertion>,
}

impl Tap {
    /// Feed one value pgTAP returned (it may hold several lines). `line` is where in the file
    /// the statement that printed it starts (not used for parsing).
    pub fn feed(&mut self, text: &str) {
        for l in text.lines() {
            self.feed_line(l);
        }
    }

    fn feed_line(&mut self, l: &str) {
        if let Some(n) = l.strip_prefix("1..") {
            self.planned = n.split_whitespace().next().and_then(|n| n.parse().ok());
            return;
        }
        let (ok, rest) = if let Some(r) = l.strip_prefix("not ok") {
            (false, r)
        } else if let Some(r) = l.strip_prefix("ok") {
            (true, r)
        } else {
            if let Some(d) = l.strip_prefix('#') {
                let d = d.trim();
                // finish()'s summary repeats what the rows say.
                if !d.starts_with("Looks like you") {
                    if let Some(a) = self.assertions.last_mut() {
                        a.diagnostics.push(d.to_string());
                    }
                }
            }
            return;
        };
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return;
        }
        let rest = rest.trim_start();
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let number = digits.parse().unwrap_or(self.assertions.len() + 1);
        let rest = rest[digits.len()..].trim_start();
        let rest = rest.strip_prefix('-').unwrap_or(rest).trim();
        let (description, directive) = match rest.split_once(" # ") {
            Some((d, dir)) => (d.trim().to_string(), Some(dir.trim().to_string())),
            None => match rest.strip_prefix("# ") {
                Some(dir) => (String::new(), Some(dir.trim().to_string())),
                None => (rest.to_string(), None),
            },
        };
        self.assertions.push(Assertion {
            number,
            ok,
            description,
            directive,
            diagnostics: Vec::new(),
        });
    }
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// One result of a pgTAP file, as data: an assertion (`file.sql #3`) or the file's plan
/// (`file.sql plan`: not kept, no output, could not run). `report::rows` makes it a row.
#[derive(Debug, Clone, PartialEq)]
pub struct TapResult {
    pub id: String,
    /// The assertion's description, when it has one.
    pub description: Option<String>,
    pub location: Location,
    pub outcome: Outcome,
    pub duration_ms: f64,
}

impl TapResult {
    /// The check kind these results are reported under.
    pub const KIND: &'static str = KIND;
}

fn row(path: &Path, line: usize, id: String, outcome: Outcome) -> TapResult {
    TapResult {
        id,
        description: None,
        location: Location {
            file: path.to_path_buf(),
            line,
            col: 1,
        },
        outcome,
        duration_ms: 0.0,
    }
}

/// The rows of one file's TAP output.
fn rows_of(path: &Path, tap: &Tap, lines: &[usize], took_ms: f64) -> Vec<TapResult> {
    let label = file_label(path);
    let mut out = Vec::new();
    for (i, a) in tap.assertions.iter().enumerate() {
        let todo_or_skip = a.directive.as_deref().is_some_and(|d| {
            let d = d.to_ascii_uppercase();
            d.starts_with("TODO") || d.starts_with("SKIP")
        });
        let mut what = if a.description.is_empty() {
            format!("test {}", a.number)
        } else {
            a.description.clone()
        };
        if let Some(d) = &a.directive {
            what.push_str(&format!(" # {d}"));
        }
        // The test, then (when it did not pass) each of pgTAP's diagnostics (have / want...).
        let mut said = vec![what];
        if !a.ok {
            said.extend(
                a.diagnostics
                    .iter()
                    .filter(|d| !d.starts_with("Failed test"))
                    .cloned(),
            );
        }
        let outcome = if a.ok || todo_or_skip {
            Outcome::pass(said.join("; "))
        } else {
            Outcome::failing(said.into_iter().map(Problem::new).collect())
        };
        let mut r = row(
            path,
            lines.get(i).copied().unwrap_or(1),
            format!("{label} #{}", a.number),
            outcome,
        );
        r.description = (!a.description.is_empty()).then(|| a.description.clone());
        r.duration_ms = took_ms / tap.assertions.len().max(1) as f64;
        out.push(r);
    }
    if let Some(planned) = tap.planned {
        if planned != tap.assertions.len() {
            out.push(row(
                path,
                1,
                format!("{label} plan"),
                Outcome::fail(format!(
                    "planned {planned} test(s) but ran {}",
                    tap.assertions.len()
                )),
            ));
        }
    } else if tap.assertions.is_empty() {
        out.push(row(
            path,
            1,
            format!("{label} plan"),
            Outcome::error(
                "no TAP output: the file ran no pgTAP assertion (select plan(n); ... select * from finish();)",
            ),
        ));
    }
    out
}

/// Run every pgTAP file inside ONE transaction that is always rolled back, a savepoint per
/// file. pgTAP is installed into `extensions` inside that transaction when the database lacks
/// it (and so never stays); a server without pgTAP is one error row per file.
pub async fn run(client: &Client, files: &[PathBuf], settings: &ProbeSettings) -> Vec<TapResult> {
    let mut out = Vec::new();
    if files.is_empty() {
        return out;
    }
    // Read and plan every file before anything is sent.
    let mut planned = Vec::new();
    for f in files {
        match crate::inputs::read_to_string(f) {
            Err(e) => out.push(row(
                f,
                1,
                format!("{} plan", file_label(f)),
                Outcome::error(format!("cannot read it: {e}")),
            )),
            Ok(text) => {
                let body = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
                match plan_file(&body) {
                    Ok(steps) => planned.push((f.clone(), steps)),
                    Err((line, why)) => out.push(row(
                        f,
                        line,
                        format!("{} plan", file_label(f)),
                        Outcome::error(why),
                    )),
                }
            }
        }
    }
    if planned.is_empty() {
        return out;
    }
    let begin = format!(
        "begin; set local statement_timeout = {}; set local lock_timeout = {}",
        settings.statement_timeout.as_millis(),
        settings.lock_timeout.as_millis()
    );
    let ready = match client.batch_execute(&begin).await {
        Err(e) => Err(format!(
            "could not start the rollback-only transaction: {e}"
        )),
        Ok(()) => prepare_pgtap(client).await,
    };
    if let Err(why) = ready {
        let _ = client.batch_execute("rollback").await;
        for (f, _) in &planned {
            out.push(row(
                f,
                1,
                format!("{} plan", file_label(f)),
                Outcome::error(why.clone()),
            ));
        }
        return out;
    }
    for (f, steps) in &planned {
        out.extend(run_file(client, f, steps).await);
    }
    // Always roll back: verify never changes data.
    let _ = client.batch_execute("rollback").await;
    out
}

/// pgTAP present (installed here if needed, inside the transaction) and its schema searchable.
async fn prepare_pgtap(client: &Client) -> Result<(), String> {
    let row = client
        .query_one(
            "select (select n.nspname::text from pg_catalog.pg_extension e
                       join pg_catalog.pg_namespace n on n.oid = e.extnamespace
                      where e.extname = 'pgtap') as installed_in,
                    exists (select 1 from pg_catalog.pg_available_extensions where name = 'pgtap')
                      as available,
                    (pg_catalog.current_setting('server_version_num')::int / 10000)::int4 as major",
            &[],
        )
        .await
        .map_err(|e| format!("could not look up pgTAP: {e}"))?;
    let schema: Option<String> = row.get("installed_in");
    let available: bool = row.get("available");
    let major: i32 = row.get("major");
    let schema = match schema {
        Some(s) => s,
        None if !available => {
            return Err(crate::db::supabase::missing_extension(
                "pgtap",
                major.max(0) as u32,
            ))
        }
        None => {
            client
                .batch_execute(
                    "savepoint deskctl_pgtap_install;
                     create schema if not exists extensions;
                     create extension pgtap with schema extensions;
                     release savepoint deskctl_pgtap_install",
                )
                .await
                .map_err(|e| {
                    format!(
                        "pgTAP is not installed in this database and this role cannot install it: {}",
                        crate::migrate::error::pg_text(&e)
                    )
                })?;
            "extensions".to_string()
        }
    };
    // Make pgTAP's functions callable unqualified, for this transaction only.
    client
        .query(
            "select pg_catalog.set_config('search_path',
                    pg_catalog.current_setting('search_path') || ', ' || pg_catalog.quote_ident($1::text), true)
              where not ($1::text = any (pg_catalog.current_schemas(false)))",
            &[&schema],
        )
        .await
        .map_err(|e| format!("could not put {schema} on the search path: {e}"))?;
    Ok(())
}

async fn run_file(client: &Client, path: &Path, steps: &[PgtapStatement]) -> Vec<TapResult> {
    let t0 = Instant::now();
    let label = file_label(path);
    if let Err(e) = client
        .batch_execute(&format!("savepoint {SAVEPOINT}"))
        .await
    {
        return vec![row(
            path,
            1,
            format!("{label} plan"),
            Outcome::error(format!("could not set a savepoint: {e}")),
        )];
    }
    let mut tap = Tap::default();
    let mut lines = Vec::new();
    let mut error = None;
    for st in steps {
        match client.simple_query(&st.text).await {
            Ok(msgs) => {
                for m in msgs {
                    if let SimpleQueryMessage::Row(r) = m {
                        let before = tap.assertions.len();
                        tap.feed(r.get(0).unwrap_or_default());
                        lines.extend(std::iter::repeat_n(st.line, tap.assertions.len() - before));
                    }
                }
            }
            Err(e) => {
                error = Some(row(
                    path,
                    st.line,
                    format!("{label} line {}", st.line),
                    Outcome::error(format!(
                        "{} (statement: {})",
                        crate::migrate::error::pg_text(&e).replace('\n', "; "),
                        st.text.lines().next().unwrap_or_default()
                    )),
                ));
                break;
            }
        }
    }
    let _ = client
        .batch_execute(&format!("rollback to savepoint {SAVEPOINT}"))
        .await;
    let took = t0.elapsed().as_secs_f64() * 1000.0;
    let mut out = if error.is_some() && tap.assertions.is_empty() {
        Vec::new()
    } else {
        let mut t = tap.clone();
        if error.is_some() {
            t.planned = None; // the error row says why the rest did not run
        }
        rows_of(path, &t, &lines, took)
    };
    out.extend(error);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Status;

    #[test]
    fn tap_lines_become_assertions_with_diagnostics() {
        let mut t = Tap::default();
        t.feed("1..4");
        t.feed("ok 1 - rls is on");
        t.feed("not ok 2 - anon sees nothing\n# Failed test 2: \"anon sees nothing\"\n#         have: 1\n#         want: 0");
        t.feed("ok 3 - later # TODO not yet");
        t.feed("not ok 4 # SKIP no pg_net");
        t.feed("# Looks like you failed 1 test of 4");
        assert_eq!(t.planned, Some(4));
        assert_eq!(t.assertions.len(), 4);
        assert!(t.assertions[0].ok);
        assert_eq!(t.assertions[1].description, "anon sees nothing");
        assert_eq!(t.assertions[1].diagnostics.len(), 3);
        assert_eq!(t.assertions[2].directive.as_deref(), Some("TODO not yet"));
        let rows = rows_of(Path::new("t/rls.sql"), &t, &[3, 4, 5, 6], 4.0);
        let st: Vec<Status> = rows.iter().map(|r| r.outcome.status).collect();
        assert_eq!(
            st,
            vec![Status::Pass, Status::Fail, Status::Pass, Status::Pass]
        );
        assert_eq!(rows[1].id, "rls.sql #2");
        let detail = rows[1].outcome.detail();
        assert!(detail.contains("have: 1"), "{detail}");
        assert_eq!(
            rows[1].outcome.problems[0],
            Problem::new("anon sees nothing"),
            "the test first, then its diagnostics"
        );
        assert_eq!(rows[3].outcome.detail(), "test 4 # SKIP no pg_net");
        assert_eq!(rows[1].location.line, 4);
    }

    #[test]
    fn a_plan_not_kept_is_a_failure_and_no_output_an_error() {
        let mut t = Tap::default();
        t.feed("1..3\nok 1 - a");
        let rows = rows_of(Path::new("a.sql"), &t, &[1], 1.0);
        assert_eq!(rows.last().unwrap().outcome.status, Status::Fail);
        assert_eq!(
            rows.last().unwrap().outcome.detail(),
            "planned 3 test(s) but ran 1"
        );
        let rows = rows_of(Path::new("a.sql"), &Tap::default(), &[], 1.0);
        assert_eq!(rows[0].outcome.status, Status::Error);
    }

    #[test]
    fn the_files_own_wrapper_is_dropped_and_commit_refused() {
        let steps = plan_file(
            "begin;\nselect plan(1);\nselect ok(true);\nselect * from finish();\nrollback;\n",
        )
        .unwrap();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].line, 2);
        let (line, why) = plan_file("begin;\nselect plan(1);\ncommit;\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(why.contains("COMMIT"), "{why}");
        let (line, _) = plan_file("select 1;\nrollback;\nselect 2;\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(plan_file("select 1;\nvacuum;\n").is_err());
        assert!(plan_file("savepoint a;\nrollback to savepoint a;\nrelease a;\n").is_ok());
        let (line, why) = plan_file("select 1;\nselect (;\n").unwrap_err();
        assert_eq!(line, 2, "{why}");
    }

    #[test]
    fn sql_files_and_directories_are_told_apart_from_check_files() {
        let d = tempfile::tempdir().unwrap();
        let tests = d.path().join("tests");
        std::fs::create_dir_all(tests.join("sub")).unwrap();
        std::fs::write(tests.join("b.sql"), "").unwrap();
        std::fs::write(tests.join("sub/a.sql"), "").unwrap();
        let checks = d.path().join("checks");
        std::fs::create_dir_all(&checks).unwrap();
        std::fs::write(checks.join("c.toml"), "").unwrap();
        let (sql, rest) = partition(&[tests.clone(), checks.clone(), d.path().join("x.sql")]);
        assert_eq!(
            sql,
            vec![
                tests.join("b.sql"),
                tests.join("sub/a.sql"),
                d.path().join("x.sql")
            ]
        );
        assert_eq!(rest, vec![checks]);
    }
}
