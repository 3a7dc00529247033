//! Check files: the model (one `Spec` variant per kind), the loader (parse, then validate every
//! file, collecting every problem with file:line:col) and evaluation of one check into an
//! `Outcome`. Static kinds read only the catalog `Snapshot`; probe kinds (behaviour, issue 5) get
//! a database client inside a transaction the caller always rolls back. Must not print, choose
//! output formats, or open connections.
//!
//! # How to add a kind
//! 1. Write `src/checks/kinds/<kind>.rs` (a kind that runs SQL as a role and judges the result:
//!    `src/checks/behaviour/<kind>.rs`): a `#[derive(Deserialize)] #[serde(deny_unknown_fields)]`
//!    struct of the kind's keys (the common keys `id`, `description`, `schema` are handled by the
//!    loader, never declared), and `impl StaticCheck` (evaluates against the `Snapshot` only) or
//!    `impl ProbeCheck` (runs SQL on the client it is given, inside a savepoint that is rolled
//!    back). Unit-test it in the same file.
//! 2. Add `pub mod <kind>;` to `kinds/mod.rs` (`behaviour/mod.rs`) and one line to `kinds!` below, under `static` or
//!    `probe`:
//!    `"<kind>" => <Variant>(<kind>::<Struct>),` (a large struct as `Box<<kind>::<Struct>>`).
//! 3. Add its section to docs/checks.md.
//!
//! An object type of `[[exists]]` / `[[absent]]` is one file in `kinds/object/` (see there).
//!
//! The loader, ids, locations, error messages with hints, the report and the exit codes need
//! nothing more.

pub mod behaviour;
pub mod kinds;
pub mod loader;
pub mod names;
pub mod normalize;
pub mod schema;
#[cfg(test)]
pub(crate) mod testkit;
pub mod validator;

use behaviour::{immutable, rejects, scenario, sql};
use kinds::{absent, count, exists, policies, privileges, rls};

use std::fmt;
use std::path::PathBuf;

use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};

use crate::catalog::Snapshot;
pub use crate::findings::{Component, Expectation, Location, Status};

pub use loader::{load_paths, load_str};
pub use names::Ctx;
pub use validator::Validator;

/// A kind that evaluates against the catalog snapshot only (no database access).
pub trait StaticCheck {
    /// Semantic validation after parsing, once, at load time; report problems by key path. A
    /// kind may classify its raw keys here into the typed value evaluation reads
    /// (`[[exists]]`: `kinds::object::ObjectCheck`).
    fn validate(&mut self, _v: &mut Validator) {}
    /// Schemas this check reads, so the snapshot covers them (the default schema is implied).
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        vec![ctx.schema.to_string()]
    }
    /// Whether evaluation compares deparsed expression text (policy USING / WITH CHECK, column
    /// defaults, CHECK definitions): the snapshot then reads them (see `catalog::Scope`).
    fn needs_expressions(&self) -> bool {
        false
    }
    /// Whether those expressions include column defaults or constraint definitions (costly to
    /// read: see `catalog::Scope::table_expressions`); a kind comparing only policy text says no.
    fn needs_table_expressions(&self) -> bool {
        self.needs_expressions()
    }
    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome;
}

/// Every kind is boxed in `kinds!` (`Count(Box<count::Count>)`): a `Check` is then ~130 bytes
/// whatever its kind, instead of the size of the largest kind (a 50 MB file holds ~280,000
/// checks; issue 10, promise 13).
impl<T: StaticCheck + ?Sized> StaticCheck for Box<T> {
    fn validate(&mut self, v: &mut Validator) {
        (**self).validate(v)
    }
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        (**self).schemas(ctx)
    }
    fn needs_expressions(&self) -> bool {
        (**self).needs_expressions()
    }
    fn needs_table_expressions(&self) -> bool {
        (**self).needs_table_expressions()
    }
    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        (**self).evaluate(ctx, snap)
    }
}

