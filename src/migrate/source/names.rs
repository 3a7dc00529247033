//! Migration file names: the refinery (`V{n}__{name}.sql`, `R__{name}.sql`) and Supabase
//! (`<digits>_<name>.sql`) rules, the Supabase CLI's skips, and the padding that makes refinery's
//! numeric order the CLI's file-name order. Reads names only: must not read a file's content.
//!
//! The Supabase name rule (it enters refinery's checksum, so it never changes): the part after the
//! first `_` and before `.sql`, with every maximal run of characters outside `[A-Za-z0-9_]`
//! replaced by one `_`. `20251204000000_live-chat v2.sql` → version 20251204000000, name
//! `live_chat_v2`.

use std::path::{Path, PathBuf};

use super::super::error::SourceProblem;
use super::Layout;

/// The Supabase CLI's warning for a file that does not match `<timestamp>_name.sql`.
pub const SUPABASE_SKIP_PATTERN: &str = "file name must match pattern \"<timestamp>_name.sql\"";

/// The Supabase CLI's migration file rule: `^([0-9]+)_(.*)\.sql$` → (digits, name part).
pub fn supabase_match(file_name: &str) -> Option<(&str, &str)> {
    let stem = file_name.strip_suffix(".sql")?;
    let (digits, rest) = stem.split_once('_')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some((digits, rest))
}

/// The CLI skips a FIRST entry `<14 digits>_init.sql` older than 20211209000000 (old CLI init files).
pub(super) fn is_legacy_init(file_name: &str) -> bool {
    match supabase_match(file_name) {
        Some((digits, "init")) if digits.len() == 14 => {
            digits.parse::<u64>().is_ok_and(|t| t < 20211209000000)
        }
        _ => false,
    }
}

/// Is `dir` a Supabase project's migrations folder (`.../supabase/migrations`)?
pub(super) fn is_supabase_dir(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "migrations")
        && dir
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "supabase")
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
pub(super) enum FileName {
    Ok {
        layout: Layout,
        version: i64,
        digits: String,
        name: String,
    },
    /// `R__{name}.sql`.
    Repeatable(String),
    Bad(String),
}

/// The file-name prefix of a repeatable migration.
pub const REPEATABLE_PREFIX: &str = "R__";

/// The directory next to a Supabase-layout migrations directory that holds its repeatables.
pub const SUPABASE_REPEATABLE_DIR: &str = "repeatable";

/// `R__{name}.sql` → the name, or why the name is refused (the same rule as a versioned name,
/// as the name enters the same checksum function).
pub(super) fn repeatable_name(stem: &str) -> Option<Result<String, String>> {
    let name = stem.strip_prefix(REPEATABLE_PREFIX)?;
    if name.is_empty() {
        return Some(Err("the name after `R__` is empty".into()));
    }
    Some(
        match refinery_core::parse_migration_name(&format!("V0__{name}")) {
            Ok((_, _, read)) if read == name => Ok(name.to_string()),
            Ok((_, _, read)) => Err(format!(
            "the name would be cut short to `{read}`; use only letters, digits and `_` after `R__`"
        )),
            Err(e) => Err(format!("refinery rejects the name: {e}")),
        },
    )
}

pub(super) fn parse_version(digits: &str) -> Result<i64, String> {
    digits.parse::<i64>().map_err(|_| {
        format!(
            "version {digits} does not fit a 64-bit integer (at most {})",
            i64::MAX
        )
    })
}

