//! Migration files on disk: discovers one directory (not recursive), detects its layout
//! (refinery `V{n}__{name}.sql` or Supabase `<digits>_<name>.sql`), maps Supabase names to refinery
//! names, reads and validates every file, and collects every problem before anything touches the
//! database. Must not connect to the database.
//!
//! File names and their rules are `names`; parsing files (once, when needed) is `parse`.
//!
//! A Supabase-layout directory is taken exactly as the Supabase CLI takes it
//! (`pkg/migration/list.go`): entries in file-name order, files matching `^([0-9]+)_(.*)\.sql$`
//! are migrations, every other file is skipped with the CLI's warning (`local_*.sql`, `.gitkeep`,
//! `README.md`...), and a first file `<14 digits>_init.sql` older than 20211209000000 is skipped.
//! The CLI orders by file NAME: when the digit widths differ (`20240102_b.sql` next to
//! `20240101000000_a.sql`), the shorter versions are right-padded with zeros to the widest width
//! (at least 14) so that refinery's numeric order is the name order; `version_text` keeps the
//! digits as written (what `supabase_migrations.schema_migrations` records).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{MigrateError, SourceProblem};
use crate::sqltext::{self, Kind, TxControl};

mod names;
mod parse;

use names::{
    is_legacy_init, is_supabase_dir, pad_mixed_widths, parse_file_name, repeatable_name, FileName,
};
pub use names::{
    supabase_match, supabase_name, REPEATABLE_PREFIX, SUPABASE_REPEATABLE_DIR,
    SUPABASE_SKIP_PATTERN,
};
pub use parse::parse_all;

/// The marker that makes a file run outside a transaction (must be its first line).
pub const NO_TRANSACTION_MARKER: &str = "-- deskctl:no-transaction";

/// The longest name the history table's `name varchar(255)` column holds.
const MAX_NAME_CHARS: usize = 255;

/// How the files of a directory are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `V{n}__{name}.sql`
    Refinery,
    /// `<digits>_<name>.sql`
    Supabase,
}

impl Layout {
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Refinery => "refinery layout V{n}__{name}.sql",
            Layout::Supabase => "Supabase layout <digits>_<name>.sql",
        }
    }
}

/// One validated migration file.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    pub version: i64,
    /// The version as written in the file name (Supabase: the digits, which the Supabase CLI
    /// records as text; refinery: the number).
    pub version_text: String,
    /// The name refinery records (Supabase names mapped by the rule above).
    pub name: String,
    pub path: PathBuf,
    /// Exact file content; this is what the checksum covers.
    pub sql: String,
    pub checksum: u64,
    /// First line is `-- deskctl:no-transaction`.
    pub no_transaction: bool,
    /// A repeatable migration (`R__{name}.sql`): no version (`version` is 0), re-applied after
    /// the versioned ones whenever its checksum changes (see `super::repeatable`).
    pub repeatable: bool,
    pub(crate) migration: refinery_core::Migration,
    /// The body as PostgreSQL's parser reads it ([`MigrationFile::parsed`]): parsed once, when
    /// first needed (a file the database has applied needs only its checksum).
    parsed: std::sync::OnceLock<sqltext::Parsed>,
}

impl MigrationFile {
    /// What is sent to the server: the content without a leading byte-order mark.
    pub fn body(&self) -> &str {
        self.sql.strip_prefix('\u{feff}').unwrap_or(&self.sql)
    }

    /// The body as PostgreSQL's parser reads it, parsed on first use and then kept: the lint
    /// gate, the runner and the rest read this, never the text again. [`parse_all`] parses many
    /// files on the machine's cores.
    pub fn parsed(&self) -> &sqltext::Parsed {
        self.parsed
            .get_or_init(|| parse::parse_kept(&self.path, self.body()))
    }

    /// The first top-level BEGIN/START TRANSACTION/COMMIT/ROLLBACK in the file: (line, keyword).
    pub fn transaction_control(&self) -> Option<(usize, String)> {
        let body = self.body();
        self.parsed()
            .statements
            .iter()
            .find_map(|st| match st.kind() {
                Kind::TransactionControl(t)
                    if t.ends_transaction()
                        || matches!(t, TxControl::Begin | TxControl::StartTransaction) =>
                {
                    Some((sqltext::line_col(body, st.start).0, t.to_string()))
                }
                _ => None,
            })
    }

