//! A Supabase project's `supabase/config.toml`, read the way the Supabase CLI reads the parts
//! deskctl needs: `[api].schemas` (the schemas the Data API exposes), `[db].major_version`,
//! `[db.seed]` (`enabled`, `sql_paths` globs relative to `supabase/`, in declared order, each
//! glob's matches sorted, duplicates dropped, a glob matching nothing a warning) and the
//! migrations folder `supabase/migrations`. Owns nothing else of the file (unknown keys are the
//! CLI's business); must not touch the database.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{line_col, ConfigError};

/// The CLI's default for `[api].schemas`.
pub const DEFAULT_API_SCHEMAS: [&str; 2] = ["public", "graphql_public"];

/// What deskctl takes from a Supabase project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupabaseProject {
    /// The `supabase/` folder.
    pub dir: PathBuf,
    pub config_file: PathBuf,
    /// `[api].schemas` (default: public, graphql_public).
    pub api_schemas: Vec<String>,
    /// `[db].major_version`, when set.
    pub major_version: Option<u32>,
    /// `[db.seed].enabled` (default true).
    pub seed_enabled: bool,
    /// `[db.seed].sql_paths` as written (default `./seed.sql`).
    pub seed_patterns: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Raw {
    #[serde(default)]
    api: RawApi,
    #[serde(default)]
    db: RawDb,
}

#[derive(Debug, Default, Deserialize)]
struct RawApi {
    schemas: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct RawDb {
    major_version: Option<u32>,
    #[serde(default)]
    seed: RawSeed,
}

#[derive(Debug, Default, Deserialize)]
struct RawSeed {
    enabled: Option<bool>,
    sql_paths: Option<Vec<String>>,
}

impl SupabaseProject {
    /// `root/supabase/config.toml`, when there is one.
    pub fn discover(root: &Path) -> Result<Option<SupabaseProject>, ConfigError> {
        let dir = if root == Path::new(".") {
            PathBuf::from("supabase")
        } else {
            root.join("supabase")
        };
        let file = dir.join("config.toml");
        if crate::inputs::kind(&file).is_ok_and(|k| k == crate::inputs::InputKind::Missing) {
            return Ok(None);
        }
        let text = crate::inputs::read_to_string(&file).map_err(|source| ConfigError::Read {
            path: file.clone(),
            source,
        })?;
        Self::parse(&dir, &file, &text).map(Some)
    }

    fn parse(dir: &Path, file: &Path, text: &str) -> Result<SupabaseProject, ConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError::Invalid {
                path: file.to_path_buf(),
                line,
                col,
                message: e.message().to_string(),
            }
        })?;
        Ok(SupabaseProject {
            dir: dir.to_path_buf(),
            config_file: file.to_path_buf(),
            api_schemas: raw
                .api
                .schemas
                .unwrap_or_else(|| DEFAULT_API_SCHEMAS.map(String::from).to_vec()),
            major_version: raw.db.major_version,
            seed_enabled: raw.db.seed.enabled.unwrap_or(true),
            seed_patterns: raw
                .db
                .seed
                .sql_paths
                .unwrap_or_else(|| vec!["./seed.sql".to_string()]),
        })
    }

    /// `supabase/migrations`.
    pub fn migrations_dir(&self) -> PathBuf {
        self.dir.join("migrations")
    }

    /// `supabase/tests`, when it exists (pgTAP tests, run by `supabase test db`).
    pub fn tests_dir(&self) -> Option<PathBuf> {
        let d = self.dir.join("tests");
        d.is_dir().then_some(d)
    }

    /// The seed files, in the CLI's order, and a warning per pattern that matched nothing.
    pub fn seed_files(&self) -> (Vec<PathBuf>, Vec<String>) {
        if !self.seed_enabled {
            return (Vec::new(), Vec::new());
        }
        resolve_globs(&self.dir, &self.seed_patterns)
    }

    /// The warning for a `[db].major_version` that differs from the server deskctl runs.
    pub fn major_version_warning(&self, server_major: u32, what: &str) -> Option<String> {
        let want = self.major_version?;
        (want != server_major).then(|| {
            format!(
                "{} sets [db] major_version = {want}, but {what} is PostgreSQL {server_major}; \
results may differ from your Supabase database (install PostgreSQL {want}'s server binaries and \
point DESKCTL_PG_BIN at them, or use --database-url)",
                self.config_file.display()
            )
        })
    }
}

