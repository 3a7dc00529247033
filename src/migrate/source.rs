//! Migration files on disk: discovers one directory (not recursive), detects its layout
//! (refinery `V{n}__{name}.sql` or Supabase `<digits>_<name>.sql`), maps Supabase names to refinery
//! names, reads and validates every file, and collects every problem before anything touches the
//! database. Must not connect to the database.
//!
//! The Supabase name rule (it enters refinery's checksum, so it never changes): the part after the
//! first `_` and before `.sql`, with every maximal run of characters outside `[A-Za-z0-9_]`
//! replaced by one `_`. `20251204000000_live-chat v2.sql` → version 20251204000000, name
//! `live_chat_v2`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{MigrateError, SourceProblem};
use super::split;

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
    /// The name refinery records (Supabase names mapped by the rule above).
    pub name: String,
    pub path: PathBuf,
    /// Exact file content; this is what the checksum covers.
    pub sql: String,
    pub checksum: u64,
    /// First line is `-- deskctl:no-transaction`.
    pub no_transaction: bool,
    /// A top-level BEGIN/COMMIT/ROLLBACK in the file: (line, keyword).
    pub transaction_control: Option<(usize, String)>,
    pub(crate) migration: refinery_core::Migration,
}

impl MigrationFile {
    /// What is sent to the server: the content without a leading byte-order mark.
    pub fn body(&self) -> &str {
        self.sql.strip_prefix('\u{feff}').unwrap_or(&self.sql)
    }

    /// `V{version}__{name}`, refinery's display form.
    pub fn label(&self) -> String {
        format!("V{}__{}", self.version, self.name)
    }
}

/// Every migration file of a directory, sorted by version.
#[derive(Debug, Clone)]
pub struct Sources {
    pub dir: PathBuf,
    /// `None` for a directory without migration files.
    pub layout: Option<Layout>,
    pub files: Vec<MigrationFile>,
}

impl Sources {
    pub fn by_version(&self, version: i64) -> Option<&MigrationFile> {
        self.files
            .binary_search_by_key(&version, |f| f.version)
            .ok()
            .map(|i| &self.files[i])
    }
}

/// The refinery name for a Supabase file's name part.
pub fn supabase_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_run = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out
}

/// What a file name says, before its content is read.
enum Parsed {
    Ok {
        layout: Layout,
        version: i64,
        name: String,
    },
    Bad(String),
}

fn parse_version(digits: &str) -> Result<i64, String> {
    digits.parse::<i64>().map_err(|_| {
        format!(
            "version {digits} does not fit a 64-bit integer (at most {})",
            i64::MAX
        )
    })
}