    /// `V{version}__{name}`, refinery's display form; `R__{name}` for a repeatable.
    pub fn label(&self) -> String {
        if self.repeatable {
            format!("R__{}", self.name)
        } else {
            format!("V{}__{}", self.version, self.name)
        }
    }
}

/// Every migration file of a directory, sorted by version.
#[derive(Debug, Clone)]
pub struct Sources {
    pub dir: PathBuf,
    /// `None` for a directory without migration files.
    pub layout: Option<Layout>,
    pub files: Vec<MigrationFile>,
    /// Files skipped the way the Supabase CLI skips them, with its reason (Supabase layout only).
    pub skipped: Vec<(PathBuf, String)>,
    /// Repeatable migrations (`R__{name}.sql`), in name order: in `dir` for the refinery layout,
    /// in `repeatable_dir` for the Supabase layout.
    pub repeatables: Vec<MigrationFile>,
    /// Where a Supabase-layout directory's repeatables are read from (`../repeatable`), when
    /// that directory exists.
    pub repeatable_dir: Option<PathBuf>,
}

impl Sources {
    pub fn by_version(&self, version: i64) -> Option<&MigrationFile> {
        self.files
            .binary_search_by_key(&version, |f| f.version)
            .ok()
            .map(|i| &self.files[i])
    }

    /// The skipped files as the Supabase CLI words them ("Skipping migration F... (why)").
    pub fn skip_warnings(&self) -> Vec<String> {
        self.skipped
            .iter()
            .map(|(p, why)| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                format!("Skipping migration {name}... ({why})")
            })
            .collect()
    }
}

/// Where the first invalid UTF-8 byte is, as "line L".
fn utf8_problem(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let ok = &bytes[..e.valid_up_to()];
    let line = ok.iter().filter(|&&b| b == b'\n').count() + 1;
    format!(
        "not valid UTF-8 (line {line}, byte offset {}); save it as UTF-8",
        e.valid_up_to()
    )
}

