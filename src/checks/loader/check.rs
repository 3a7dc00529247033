//! One check's table -> a `Check`: the common keys (`id`, `description`, `schema`), the kind's
//! keys judged against its key schema (`walk`: every problem at its own key or value, decided
//! from data, never from serde's wording), then deserialized, then the kind's own validation and
//! classification with personas and fixtures resolved. Must not read files.

use super::keys::{dotted, key_span, path_text, remove_path, say, PathSeg};
use super::walk::{walk, Issue, Root, What};
use super::*;

impl<'a> FileLoader<'a> {
    pub(super) fn load_check(
        &mut self,
        item: CheckTable,
        file_schema: &str,
        stem: &str,
    ) -> Option<(Check, Option<Range<usize>>)> {
        let span = item.span.clone();
        let (line, col) = self.lines.line_col(self.text, span.start);
        let line = line + self.base_line;
        let location = Location {
            file: self.path.to_path_buf(),
            line,
            col,
        };
        let kind = item.kind;
        let mut table = item.table;
        let before = self.problems.len();

        // Common keys.
        let id_entry = table.remove_entry("id");
        let mut id_span = None;
        let mut id = format!("{stem}:{kind}-{}", item.n);
        if let Some((_, v)) = id_entry {
            match v.get_ref() {
                DeValue::String(s) if valid_id(s) => {
                    id = s.to_string();
                    let r = v.span();
                    let shift = item.offset + self.base_offset;
                    id_span = Some((r.start + shift)..(r.end + shift));
                }
                DeValue::String(s) => self.at(
                    Some(v.span()),
                    format!("invalid check id `{s}`"),
                    Some(
                        "ids use letters, digits and _ - . : / (no spaces), e.g. \"rls-chat-tables\""
                            .to_string(),
                    ),
                ),
                other => self.at(
                    Some(v.span()),
                    format!("`id` must be text, found {}", other.type_str()),
                    None,
                ),
            }
        }
        let mut description = None;
        if let Some((_, v)) = table.remove_entry("description") {
            match v.get_ref() {
                DeValue::String(s) => description = Some(s.to_string()),
                other => self.at(
                    Some(v.span()),
                    format!("`description` must be text, found {}", other.type_str()),
                    None,
                ),
            }
        }
        let mut schema = file_schema.to_string();
        if let Some((_, v)) = table.remove_entry("schema") {
            match v.get_ref() {
                DeValue::String(s) if !s.trim().is_empty() => schema = s.to_string(),
                _ => self.at(
                    Some(v.span()),
                    "`schema` must be a schema name (text)".to_string(),
                    None,
                ),
            }
        }

        // Judge the keys as written against the kind's key schema, each problem at its own
        // place; then deserialize what is left of the table (a bad key, a bad list entry taken
        // out), so that the kind's own validation still reports the other keys' problems.
        let serde_names = |p: &[PathSeg]| Spec::serde_names(kind, p);
        let issues = walk(Root::Kind(kind), &table, span.clone(), &serde_names);
        let mut removed: Vec<String> = Vec::new();
        // Nested tables that lost a key, as the kinds' validation names them (`step.0`).
        let mut lost_keys: Vec<String> = Vec::new();
        let mut removed_paths: Vec<Vec<PathSeg>> = Vec::new();
        let mut spec: Option<Spec> = None;
        if issues.is_empty() {
            match Spec::deserialize(kind, Spanned::new(span.clone(), table))? {
                Ok(s) => spec = Some(s),
                // The fast path only needs to know: the chunk is loaded again to explain.
                Err(_) if self.quick => self.at(None, String::new(), None),
                // What the key schema cannot see (a number out of range...): serde's own words.
                Err(e) => self.at(
                    Some(e.span().unwrap_or(span.clone())),
                    format!("[[{kind}]] {}", e.message().trim()),
                    None,
                ),
            }
        } else if self.quick {
            self.at(None, String::new(), None);
        } else {
            let label = format!("[[{kind}]]");
            let mut readable = true;
            for Issue {
                path,
                span: at,
                what,
            } in issues
            {
                match what {
                    // After a problem of a key, a missing key is most likely that key misspelt or
                    // mistyped: already reported. A list entry missing it is left out, so the
                    // rest is still read.
                    What::Missing {
                        after_problem: true,
                        ..
                    } => {
                        if matches!(path.last(), Some(PathSeg::Index(_))) {
                            removed_paths.push(path);
                        } else {
                            readable = false;
                        }
                    }
                    What::Missing { key, .. } => {
                        readable = false;
                        let message = if path.is_empty() {
                            format!("{label} check is missing `{key}`")
                        } else {
                            format!("{label} `{}` is missing `{key}`", path_text(&path))
                        };
                        self.at(Some(at), message, None);
                    }
                    what => {
                        let (message, hint) = say(&label, &path, &what, COMMON_KEYS);
                        self.at(Some(at), message, hint);
                        if let Some(PathSeg::Key(k)) = path.last() {
                            removed.push(k.clone());
                            if path.len() > 1 {
                                lost_keys.push(dotted(&path[..path.len() - 1]));
                            }
                        }
                        removed_paths.push(path);
                    }
                }
            }
            // Later entries of a list first, so earlier paths still point where they did.
            removed_paths.reverse();
            if readable {
                let mut t = table;
                for p in &removed_paths {
                    remove_path(&mut t, p);
                }
                // An error here follows from a problem reported above.
                if let Some(Ok(s)) = Spec::deserialize(kind, Spanned::new(span.clone(), t)) {
                    spec = Some(s);
                }
            }
        }
        let rebuild = |this: &mut Self, removed_paths: &[Vec<PathSeg>]| {
            let mut t = this.original(&span);
            for k in COMMON_KEYS {
                t.remove(*k);
            }
            for p in removed_paths {
                remove_path(&mut t, p);
            }
            t
        };

        // Semantic validation. After dropped keys, only problems of a key that is still there
        // (a whole-check problem may just be the dropped key's absence).
        if let Some(spec) = &mut spec {
            let dropped = self.problems.len() != before;
            let mut v = Validator::default();
            if let Some(g) = spec.given_mut() {
                g.resolve(&self.defs.defs, &mut v);
            }
            spec.validate(&mut v);
            if self.quick && !v.problems.is_empty() {
                self.at(None, String::new(), None);
                return None;
            }
            let current = if !v.problems.is_empty() {
                Some(if dropped {
                    rebuild(self, &removed_paths)
                } else {
                    self.original(&span)
                })
            } else {
                None
            };
            for KeyProblem {
                path,
                message,
                hint,
            } in v.problems
            {
                if dropped {
                    let top = path.split('.').next().unwrap_or_default();
                    // A problem of a table that lost a key (a step without its misspelt
                    // `expect`) is most likely that key's absence.
                    let in_table = |p: &String| {
                        path == *p
                            || path
                                .strip_prefix(p.as_str())
                                .is_some_and(|r| r.starts_with('.'))
                    };
                    if path.is_empty()
                        || removed.iter().any(|r| r == top)
                        || lost_keys.iter().any(in_table)
                    {
                        continue;
                    }
                }
                let at = current
                    .as_ref()
                    .and_then(|t| key_span(t, &path))
                    .unwrap_or(span.clone());
                self.at(Some(at), format!("[[{kind}]] {message}"), hint);
            }
        }
        if self.problems.len() != before {
            return None;
        }
        Some((
            Check {
                id,
                description,
                location,
                schema,
                spec: spec?,
            },
            id_span,
        ))
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/'))
}