/// What a probe kind gets to run with.
pub struct ProbeEnv<'a> {
    /// The one connection, inside the run's transaction and this check's savepoint; everything
    /// it does is rolled back.
    pub client: &'a tokio_postgres::Client,
    /// The catalog snapshot (read before any probe ran).
    pub snapshot: &'a Snapshot,
    /// The run's `statement_timeout`: behaviour steps also keep a client-side deadline derived
    /// from it, so a check that switched the server's timeout off still cannot hang the run.
    pub statement_timeout: std::time::Duration,
    /// Every RLS-enabled table of the database (read once per run): behaviour steps watch the
    /// ones their effective role is not bound by.
    pub rls_tables: &'a [behaviour::state::RlsTable],
}

/// A kind that must run SQL (behaviour checks). `run` executes inside the run's transaction,
/// within a savepoint of its own that the caller rolls back afterwards whatever happens;
/// `statement_timeout` and `lock_timeout` are already set.
#[allow(async_fn_in_trait)]
pub trait ProbeCheck {
    fn validate(&mut self, _v: &mut Validator) {}
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        vec![ctx.schema.to_string()]
    }
    /// Whether the snapshot handed to `run` must hold deparsed expressions.
    fn needs_expressions(&self) -> bool {
        false
    }
    async fn run(&self, ctx: &Ctx<'_>, env: &ProbeEnv<'_>) -> Outcome;
    /// The `as` values, `use` and `at` the loader resolves against the file's personas and
    /// fixtures (`behaviour::given`); kinds without them keep the default.
    fn given_mut(&mut self) -> Option<behaviour::GivenRefs<'_>> {
        None
    }
}

impl<T: ProbeCheck + ?Sized> ProbeCheck for Box<T> {
    fn validate(&mut self, v: &mut Validator) {
        (**self).validate(v)
    }
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        (**self).schemas(ctx)
    }
    fn needs_expressions(&self) -> bool {
        (**self).needs_expressions()
    }
    async fn run(&self, ctx: &Ctx<'_>, env: &ProbeEnv<'_>) -> Outcome {
        (**self).run(ctx, env).await
    }
    fn given_mut(&mut self) -> Option<behaviour::GivenRefs<'_>> {
        (**self).given_mut()
    }
}

/// The result of evaluating one check, as data, before id/location are attached: the report
/// (`report::result_of`) alone turns it into text and table rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub status: Status,
    /// Pass: what was found. Error: why the check could not run. Empty when failing.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Fail: each difference found, in order (never empty when failing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::findings::Problem>,
    /// What the whole outcome is about when the check names it (a named `[[scenario]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `[[count]]`: the count against its expectation (a row of the component table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

impl Outcome {
    fn new(status: Status, note: String, problems: Vec<crate::findings::Problem>) -> Outcome {
        Outcome {
            status,
            note,
            problems,
            subject: None,
            component: None,
        }
    }
    pub fn pass(note: impl Into<String>) -> Outcome {
        Outcome::new(Status::Pass, note.into(), Vec::new())
    }
    /// A failure with one problem about the check as a whole.
    pub fn fail(message: impl Into<String>) -> Outcome {
        Outcome::failing(vec![crate::findings::Problem::new(message)])
    }
    /// A failure with these problems (at least one).
    pub fn failing(problems: Vec<crate::findings::Problem>) -> Outcome {
        debug_assert!(!problems.is_empty(), "a failure names what is wrong");
        Outcome::new(Status::Fail, String::new(), problems)
    }
    /// The check could not run.
    pub fn error(why: impl Into<String>) -> Outcome {
        Outcome::new(Status::Error, why.into(), Vec::new())
    }
    /// Pass with `pass_note` when `problems` is empty, else fail with them.
    pub fn from_problems(
        problems: Vec<crate::findings::Problem>,
        pass_note: impl Into<String>,
    ) -> Outcome {
        if problems.is_empty() {
            Outcome::pass(pass_note)
        } else {
            Outcome::failing(problems)
        }
    }
    pub fn with_component(mut self, c: Component) -> Outcome {
        self.component = Some(c);
        self
    }
    pub fn about(mut self, subject: impl Into<String>) -> Outcome {
        self.subject = Some(subject.into());
        self
    }
    /// The outcome as the report shows it (tests compare it with what users read).
    #[cfg(test)]
    pub fn detail(&self) -> String {
        crate::report::detail_of(self)
    }
}