pub(super) fn parse_file_name(file_name: &str) -> FileName {
    let Some(stem) = file_name.strip_suffix(".sql") else {
        return FileName::Bad("the extension must be `.sql` in lower case".into());
    };
    if let Some(r) = repeatable_name(stem) {
        return match r {
            Ok(name) => FileName::Repeatable(name),
            Err(why) => FileName::Bad(why),
        };
    }
    let first = stem.chars().next();
    match first {
        Some('|') => FileName::Bad(
            "a name starting with `|` makes refinery panic; name it V{n}__{name}.sql".into(),
        ),
        Some('U') if stem.contains("__") => FileName::Bad(
            "unversioned (U) migrations are not supported; use V{n}__{name}.sql".into(),
        ),
        Some('V') if stem.contains("__") => {
            let (ver, name) = stem[1..].split_once("__").unwrap_or(("", ""));
            if ver.is_empty() || !ver.bytes().all(|b| b.is_ascii_digit()) {
                return FileName::Bad(format!(
                    "version `{ver}` is not a whole number (V{{n}}__{{name}}.sql, n in digits)"
                ));
            }
            let version = match parse_version(ver) {
                Ok(v) => v,
                Err(e) => return FileName::Bad(e),
            };
            if name.is_empty() {
                return FileName::Bad("the name after `__` is empty".into());
            }
            match refinery_core::parse_migration_name(&format!("V{version}__{name}")) {
                Ok((_, _, read)) if read == name => {}
                Ok((_, _, read)) => {
                    return FileName::Bad(format!(
                        "refinery would cut the name short to `{read}`; use only letters, digits and `_` after `__`"
                    ))
                }
                Err(e) => return FileName::Bad(format!("refinery rejects the name: {e}")),
            }
            FileName::Ok {
                layout: Layout::Refinery,
                version,
                digits: version.to_string(),
                name: name.to_string(),
            }
        }
        Some(c) if c.is_ascii_digit() => {
            let Some((digits, raw)) = stem.split_once('_') else {
                return FileName::Bad(
                    "no `_` after the version (Supabase layout is <digits>_<name>.sql)".into(),
                );
            };
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return FileName::Bad(format!(
                    "`{digits}` is not a version in digits (Supabase layout is <digits>_<name>.sql)"
                ));
            }
            let version = match parse_version(digits) {
                Ok(v) => v,
                Err(e) => return FileName::Bad(e),
            };
            let name = supabase_name(raw);
            if name.is_empty() {
                return FileName::Bad("the name after the version is empty".into());
            }
            FileName::Ok {
                layout: Layout::Supabase,
                version,
                digits: digits.to_string(),
                name,
            }
        }
        _ => FileName::Bad(
            "matches neither V{n}__{name}.sql (refinery) nor <digits>_<name>.sql (Supabase)".into(),
        ),
    }
}

/// Mixed digit widths in a Supabase directory: right-pad every version with zeros to the widest
/// width (at least 14, the CLI's timestamp width), so `20240102` becomes 20240102000000, then
/// make sure refinery's numeric order is the CLI's file-name order (it can differ only when one
/// version's digits are a prefix of another's followed by more than zeros: refused, naming both).
pub(super) fn pad_mixed_widths(
    found: &mut [(Layout, i64, String, PathBuf, String)],
    problems: &mut Vec<SourceProblem>,
) {
    let widths: std::collections::BTreeSet<usize> = found.iter().map(|f| f.4.len()).collect();
    if widths.len() < 2 {
        return;
    }
    let width = widths.last().copied().unwrap_or(14).max(14);
    if width > 18 {
        if let Some(f) = found.iter().find(|f| f.4.len() == width) {
            problems.push(SourceProblem::new(
                &f.3,
                format!(
                    "versions of different widths are padded to the widest ({width} digits) to keep the Supabase CLI's file-name order, and {width} digits do not fit a 64-bit integer"
                ),
            ));
        }
        return;
    }
    for f in found.iter_mut() {
        let padded = format!("{:0<width$}", f.4);
        match padded.parse::<i64>() {
            Ok(v) => f.1 = v,
            Err(_) => problems.push(SourceProblem::new(
                &f.3,
                format!("version {padded} (padded) does not fit a 64-bit integer"),
            )),
        }
    }
    // `found` is in file-name order: the padded versions must rise strictly with it.
    for pair in found.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.1 > b.1 {
            problems.push(SourceProblem::new(
                &b.3,
                format!(
                    "the Supabase CLI runs it after {} (file-name order), but its version {} reads as {} against {} when padded to {width} digits; give both the same number of digits",
                    a.3.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                    b.4,
                    b.1,
                    a.1
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
