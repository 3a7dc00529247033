//! `deskctl init [DIR]`: set a project up for deskctl. Detects the layout (Supabase's
//! `supabase/migrations` or plain `migrations/`), migrates it on a throwaway cluster, and writes
//! `deskctl.toml`, `checks/schema.toml` (a snapshot of the migrated schema, as `deskctl
//! snapshot` writes it) and `checks/behaviour.toml` (one example scenario derived from the access
//! matrix, so it passes as written), then prints the next command. Refuses to overwrite anything,
//! and checks that before starting a cluster. Touches no database but its own throwaway one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::access::{self, Access, StatementKind};
use crate::catalog::Scope;
use crate::cli::InitArgs;
use crate::config::{ConfigError, DbTarget, HistoryTable, Preset, RunConfig};
use crate::lint::RuleCtx;
use crate::snapshot::{self, toml_str};

/// The project layout `init` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectLayout {
    Plain,
    Supabase,
}

#[derive(Debug, Clone)]
pub struct InitOptions {
    pub root: PathBuf,
    pub layout: ProjectLayout,
    /// Relative to `root`.
    pub migrations: PathBuf,
    pub preset: Option<Preset>,
    pub history: HistoryTable,
}

impl InitOptions {
    pub fn resolve(cfg: &RunConfig, a: &InitArgs) -> Result<InitOptions, ConfigError> {
        let root = a.dir.clone().unwrap_or_else(|| PathBuf::from("."));
        if !root.is_dir() {
            return Err(ConfigError::Usage(format!(
                "init: {} is not a directory",
                root.display()
            )));
        }
        let layout = if a.supabase || root.join("supabase/migrations").is_dir() {
            ProjectLayout::Supabase
        } else {
            ProjectLayout::Plain
        };
        let migrations = a
            .dir_args
            .migrations
            .clone()
            .unwrap_or_else(|| match layout {
                ProjectLayout::Supabase => PathBuf::from("supabase/migrations"),
                ProjectLayout::Plain => PathBuf::from("migrations"),
            });
        let preset = match layout {
            ProjectLayout::Supabase => Some(Preset::Supabase),
            ProjectLayout::Plain => cfg.preset,
        };
        Ok(InitOptions {
            root,
            layout,
            migrations,
            preset,
            history: cfg.history_table(&a.dir_args)?,
        })
    }
}

pub const CONFIG_FILE: &str = "deskctl.toml";
pub const SCHEMA_CHECKS: &str = "checks/schema.toml";
pub const BEHAVIOUR_CHECKS: &str = "checks/behaviour.toml";

pub async fn run(cfg: &RunConfig, o: InitOptions) -> anyhow::Result<ExitCode> {
    let files = [CONFIG_FILE, SCHEMA_CHECKS, BEHAVIOUR_CHECKS].map(|f| o.root.join(f));
    let existing: Vec<String> = files
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        anyhow::bail!(ConfigError::Usage(format!(
            "init: refusing to overwrite {} (move {} away, or edit {} by hand)",
            existing.join(", "),
            if existing.len() == 1 { "it" } else { "them" },
            if existing.len() == 1 { "it" } else { "them" },
        )));
    }
    let migrations = o.root.join(&o.migrations);
    if !migrations.is_dir() {
        anyhow::bail!(ConfigError::Usage(format!(
            "init: no migrations directory {} (give --migrations DIR)",
            migrations.display()
        )));
    }
    let mut c = cfg.clone();
    c.target = DbTarget::Ephemeral {
        keep: false,
        tcp_port: None,
    };
    c.preset = o.preset;
    let schemas = vec!["public".to_string()];
    let db =
        super::open_and_migrate(&c, &super::Open::new("init", &migrations, &o.history)).await?;
    let snap = super::read_catalog(&db, &Scope::with_policy_expressions(schemas.clone())).await;
    db.close().await;
    let snap = snap?;
    let cx = RuleCtx::new(&snap, &[]).skipping_history(&o.history);
    let schema_text = snapshot::write(&cx, &schemas);
    let behaviour_text = example_behaviour(&cx, o.preset == Some(Preset::Supabase));
    let config_text = config(&o);
    std::fs::create_dir_all(o.root.join("checks"))
        .with_context(|| format!("cannot create {}", o.root.join("checks").display()))?;
    for (path, text) in files
        .iter()
        .zip([&config_text, &schema_text, &behaviour_text])
    {
        write_new(path, text)?;
    }
    let cd = if o.root == Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", o.root.display())
    };
    println!(
        "wrote {}, {} ({} checks) and {}\nnext: {cd}deskctl verify --ephemeral",
        CONFIG_FILE,
        SCHEMA_CHECKS,
        schema_text.lines().filter(|l| l.starts_with("[[")).count(),
        BEHAVIOUR_CHECKS
    );
    Ok(ExitCode::from(crate::exit::OK))
}

/// Create `path` with `text`; never replaces a file that appeared meanwhile.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn config(o: &InitOptions) -> String {
    let mut s =
        String::from("# deskctl project config (written by `deskctl init`; flags override it).\n");
    if o.preset == Some(Preset::Supabase) {
        s.push_str("preset = \"supabase\"          # Supabase roles, auth schema and functions on ephemeral clusters\n");
    }
    let _ = writeln!(
        s,
        "migrations = {}\nchecks = [\"checks\"]\nschemas = [\"public\"]",
        toml_str(&o.migrations.display().to_string())
    );
    s
}

