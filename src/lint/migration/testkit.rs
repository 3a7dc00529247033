//! Test-only builders for migration rule unit tests: a set of files (exposed schema `public`)
//! and the lines a rule reports. Must not be used outside tests.

use super::{File, MigrationRule, Set};

/// A set of `(file name, sql)` in this order; a file whose first line is
/// `-- deskctl:no-transaction` runs outside a transaction, as in `migrate`.
pub fn set_of(files: &[(&str, &str)]) -> Set {
    let files = files
        .iter()
        .map(|(name, sql)| {
            let transactional = sql.lines().next().map(str::trim_end)
                != Some(crate::migrate::source::NO_TRANSACTION_MARKER);
            File::new(*name, sql, transactional)
        })
        .collect();
    Set::new(files, &["public".to_string()])
}

/// `file:line message | fix` of each hit of `rule` on these files, in order.
pub fn hits(rule: &MigrationRule, files: &[(&str, &str)]) -> Vec<String> {
    let set = set_of(files);
    assert!(
        set.files.iter().all(|f| f.syntax_error.is_none()),
        "test SQL does not parse: {:?}",
        set.files
            .iter()
            .map(|f| &f.syntax_error)
            .collect::<Vec<_>>()
    );
    (rule.check)(&set)
        .into_iter()
        .map(|h| {
            let f = &set.files[h.file];
            let line = f.line_col(f.statements[h.statement].start).0;
            format!("{}:{line} {} | {}", f.path.display(), h.message, h.fix)
        })
        .collect()
}

/// Just the `file:line` of each hit.
pub fn places(rule: &MigrationRule, files: &[(&str, &str)]) -> Vec<String> {
    hits(rule, files)
        .into_iter()
        .map(|h| h.split(' ').next().unwrap_or_default().to_string())
        .collect()
}
