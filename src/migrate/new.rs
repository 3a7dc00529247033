//! `deskctl new NAME`: writes the next migration file in the directory's layout (next integer
//! `V{n+1}__name.sql`, or a UTC timestamp `YYYYMMDDHHMMSS_name.sql` for the Supabase layout) with
//! a header comment. Never overwrites. Must not touch the database.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::MigrateError;
use super::source::{self, Layout, NO_TRANSACTION_MARKER};

const MAX_NAME: usize = 200;

/// Letters, digits and `_`, starting with a letter, at most 200 characters.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The layout for a directory without migration files: Supabase when it is `supabase/migrations`.
fn default_layout(dir: &Path) -> Layout {
    let mut parts = dir.components().rev();
    let last = parts
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let parent = parts
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    if last.as_deref() == Some("migrations") && parent.as_deref() == Some("supabase") {
        Layout::Supabase
    } else {
        Layout::Refinery
    }
}

/// A Supabase version: the UTC time as `YYYYMMDDHHMMSS`.
const VERSION_STAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year][month][day][hour][minute][second]");
/// The header's creation time.
const HEADER_STAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// Create the file and return its path. `now` is the UTC time used for Supabase versions.
pub fn create(dir: &Path, name: &str, now: time::OffsetDateTime) -> Result<PathBuf, MigrateError> {
    if !valid_name(name) {
        return Err(MigrateError::InvalidName(name.to_string()));
    }
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|source| MigrateError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let sources = source::load(dir)?;
    let layout = sources.layout.unwrap_or_else(|| default_layout(dir));
    let highest = sources.files.last().map(|f| f.version);
    let (version, file_name) = match layout {
        Layout::Refinery => {
            let v = highest.unwrap_or(0).checked_add(1).ok_or_else(|| {
                MigrateError::InvalidName(format!("{name} (no version above {})", i64::MAX))
            })?;
            (v, format!("V{v}__{name}.sql"))
        }
        Layout::Supabase => {
            let stamp: i64 = now
                .format(VERSION_STAMP)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or_default();
            // Never below an existing version, even with a clock behind the files.
            let v = match highest {
                Some(h) if h >= stamp => h.saturating_add(1),
                _ => stamp,
            };
            (v, format!("{v}_{name}.sql"))
        }
    };
    let path = dir.join(&file_name);
    let header = format!(
        "-- {file_name}\n\
         -- Created by deskctl new at {} (UTC). Version {version}.\n\
         -- Applied in one transaction with its history row. For statements that cannot run in a\n\
         -- transaction (CREATE INDEX CONCURRENTLY), make the first line:\n\
         -- {NO_TRANSACTION_MARKER}\n\n",
        now.format(HEADER_STAMP).unwrap_or_default(),
    );
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                MigrateError::Exists(path.clone())
            } else {
                MigrateError::Write {
                    path: path.clone(),
                    source,
                }
            }
        })?;
    f.write_all(header.as_bytes())
        .map_err(|source| MigrateError::Write {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn at(y: i32, mo: u8, d: u8) -> time::OffsetDateTime {
        let date =
            time::Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), d).unwrap();
        date.with_hms(1, 2, 3).unwrap().assume_utc()
    }

    #[test]
    fn names_are_validated() {
        assert!(valid_name("add_ticket_tags"));
        for bad in ["", "1abc", "a-b", "a b", "ä", &"x".repeat(201)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn next_integer_and_timestamp() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("V7__seven.sql"), "select 7;").unwrap();
        let p = create(d.path(), "add_tags", at(2026, 1, 2)).unwrap();
        assert!(p.ends_with("V8__add_tags.sql"));
        assert!(std::fs::read_to_string(&p)
            .unwrap()
            .starts_with("-- V8__add_tags.sql\n"));

        let s = tempfile::tempdir().unwrap();
        std::fs::write(s.path().join("20250101000000_init.sql"), "select 1;").unwrap();
        let p = create(s.path(), "add_tags", at(2026, 1, 2)).unwrap();
        assert!(
            p.ends_with("20260102010203_add_tags.sql"),
            "{}",
            p.display()
        );
        // Same second again: a later version, never an overwrite.
        let p2 = create(s.path(), "more", at(2026, 1, 2)).unwrap();
        assert!(p2.ends_with("20260102010204_more.sql"), "{}", p2.display());
    }

    #[test]
    fn empty_supabase_directory_gets_a_timestamp() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("supabase/migrations");
        let p = create(&dir, "init", at(2026, 3, 4)).unwrap();
        assert!(p.ends_with("20260304010203_init.sql"));
    }
}