/// Globs relative to `base` (absolute ones as they are), in declared order; each glob's matches
/// sorted; duplicates dropped (the CLI's `Glob.Files`).
pub fn resolve_globs(base: &Path, patterns: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut warnings = Vec::new();
    for pattern in patterns {
        if pattern.is_empty() {
            continue;
        }
        let full = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base.join(pattern.strip_prefix("./").unwrap_or(pattern))
        };
        let text = full.to_string_lossy().into_owned();
        let mut matches: Vec<PathBuf> = match glob::glob(&text) {
            Ok(paths) => paths
                .filter_map(Result::ok)
                // Not only regular files: a FIFO or device seed is refused by name when read.
                .filter(|p| !p.is_dir())
                .collect(),
            Err(e) => {
                warnings.push(format!("seed path `{pattern}`: invalid glob: {e}"));
                continue;
            }
        };
        if matches.is_empty() {
            warnings.push(format!("no files matched pattern: {text}"));
        }
        matches.sort();
        for m in matches {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_cli_defaults() {
        let p = SupabaseProject::parse(Path::new("supabase"), Path::new("c"), "").unwrap();
        assert_eq!(p.api_schemas, vec!["public", "graphql_public"]);
        assert!(p.seed_enabled);
        assert_eq!(p.seed_patterns, vec!["./seed.sql"]);
        assert_eq!(p.major_version, None);
    }

    #[test]
    fn the_keys_deskctl_reads_and_others_ignored() {
        let text = "project_id = \"x\"\n[api]\nport = 1\nschemas = [\"public\", \"app\"]\n\
[db]\nmajor_version = 17\n[db.seed]\nenabled = false\nsql_paths = [\"./seeds/*.sql\"]\n[auth]\nsite_url = \"x\"\n";
        let p = SupabaseProject::parse(Path::new("supabase"), Path::new("c"), text).unwrap();
        assert_eq!(p.api_schemas, vec!["public", "app"]);
        assert_eq!(p.major_version, Some(17));
        assert!(!p.seed_enabled);
        assert!(p.seed_files().0.is_empty());
        let w = p
            .major_version_warning(15, "the ephemeral cluster")
            .unwrap();
        assert!(
            w.contains("major_version = 17") && w.contains("PostgreSQL 15"),
            "{w}"
        );
        assert!(p.major_version_warning(17, "x").is_none());
    }

    #[test]
    fn a_bad_file_is_reported_with_its_line() {
        let e = SupabaseProject::parse(
            Path::new("supabase"),
            Path::new("supabase/config.toml"),
            "[api]\nschemas = \"public\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("supabase/config.toml:2:"), "{e}");
    }

    #[test]
    fn globs_keep_declared_order_sort_each_and_drop_duplicates() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("seeds")).unwrap();
        for f in ["seeds/b.sql", "seeds/a.sql", "seed.sql"] {
            std::fs::write(d.path().join(f), "select 1;").unwrap();
        }
        let (files, warnings) = resolve_globs(
            d.path(),
            &[
                "./seed.sql".into(),
                "./seeds/*.sql".into(),
                "seeds/a.sql".into(),
                "./none/*.sql".into(),
            ],
        );
        let names: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(d.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, vec!["seed.sql", "seeds/a.sql", "seeds/b.sql"]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("no files matched pattern"),
            "{warnings:?}"
        );
    }
}