/// Read and validate every migration file of `dir`. Non-`.sql` files and subdirectories are
/// ignored. Every problem is collected; any problem is an error naming every bad file.
pub fn load(dir: &Path) -> Result<Sources, MigrateError> {
    let unreadable = |source| MigrateError::DirUnreadable {
        path: dir.to_path_buf(),
        source,
    };
    match crate::inputs::kind(dir).map_err(unreadable)? {
        crate::inputs::InputKind::Dir => {}
        crate::inputs::InputKind::Special(what) => {
            return Err(unreadable(crate::inputs::not_a_file(what)))
        }
        _ => return Err(MigrateError::DirMissing(dir.to_path_buf())),
    }
    let mut problems: Vec<SourceProblem> = Vec::new();
    let mut found: Vec<(Layout, i64, String, PathBuf, String)> = Vec::new();
    // The Supabase CLI reads the directory in file-name order (Go's fs.ReadDir: byte order).
    let paths = crate::inputs::list(dir).map_err(unreadable)?;
    let supabase_dir = is_supabase_dir(dir)
        || paths.iter().any(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(supabase_match)
                .is_some()
        });
    let refinery_named = paths.iter().any(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('V') && n.contains("__"))
    });
    // Skip like the CLI only where the directory is clearly a Supabase one (a refinery file there
    // is the mixed-layout error below, not a file to skip).
    let cli_rules = supabase_dir && !refinery_named;
    let mut skipped: Vec<(PathBuf, String)> = Vec::new();
    let mut repeatable_found: Vec<(String, PathBuf)> = Vec::new();
    for (i, path) in paths.into_iter().enumerate() {
        if path.is_dir() {
            continue;
        }
        if cli_rules {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if i == 0 && is_legacy_init(name) {
                skipped.push((
                    path,
                    "replace \"init\" with a different file name to apply this migration".into(),
                ));
                continue;
            }
            if supabase_match(name).is_none() {
                let why = if name.starts_with(REPEATABLE_PREFIX) && name.ends_with(".sql") {
                    format!(
                        "{SUPABASE_SKIP_PATTERN}; deskctl reads the repeatable migrations of a Supabase project from {}",
                        supabase_repeatable_dir(dir).display()
                    )
                } else {
                    SUPABASE_SKIP_PATTERN.into()
                };
                skipped.push((path, why));
                continue;
            }
        }
        let Some(os_name) = path.file_name() else {
            continue;
        };
        let Some(file_name) = os_name.to_str() else {
            let lossy = os_name.to_string_lossy();
            if lossy.to_ascii_lowercase().ends_with(".sql") {
                problems.push(SourceProblem::new(
                    &path,
                    "the file name is not valid UTF-8",
                ));
            }
            continue;
        };
        if !file_name.to_ascii_lowercase().ends_with(".sql") {
            continue;
        }
        match parse_file_name(file_name) {
            FileName::Bad(why) => problems.push(SourceProblem::new(&path, why)),
            FileName::Repeatable(name) => repeatable_found.push((name, path)),
            FileName::Ok {
                layout,
                version,
                digits,
                name,
            } => {
                if name.chars().count() > MAX_NAME_CHARS {
                    problems.push(SourceProblem::new(
                        &path,
                        format!("the name is longer than {MAX_NAME_CHARS} characters (the history table's limit)"),
                    ));
                } else {
                    found.push((layout, version, name, path, digits));
                }
            }
        }
    }

    // One layout per directory.
    let refinery: Vec<&PathBuf> = found
        .iter()
        .filter(|f| f.0 == Layout::Refinery)
        .map(|f| &f.3)
        .collect();
    let supabase: Vec<&PathBuf> = found
        .iter()
        .filter(|f| f.0 == Layout::Supabase)
        .map(|f| &f.3)
        .collect();
    if !refinery.is_empty() && !supabase.is_empty() {
        let (minority, other, layout) = if refinery.len() <= supabase.len() {
            (&refinery, &supabase, Layout::Supabase)
        } else {
            (&supabase, &refinery, Layout::Refinery)
        };
        for p in minority {
            problems.push(SourceProblem::new(
                p,
                format!(
                    "mixes naming layouts: the other {} file(s) here (e.g. {}) use the {}; use one layout per directory",
                    other.len(),
                    other[0].file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                    layout.describe()
                ),
            ));
        }
    }
    let layout = match (refinery.is_empty(), supabase.is_empty()) {
        (true, true) => None,
        (false, true) => Some(Layout::Refinery),
        (true, false) => Some(Layout::Supabase),
        (false, false) => None,
    };

    // The Supabase CLI orders by file name: with digit strings of different widths, pad them so
    // that the numeric order refinery uses is that name order.
    if layout == Some(Layout::Supabase) {
        pad_mixed_widths(&mut found, &mut problems);
    }

    // Duplicate versions.
    let mut by_version: BTreeMap<i64, Vec<&PathBuf>> = BTreeMap::new();
    for f in &found {
        by_version.entry(f.1).or_default().push(&f.3);
    }
    for (version, paths) in &by_version {
        if paths.len() > 1 {
            for p in paths {
                let others: Vec<String> = paths
                    .iter()
                    .filter(|o| o != &p)
                    .map(|o| {
                        o.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    })
                    .collect();
                problems.push(SourceProblem::new(
                    p,
                    format!("version {version} is also used by {}", others.join(", ")),
                ));
            }
        }
    }

    // Repeatables: next to the versioned files (refinery layout), in `../repeatable` (Supabase).
    let mut repeatable_dir = None;
    if layout == Some(Layout::Supabase) || is_supabase_dir(dir) {
        for (_, p) in &repeatable_found {
            problems.push(SourceProblem::new(
                p,
                format!(
                    "repeatable migrations of a Supabase-layout directory go in {}",
                    supabase_repeatable_dir(dir).display()
                ),
            ));
        }
        repeatable_found.clear();
        let rdir = supabase_repeatable_dir(dir);
        if rdir.is_dir() {
            read_repeatable_dir(&rdir, &mut repeatable_found, &mut problems)?;
            repeatable_dir = Some(rdir);
        }
    }

    // Contents.
    let mut files = Vec::with_capacity(found.len());
    // Reading and parsing are most of loading a large set, and PostgreSQL's parser
    // (libpg_query) is thread-safe: on the machine's cores with 32+ files per thread, one file
    // at a time, results in file order.
    let versioned = crate::par::map_in_order(&found, 32, 1, |(_, version, name, path, vt)| {
        read_one(path.clone(), *version, name.clone(), vt.clone(), false)
    });
    for r in versioned {
        match r {
            Ok(f) => files.push(f),
            Err(p) => problems.push(p),
        }
    }
    let mut repeatables = Vec::with_capacity(repeatable_found.len());
    let repeatable = crate::par::map_in_order(&repeatable_found, 32, 1, |(name, path)| {
        read_one(path.clone(), 0, name.clone(), String::new(), true)
    });
    for r in repeatable {
        match r {
            Ok(f) => repeatables.push(f),
            Err(p) => problems.push(p),
        }
    }

    if !problems.is_empty() {
        problems.sort_by(|a, b| a.file.cmp(&b.file));
        return Err(MigrateError::BadFiles {
            dir: dir.to_path_buf(),
            problems,
        });
    }
    files.sort_by_key(|f| f.version);
    // Name order (byte order of the names, which is also their file names' order).
    repeatables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Sources {
        dir: dir.to_path_buf(),
        layout,
        files,
        skipped,
        repeatables,
        repeatable_dir,
    })
}