/// Example scenarios that pass on the freshly migrated schema: what `anon` may not read (derived
/// from the access matrix), else a plain catalog count; with the Supabase preset also a signed-in
/// persona whose auth.users row is created for each check using it (the recommended way to have
/// the user a policy or a trigger on auth.users needs).
pub fn example_behaviour(cx: &RuleCtx, supabase: bool) -> String {
    let mut s = String::from(
        "# Behaviour checks: they run SQL as a role, in a transaction deskctl always rolls back.\n\
         # Written by `deskctl init` as an example; see docs/checks.md (scenario, immutable, rejects).\n\n\
         schema = \"public\"\n",
    );
    let rels = access::relations(cx);
    let anon = cx.snap.role("anon").is_some();
    let m = access::build(cx, "", &["anon".to_string()]);
    let pick = |want: &dyn Fn(&Access) -> bool| {
        m.relations.iter().find(|r| {
            r.kind.is_table()
                && r.rows
                    .first()
                    .and_then(|row| {
                        row.cells
                            .iter()
                            .find(|c| c.command == StatementKind::Select)
                    })
                    .is_some_and(|c| want(&c.access))
        })
    };
    let no_grant = pick(&|a| matches!(a, Access::No { .. }));
    let filtered = pick(&|a| matches!(a, Access::Denied | Access::Rows { .. }));
    let name = |r: &access::RelationAccess| crate::db::quote_ident(&r.name);
    let signed_in = supabase && cx.snap.role("authenticated").is_some();
    if signed_in {
        s.push_str(
            "\n# Personas: named identities, used as `as = \"NAME\"` (docs/checks.md, Personas). A persona's\n\
             # `rows` are inserted for every check that runs as it (or uses a fixture naming it), inside\n\
             # the rolled-back transaction: no check repeats `insert into auth.users`.\n\
             [personas.customer1]\n\
             role = \"authenticated\"\n\
             claims = { sub = \"00000000-0000-4000-a000-000000000001\", email = \"customer1@example.com\" }\n\
             rows = [{ table = \"auth.users\", values = { id = \"00000000-0000-4000-a000-000000000001\", email = \"customer1@example.com\" } }]\n",
        );
    }
    s.push_str(if anon && signed_in {
        "\n[personas.visitor]\nrole = \"anon\"\n"
    } else if anon {
        "\n# A persona: a named identity, used as `as = \"visitor\"` (docs/checks.md, Personas).\n\
         [personas.visitor]\nrole = \"anon\"\n\n\
         # A signed-in user would be, with the auth.users row it needs created in each check using it:\n\
         # [personas.customer1]\n\
         # role = \"authenticated\"\n\
         # claims = { sub = \"00000000-0000-4000-a000-000000000001\", email = \"customer1@example.com\" }\n\
         # rows = [{ table = \"auth.users\", values = { id = \"00000000-0000-4000-a000-000000000001\", email = \"customer1@example.com\" } }]\n"
    } else {
        "\n# A persona: a named identity for `as = \"customer1\"` (docs/checks.md, Personas), e.g.\n\
         # [personas.customer1]\n\
         # role = \"app_user\"\n\
         # claims = { sub = \"00000000-0000-4000-a000-000000000001\" }\n\
         # rows = [{ table = \"users\", values = { id = \"00000000-0000-4000-a000-000000000001\" } }]\n"
    });
    if signed_in {
        s.push_str(
            "\n# customer1 signs up (its auth.users row is created, with whatever triggers your migrations put\n\
             # on auth.users) and its requests carry its JWT. Add fixtures with the rows it owns\n\
             # (`[fixtures.NAME] sql = \"...\"`, `use = [\"NAME\"]`) and expect what it may see.\n\
             [[scenario]]\nid = \"signed-in-customer1\"\nname = \"a signed-in user is the one its JWT names\"\n\
             as = \"customer1\"\nquery = \"select auth.uid()::text\"\nexpect = \"00000000-0000-4000-a000-000000000001\"\n",
        );
    }
    match (anon, no_grant, filtered) {
        (true, Some(r), _) => {
            let _ = write!(
                s,
                "\n[[scenario]]\nid = \"anon-cannot-read-{id}\"\nname = \"anonymous visitors cannot read {n}\"\n\
                 as = \"visitor\"\nquery = {q}\nexpect_error = \"42501\"\n",
                id = slug(&r.name),
                n = r.name,
                q = toml_str(&format!("select * from {}", name(r))),
            );
        }
        (true, None, Some(r)) => {
            let _ = write!(
                s,
                "\n# anon may select from {n}, and RLS decides which rows: none here (the table is empty\n\
                 # after migrating). Add a `setup` that inserts rows, and expect the ones anon may see.\n\
                 [[scenario]]\nid = \"anon-sees-no-{id}\"\nname = \"anonymous visitors see no {n} rows\"\n\
                 as = \"visitor\"\nquery = {q}\nexpect_rows = 0\n",
                id = slug(&r.name),
                n = r.name,
                q = toml_str(&format!("select * from {}", name(r))),
            );
        }
        _ => {
            let n = rels.iter().filter(|r| r.kind.is_table()).count();
            let _ = write!(
                s,
                "\n[[scenario]]\nid = \"public-table-count\"\nname = \"the migrated schema has its {n} tables\"\n\
                 query = {q}\nexpect = {n}\n",
                q = toml_str(&format!(
                    "select count(*) from information_schema.tables where table_schema = 'public' \
and table_type = 'BASE TABLE' and table_name <> {}",
                    crate::db::quote_literal(&cx.skip.first().map(|q| q.name.clone()).unwrap_or_default())
                )),
            );
        }
    }
    s
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