/// Whether a kind runs against the snapshot or needs the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckPhase {
    Static,
    Probe,
}

macro_rules! kinds {
    (
        static { $( $sname:literal => $svar:ident($sty:ty), )* }
        probe { $( $pname:literal => $pvar:ident($pty:ty), )* }
    ) => {
        /// One check's kind-specific part.
        #[derive(Debug, Clone)]
        pub enum Spec {
            $( $svar($sty), )*
            $( $pvar($pty), )*
        }

        /// Every kind name, as written in check files (`[[count]]`, ...).
        pub const KINDS: &[&str] = &[ $( $sname, )* $( $pname, )* ];

        impl Spec {
            pub fn kind(&self) -> &'static str {
                match self {
                    $( Spec::$svar(_) => $sname, )*
                    $( Spec::$pvar(_) => $pname, )*
                }
            }

            pub fn phase(&self) -> CheckPhase {
                match self {
                    $( Spec::$svar(_) => CheckPhase::Static, )*
                    $( Spec::$pvar(_) => CheckPhase::Probe, )*
                }
            }

            /// Deserialize a check table of kind `kind` (None: no such kind).
            pub(crate) fn deserialize<'a>(
                kind: &str,
                table: toml::Spanned<toml::de::DeTable<'a>>,
            ) -> Option<Result<Spec, toml::de::Error>> {
                match kind {
                    $( $sname => Some(<$sty>::deserialize(table.into_deserializer()).map(Spec::$svar)), )*
                    $( $pname => Some(<$pty>::deserialize(table.into_deserializer()).map(Spec::$pvar)), )*
                    _ => None,
                }
            }

            /// serde's own names (a struct's keys or an enum's words, aliases included) at
            /// `path` in a check table of kind `kind` (`loader::serde_names`).
            pub(crate) fn serde_names(
                kind: &str,
                path: &[loader::PathSeg],
            ) -> Option<&'static [&'static str]> {
                match kind {
                    $( $sname => loader::serde_names::<$sty>(path), )*
                    $( $pname => loader::serde_names::<$pty>(path), )*
                    _ => None,
                }
            }

            pub fn validate(&mut self, v: &mut Validator) {
                match self {
                    $( Spec::$svar(c) => StaticCheck::validate(c, v), )*
                    $( Spec::$pvar(c) => ProbeCheck::validate(c, v), )*
                }
            }

            pub fn schemas(&self, ctx: &Ctx) -> Vec<String> {
                match self {
                    $( Spec::$svar(c) => StaticCheck::schemas(c, ctx), )*
                    $( Spec::$pvar(c) => ProbeCheck::schemas(c, ctx), )*
                }
            }

            /// Whether the snapshot must read deparsed expressions for this check.
            pub fn needs_expressions(&self) -> bool {
                match self {
                    $( Spec::$svar(c) => StaticCheck::needs_expressions(c), )*
                    $( Spec::$pvar(c) => ProbeCheck::needs_expressions(c), )*
                }
            }

            /// Whether those include column defaults or constraint definitions.
            pub fn needs_table_expressions(&self) -> bool {
                match self {
                    $( Spec::$svar(c) => StaticCheck::needs_table_expressions(c), )*
                    $( Spec::$pvar(c) => ProbeCheck::needs_expressions(c), )*
                }
            }

            /// Each kind's table schema (`schema::kind_schema`), in `KINDS` order.
            pub fn kind_schemas(
                g: &mut schemars::SchemaGenerator,
            ) -> Vec<(&'static str, serde_json::Value)> {
                vec![
                    $( ($sname, schema::kind_schema::<$sty>(g)), )*
                    $( ($pname, schema::kind_schema::<$pty>(g)), )*
                ]
            }

            /// Probe kinds: what the loader resolves personas, fixtures and frozen time into.
            #[allow(unreachable_patterns)]
            pub fn given_mut(&mut self) -> Option<behaviour::GivenRefs<'_>> {
                match self {
                    $( Spec::$pvar(c) => ProbeCheck::given_mut(c), )*
                    _ => None,
                }
            }

            /// Static kinds: evaluate against the snapshot. `None` for probe kinds.
            #[allow(unreachable_patterns)]
            pub fn evaluate_static(&self, ctx: &Ctx, snap: &Snapshot) -> Option<Outcome> {
                match self {
                    $( Spec::$svar(c) => Some(c.evaluate(ctx, snap)), )*
                    _ => None,
                }
            }

            /// Probe kinds: run inside the caller's transaction and savepoint. `None` for
            /// static kinds.
            #[allow(unreachable_patterns, unused_variables)]
            pub async fn run_probe(&self, ctx: &Ctx<'_>, env: &ProbeEnv<'_>) -> Option<Outcome> {
                match self {
                    $( Spec::$pvar(c) => Some(c.run(ctx, env).await), )*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    static {
        "count" => Count(Box<count::Count>),
        "exists" => Exists(Box<exists::Exists>),
        "absent" => Absent(Box<absent::Absent>),
        "rls" => Rls(Box<rls::Rls>),
        "policies" => Policies(Box<policies::Policies>),
        "privileges" => Privileges(Box<privileges::Privileges>),
    }
    probe {
        "immutable" => Immutable(Box<immutable::Immutable>),
        "scenario" => Scenario(Box<scenario::Scenario>),
        "rejects" => Rejects(Box<rejects::Rejects>),
        "sql" => Sql(Box<sql::Sql>),
    }
}

/// One loaded, validated check.
#[derive(Debug, Clone)]
pub struct Check {
    /// Unique across the run: as written, or `<file stem>:<kind>-<n>` (n counts that kind's
    /// checks in the file from 1, in file order).
    pub id: String,
    pub description: Option<String>,
    /// Where the check's table starts (`[[kind]]` header or inline table).
    pub location: Location,
    /// Default schema for unqualified names.
    pub schema: String,
    pub spec: Spec,
}

impl Check {
    pub fn kind(&self) -> &'static str {
        self.spec.kind()
    }

    pub fn phase(&self) -> CheckPhase {
        self.spec.phase()
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx::new(&self.schema)
    }

    /// Static checks: evaluate against the snapshot.
    pub fn evaluate_static(&self, snap: &Snapshot) -> Option<Outcome> {
        self.spec.evaluate_static(&self.ctx(), snap)
    }
}

/// The snapshot scope a set of checks needs: their schemas (or `schemas` when given) and
/// expressions only when some check compares expression text.
pub fn scope_for(checks: &[Check], schemas: &[String]) -> crate::catalog::Scope {
    crate::catalog::Scope {
        schemas: if schemas.is_empty() {
            schemas_needed(checks)
        } else {
            schemas.to_vec()
        },
        expressions: checks.iter().any(|c| c.spec.needs_expressions()),
        table_expressions: checks.iter().any(|c| c.spec.needs_table_expressions()),
        definitions: false,
        share_policies_at: crate::catalog::SHARE_POLICIES_AT,
    }
}

/// Schemas a set of checks needs read, in first-mention order (`public` when none).
pub fn schemas_needed(checks: &[Check]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in checks {
        for s in c.spec.schemas(&c.ctx()) {
            if seen.insert(s.clone()) {
                out.push(s);
            }
        }
    }
    if out.is_empty() {
        out.push("public".to_string());
    }
    out
}

/// One problem in a check file (a load problem; what a failing check found is a
/// `findings::Problem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found while loading check files (exit 2). Nothing runs when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadProblem>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} {} in check files; nothing was run",
            crate::words::plural(n, "problem", "problems")
        )?;
        for p in &self.0 {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}
