//! The parses of migration files: many at once on the machine's cores, and the parses made in
//! this process kept for a later load of the same text. Parses through `crate::sqltext` only;
//! must not read files.

use std::path::Path;

use super::MigrationFile;
use crate::sqltext::Parsed;

/// Parse these files ([`MigrationFile::parsed`]) on the machine's cores, 32+ files per thread
/// (PostgreSQL's parser, libpg_query, is thread-safe); a file parsed before is not parsed again.
pub fn parse_all(files: &[&MigrationFile]) {
    crate::par::map_in_order(files, 32, 1, |f| {
        f.parsed();
    });
}

/// `body` (the text of the file at `path`) parsed, or the parse of this same text kept from
/// before; kept for the next time.
pub(super) fn parse_kept(path: &Path, body: &str) -> Parsed {
    memo::get(path, body).unwrap_or_else(|| {
        let parsed = Parsed::new(body);
        memo::keep(path, body, &parsed);
        parsed
    })
}

/// The parses made in this process, so that a second load of the same files (diagnose migrates
/// its ephemeral cluster, then places findings in the same files) parses each file once. A parse
/// is reused only for the same path with exactly the same text, so an edited file is parsed
/// again. At most `CAP` files are kept (all are dropped when that is reached).
mod memo {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use crate::sqltext::Parsed;

    const CAP: usize = 20_000;

    static KEPT: Mutex<Option<HashMap<PathBuf, (String, Parsed)>>> = Mutex::new(None);

    /// The kept parse of `path` when its text was exactly `body`.
    pub(super) fn get(path: &Path, body: &str) -> Option<Parsed> {
        let kept = KEPT.lock().ok()?;
        let (text, parsed) = kept.as_ref()?.get(path)?;
        (text == body).then(|| parsed.clone())
    }

    /// Keep a parse (shared with its file, not copied).
    pub(super) fn keep(path: &Path, body: &str, parsed: &Parsed) {
        let Ok(mut kept) = KEPT.lock() else { return };
        let map = kept.get_or_insert_with(HashMap::new);
        if map.len() >= CAP {
            map.clear();
        }
        map.insert(path.to_path_buf(), (body.to_string(), parsed.clone()));
    }
}