/// `<migrations dir>/../repeatable`: where a Supabase-layout directory's repeatables live (the
/// Supabase CLI skips any other file in `supabase/migrations`, so they cannot go there).
pub fn supabase_repeatable_dir(dir: &Path) -> PathBuf {
    dir.parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
        .join(SUPABASE_REPEATABLE_DIR)
}

/// The `R__{name}.sql` files of a Supabase project's repeatable directory. Any other `.sql`
/// file there is a problem (it would otherwise be silently ignored); other files are ignored.
fn read_repeatable_dir(
    rdir: &Path,
    found: &mut Vec<(String, PathBuf)>,
    problems: &mut Vec<SourceProblem>,
) -> Result<(), MigrateError> {
    let unreadable = |source| MigrateError::DirUnreadable {
        path: rdir.to_path_buf(),
        source,
    };
    for path in crate::inputs::list(rdir).map_err(unreadable)? {
        if path.is_dir() {
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name.filter(|n| n.to_ascii_lowercase().ends_with(".sql")) else {
            continue;
        };
        match name.strip_suffix(".sql").and_then(repeatable_name) {
            Some(Ok(n)) => found.push((n, path)),
            Some(Err(why)) => problems.push(SourceProblem::new(&path, why)),
            None => problems.push(SourceProblem::new(
                &path,
                "files here are repeatable migrations and must be named R__{name}.sql (with `.sql` in lower case)",
            )),
        }
    }
    Ok(())
}

/// Read and check one file's content.
fn read_one(
    path: PathBuf,
    version: i64,
    name: String,
    version_text: String,
    repeatable: bool,
) -> Result<MigrationFile, SourceProblem> {
    let bytes = crate::inputs::read(&path)
        .map_err(|e| SourceProblem::new(&path, format!("cannot read it: {e}")))?;
    let sql = String::from_utf8(bytes)
        .map_err(|e| SourceProblem::new(&path, utf8_problem(e.as_bytes(), &e.utf8_error())))?;
    if let Some(at) = sql.find('\0') {
        let (line, _) = sqltext::line_col(&sql, at);
        return Err(SourceProblem::new(
            &path,
            format!("contains a NUL character (line {line}), which PostgreSQL cannot receive"),
        ));
    }
    // A repeatable's checksum: the same function with version 0 (name and content).
    let migration = refinery_core::Migration::unapplied(&format!("V{version}__{name}"), &sql)
        .map_err(|e| SourceProblem::new(&path, format!("refinery rejects it: {e}")))?;
    let body = sql.strip_prefix('\u{feff}').unwrap_or(&sql);
    let no_transaction = body
        .lines()
        .next()
        .is_some_and(|l| l.trim_end() == NO_TRANSACTION_MARKER);
    Ok(MigrationFile {
        version,
        version_text,
        name,
        path,
        checksum: migration.checksum(),
        sql,
        no_transaction,
        repeatable,
        migration,
        parsed: std::sync::OnceLock::new(),
    })
}

/// For unit tests of the modules that read `Sources`.
#[cfg(test)]
pub(crate) mod testing {
    use super::{load, Sources};

    /// A temporary directory holding `files` (name, content), loaded.
    pub(crate) fn sources(files: &[(&str, &str)]) -> (tempfile::TempDir, Sources) {
        let d = tempfile::tempdir().unwrap();
        for (n, b) in files {
            std::fs::write(d.path().join(n), b).unwrap();
        }
        let s = load(d.path()).unwrap();
        (d, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &[u8]) {
        std::fs::write(dir.join(name), body).unwrap();
    }

    #[test]
    fn a_second_load_reuses_each_parse_and_an_edited_file_is_parsed_again() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "V1__a.sql", b"create table a (x int);");
        write(d.path(), "V2__b.sql", b"create table b (x int);");
        let first = load(d.path()).unwrap();
        parse_all(&first.files.iter().collect::<Vec<_>>());
        write(d.path(), "V2__b.sql", b"create table b (x int, y int);");
        let second = load(d.path()).unwrap();
        let shared = |i: usize| {
            std::sync::Arc::ptr_eq(
                &first.files[i].parsed().statements,
                &second.files[i].parsed().statements,
            )
        };
        assert!(shared(0), "the unchanged file was parsed again");
        assert!(!shared(1), "the edited file's old parse was reused");
        let text = second.files[1].parsed().statements[0].text(second.files[1].body());
        assert_eq!(text, "create table b (x int, y int)");
    }

    #[test]
    fn refinery_layout_loads_sorted_with_checksums() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "V10__ten.sql", b"select 10;");
        write(
            d.path(),
            "V2__two.sql",
            b"-- deskctl:no-transaction\nselect 2;",
        );
        write(d.path(), "README.md", b"ignored");
        let s = load(d.path()).unwrap();
        assert_eq!(s.layout, Some(Layout::Refinery));
        let v: Vec<i64> = s.files.iter().map(|f| f.version).collect();
        assert_eq!(v, vec![2, 10]);
        assert!(s.files[0].no_transaction);
        assert!(!s.files[1].no_transaction);
        let same = refinery_core::Migration::unapplied("V10__ten", "select 10;").unwrap();
        assert_eq!(s.files[1].checksum, same.checksum());
    }

    #[test]
    fn a_large_set_is_read_in_parallel_in_order_and_parsed_once() {
        let d = tempfile::tempdir().unwrap();
        for i in 1..=300 {
            let body = if i == 150 {
                "select frm where;\ncommit;".to_string()
            } else {
                format!("create table t{i} (a int);\nselect {i};")
            };
            write(d.path(), &format!("V{i}__t{i}.sql"), body.as_bytes());
        }
        write(d.path(), "V301__bad-name.sql", b"select 1;");
        write(d.path(), "V302__latin.sql", b"select '\xe9';");
        // Every bad file is still reported, whichever thread read it.
        let err = load(d.path()).unwrap_err().to_string();
        assert!(
            err.contains("V301__bad-name.sql") && err.contains("V302__latin.sql"),
            "{err}"
        );
        std::fs::remove_file(d.path().join("V301__bad-name.sql")).unwrap();
        std::fs::remove_file(d.path().join("V302__latin.sql")).unwrap();
        let s = load(d.path()).unwrap();
        let v: Vec<i64> = s.files.iter().map(|f| f.version).collect();
        assert_eq!(v, (1..=300).collect::<Vec<i64>>());
        // Loading reads; parsing waits until asked, then each file is parsed once.
        assert!(s.files.iter().all(|f| f.parsed.get().is_none()));
        parse_all(&s.files.iter().collect::<Vec<_>>());
        for f in &s.files {
            let first = f.parsed.get().expect("parsed by parse_all");
            assert!(std::ptr::eq(first, f.parsed()));
            assert_eq!(
                f.parsed(),
                &sqltext::Parsed::new(f.body()),
                "{}",
                f.path.display()
            );
        }
        assert_eq!(s.files[0].parsed().statements.len(), 2);
        assert!(s.files[149].parsed().error.is_some());
        assert_eq!(
            s.files[149].transaction_control(),
            Some((2, "COMMIT".into()))
        );
    }

    #[test]
    fn supabase_layout_maps_names() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "20251204000000_live-chat support.v1.sql",
            b"select 1;",
        );
        let s = load(d.path()).unwrap();
        assert_eq!(s.layout, Some(Layout::Supabase));
        assert_eq!(s.files[0].version, 20251204000000);
        assert_eq!(s.files[0].name, "live_chat_support_v1");
    }

    #[test]
    fn every_bad_file_is_reported_at_once() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "V1__ok.sql", b"select 1;");
        write(d.path(), "V1__again.sql", b"select 1;");
        write(d.path(), "V2__foo-bar.sql", b"select 2;");
        write(d.path(), "|3__pipe.sql", b"select 3;");
        write(d.path(), "notes.sql", b"select 4;");
        write(d.path(), "V5__latin.sql", b"select '\xe9';");
        write(d.path(), "V6__x.SQL", b"select 6;");
        write(d.path(), "V99999999999999999999__big.sql", b"select 1;");
        write(d.path(), "U7__un.sql", b"select 1;");
        let err = load(d.path()).unwrap_err();
        let MigrateError::BadFiles { problems, .. } = &err else {
            panic!("{err}")
        };
        let text = err.to_string();
        for needle in [
            "V1__ok.sql",
            "V1__again.sql",
            "version 1 is also used by",
            "cut the name short to `foo`",
            "refinery panic",
            "notes.sql",
            "not valid UTF-8 (line 1",
            "V6__x.SQL",
            "64-bit",
            "unversioned",
        ] {
            assert!(text.contains(needle), "missing {needle}:\n{text}");
        }
        assert_eq!(problems.len(), 9, "{text}");
        assert_eq!(err.exit_code(), crate::exit::INPUT);
    }

    #[test]
    fn mixing_layouts_is_refused() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "V1__a.sql", b"select 1;");
        write(d.path(), "V2__b.sql", b"select 1;");
        write(d.path(), "20250101000000_c.sql", b"select 1;");
        let text = load(d.path()).unwrap_err().to_string();
        assert!(text.contains("20250101000000_c.sql"), "{text}");
        assert!(text.contains("mixes naming layouts"), "{text}");
    }

    #[test]
    fn transaction_control_is_noticed() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "V1__a.sql",
            b"\xef\xbb\xbfbegin;\ncreate table t();\ncommit;\n",
        );
        let s = load(d.path()).unwrap();
        assert_eq!(s.files[0].transaction_control(), Some((1, "BEGIN".into())));
        assert!(s.files[0].body().starts_with("begin"));
    }

    #[test]
    fn supabase_cli_order_and_skips() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "20240102_b.sql", b"select 2;");
        write(d.path(), "20240101000000_a.sql", b"select 1;");
        write(d.path(), "20240103120000_c.sql", b"select 3;");
        write(d.path(), "local_dev_only.sql", b"select 'local';");
        write(d.path(), "notes.SQL", b"select 4;");
        write(d.path(), ".gitkeep", b"");
        let s = load(d.path()).unwrap();
        let order: Vec<(&str, i64)> = s
            .files
            .iter()
            .map(|f| (f.version_text.as_str(), f.version))
            .collect();
        assert_eq!(
            order,
            vec![
                ("20240101000000", 20240101000000),
                ("20240102", 20240102000000),
                ("20240103120000", 20240103120000)
            ]
        );
        let w = s.skip_warnings();
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w.iter().any(|l| l
            == "Skipping migration local_dev_only.sql... (file name must match pattern \"<timestamp>_name.sql\")"));
        assert!(w.iter().any(|l| l.contains("notes.SQL")));
    }

    #[test]
    fn same_width_versions_are_unchanged() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "20240102_b.sql", b"select 2;");
        write(d.path(), "20240101_a.sql", b"select 1;");
        let s = load(d.path()).unwrap();
        assert_eq!(s.files[0].version, 20240101);
        assert!(s.skipped.is_empty());
    }

    #[test]
    fn name_order_that_numbers_cannot_follow_is_refused() {
        let d = tempfile::tempdir().unwrap();
        // By name 202401011_b sorts before 20240101_a ('1' < '_'); padded, it is larger.
        write(d.path(), "20240101_a.sql", b"select 1;");
        write(d.path(), "202401011_b.sql", b"select 2;");
        write(d.path(), "20240101000000_c.sql", b"select 3;");
        let text = load(d.path()).unwrap_err().to_string();
        assert!(text.contains("file-name order"), "{text}");
    }

    #[test]
    fn old_init_file_first_is_skipped() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "20211101000000_init.sql", b"select 0;");
        write(d.path(), "20240101000000_a.sql", b"select 1;");
        let s = load(d.path()).unwrap();
        assert_eq!(s.files.len(), 1);
        assert!(s.skip_warnings()[0].contains("replace \"init\""));
    }

    #[test]
    fn supabase_folder_with_only_local_files_is_empty() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("supabase/migrations");
        std::fs::create_dir_all(&m).unwrap();
        write(&m, "local_x.sql", b"select 1;");
        let s = load(&m).unwrap();
        assert!(s.files.is_empty());
        assert_eq!(s.skipped.len(), 1);
    }

    #[test]
    fn repeatables_are_read_next_to_versioned_files_in_name_order() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "V1__a.sql", b"select 1;");
        write(d.path(), "R__views.sql", b"select 'v';");
        write(
            d.path(),
            "R__funcs.sql",
            b"-- deskctl:no-transaction\nselect 'f';",
        );
        let s = load(d.path()).unwrap();
        assert_eq!(s.layout, Some(Layout::Refinery));
        assert_eq!(s.files.len(), 1);
        let names: Vec<String> = s.repeatables.iter().map(|f| f.label()).collect();
        assert_eq!(names, ["R__funcs", "R__views"]);
        assert!(s.repeatables[0].no_transaction);
        assert!(s.repeatables.iter().all(|f| f.repeatable && f.version == 0));

        write(d.path(), "R__.sql", b"select 1;");
        write(d.path(), "R__bad-name.sql", b"select 1;");
        let text = load(d.path()).unwrap_err().to_string();
        assert!(
            text.contains("R__.sql: the name after `R__` is empty"),
            "{text}"
        );
        assert!(
            text.contains("R__bad-name.sql: the name would be cut short to `bad`"),
            "{text}"
        );
    }

    #[test]
    fn supabase_repeatables_live_in_the_sibling_directory() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("supabase/migrations");
        let r = d.path().join("supabase/repeatable");
        std::fs::create_dir_all(&m).unwrap();
        std::fs::create_dir_all(&r).unwrap();
        write(&m, "20240101000000_a.sql", b"select 1;");
        write(&m, "R__here.sql", b"select 1;");
        write(&r, "R__views.sql", b"select 2;");
        write(&r, "notes.txt", b"ignored");
        let s = load(&m).unwrap();
        assert_eq!(s.repeatables.len(), 1);
        assert_eq!(s.repeatables[0].name, "views");
        assert_eq!(s.repeatable_dir.as_deref(), Some(r.as_path()));
        let w = s.skip_warnings();
        assert!(
            w[0].starts_with("Skipping migration R__here.sql..."),
            "{w:?}"
        );
        assert!(w[0].contains("supabase/repeatable"), "{w:?}");
        write(&r, "V1__x.sql", b"select 3;");
        let text = load(&m).unwrap_err().to_string();
        assert!(
            text.contains("V1__x.sql: files here are repeatable migrations"),
            "{text}"
        );
    }

    #[test]
    fn missing_directory() {
        let err = load(Path::new("/no/such/dir/here")).unwrap_err();
        assert!(matches!(err, MigrateError::DirMissing(_)));
    }
}