fn parse_file_name(file_name: &str) -> Parsed {
    let Some(stem) = file_name.strip_suffix(".sql") else {
        return Parsed::Bad("the extension must be `.sql` in lower case".into());
    };
    let first = stem.chars().next();
    match first {
        Some('|') => Parsed::Bad(
            "a name starting with `|` makes refinery panic; name it V{n}__{name}.sql".into(),
        ),
        Some('U') if stem.contains("__") => {
            Parsed::Bad("unversioned (U) migrations are not supported; use V{n}__{name}.sql".into())
        }
        Some('V') if stem.contains("__") => {
            let (ver, name) = stem[1..].split_once("__").unwrap_or(("", ""));
            if ver.is_empty() || !ver.bytes().all(|b| b.is_ascii_digit()) {
                return Parsed::Bad(format!(
                    "version `{ver}` is not a whole number (V{{n}}__{{name}}.sql, n in digits)"
                ));
            }
            let version = match parse_version(ver) {
                Ok(v) => v,
                Err(e) => return Parsed::Bad(e),
            };
            if name.is_empty() {
                return Parsed::Bad("the name after `__` is empty".into());
            }
            match refinery_core::parse_migration_name(&format!("V{version}__{name}")) {
                Ok((_, _, read)) if read == name => {}
                Ok((_, _, read)) => {
                    return Parsed::Bad(format!(
                        "refinery would cut the name short to `{read}`; use only letters, digits and `_` after `__`"
                    ))
                }
                Err(e) => return Parsed::Bad(format!("refinery rejects the name: {e}")),
            }
            Parsed::Ok {
                layout: Layout::Refinery,
                version,
                name: name.to_string(),
            }
        }
        Some(c) if c.is_ascii_digit() => {
            let Some((digits, raw)) = stem.split_once('_') else {
                return Parsed::Bad(
                    "no `_` after the version (Supabase layout is <digits>_<name>.sql)".into(),
                );
            };
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Parsed::Bad(format!(
                    "`{digits}` is not a version in digits (Supabase layout is <digits>_<name>.sql)"
                ));
            }
            let version = match parse_version(digits) {
                Ok(v) => v,
                Err(e) => return Parsed::Bad(e),
            };
            let name = supabase_name(raw);
            if name.is_empty() {
                return Parsed::Bad("the name after the version is empty".into());
            }
            Parsed::Ok {
                layout: Layout::Supabase,
                version,
                name,
            }
        }
        _ => Parsed::Bad(
            "matches neither V{n}__{name}.sql (refinery) nor <digits>_<name>.sql (Supabase)".into(),
        ),
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
    if !dir.is_dir() {
        return Err(MigrateError::DirMissing(dir.to_path_buf()));
    }
    let entries = std::fs::read_dir(dir).map_err(|source| MigrateError::DirUnreadable {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut problems: Vec<SourceProblem> = Vec::new();
    let mut found: Vec<(Layout, i64, String, PathBuf)> = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => paths.push(e.path()),
            Err(source) => {
                return Err(MigrateError::DirUnreadable {
                    path: dir.to_path_buf(),
                    source,
                })
            }
        }
    }
    paths.sort();
    for path in paths {
        if path.is_dir() {
            continue;
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
            Parsed::Bad(why) => problems.push(SourceProblem::new(&path, why)),
            Parsed::Ok {
                layout,
                version,
                name,
            } => {
                if name.chars().count() > MAX_NAME_CHARS {
                    problems.push(SourceProblem::new(
                        &path,
                        format!("the name is longer than {MAX_NAME_CHARS} characters (the history table's limit)"),
                    ));
                } else {
                    found.push((layout, version, name, path));
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

    // Contents.
    let mut files = Vec::with_capacity(found.len());
    for (_, version, name, path) in found {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                problems.push(SourceProblem::new(&path, format!("cannot read it: {e}")));
                continue;
            }
        };
        let sql = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                problems.push(SourceProblem::new(
                    &path,
                    utf8_problem(e.as_bytes(), &e.utf8_error()),
                ));
                continue;
            }
        };
        if let Some(at) = sql.find('\0') {
            let (line, _) = split::line_col(&sql, at);
            problems.push(SourceProblem::new(
                &path,
                format!("contains a NUL character (line {line}), which PostgreSQL cannot receive"),
            ));
            continue;
        }
        let migration =
            match refinery_core::Migration::unapplied(&format!("V{version}__{name}"), &sql) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(SourceProblem::new(
                        &path,
                        format!("refinery rejects it: {e}"),
                    ));
                    continue;
                }
            };
        let body = sql.strip_prefix('\u{feff}').unwrap_or(&sql);
        let no_transaction = body
            .lines()
            .next()
            .is_some_and(|l| l.trim_end() == NO_TRANSACTION_MARKER);
        let transaction_control = split::split(body).iter().find_map(|st| {
            st.transaction_control()
                .map(|kw| (split::line_col(body, st.start).0, kw))
        });
        files.push(MigrationFile {
            version,
            name,
            path,
            checksum: migration.checksum(),
            sql,
            no_transaction,
            transaction_control,
            migration,
        });
    }

    if !problems.is_empty() {
        problems.sort_by(|a, b| a.file.cmp(&b.file));
        return Err(MigrateError::BadFiles {
            dir: dir.to_path_buf(),
            problems,
        });
    }
    files.sort_by_key(|f| f.version);
    Ok(Sources {
        dir: dir.to_path_buf(),
        layout,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &[u8]) {
        std::fs::write(dir.join(name), body).unwrap();
    }

    #[test]
    fn supabase_rule() {
        assert_eq!(
            supabase_name("live_chat_support_system"),
            "live_chat_support_system"
        );
        assert_eq!(supabase_name("live-chat v2.1"), "live_chat_v2_1");
        assert_eq!(supabase_name("a -- b"), "a_b");
        assert_eq!(supabase_name("Café"), "Caf_");
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
        assert_eq!(s.files[0].transaction_control, Some((1, "BEGIN".into())));
        assert!(s.files[0].body().starts_with("begin"));
    }

    #[test]
    fn missing_directory() {
        let err = load(Path::new("/no/such/dir/here")).unwrap_err();
        assert!(matches!(err, MigrateError::DirMissing(_)));
    }
}
