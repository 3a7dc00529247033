//! One check's table -> a `Check`: the common keys (`id`, `description`, `schema`), the kind's
//! keys deserialized (each problem reported, the key dropped and the rest tried again), then the
//! kind's own validation and classification with personas and fixtures resolved. Must not read
//! files.

use super::keys::{explain, key_span, locate, missing_field, path_text, remove_path, PathSeg};
use super::*;

impl<'a> FileLoader<'a> {
    pub(super) fn load_check(
        &mut self,
        item: Item,
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

        // Deserialize, collecting every problem: on an error, report it, drop the offending key
        // and try again, so one bad key does not hide the next.
        // The success path deserializes the table itself; only the error path rebuilds it.
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
        let mut removed: Vec<String> = Vec::new();
        let mut removed_paths: Vec<Vec<PathSeg>> = Vec::new();
        let mut spec: Option<Spec> = None;
        for attempt in 0..32 {
            let current = if attempt == 0 {
                std::mem::take(&mut table)
            } else {
                rebuild(self, &removed_paths)
            };
            match Spec::deserialize(kind, Spanned::new(span.clone(), current))? {
                Ok(s) => {
                    spec = Some(s);
                    break;
                }
                Err(_) if self.quick => {
                    // The fast path only needs to know: the chunk is loaded again to explain.
                    self.at(None, String::new(), None);
                    break;
                }
                Err(e) => {
                    let msg = e.message().to_string();
                    if let Some(field) = missing_field(&msg) {
                        // After a dropped key, a missing one is most likely that key misspelt
                        // or mistyped: already reported. Inside a list of tables, drop the
                        // whole entry and go on, so the rest is still checked.
                        let in_entry = e
                            .span()
                            .filter(|s| *s != span)
                            .and_then(|s| locate(&rebuild(self, &removed_paths), &s))
                            .filter(|p| matches!(p.last(), Some(PathSeg::Index(_))));
                        if let (Some(p), false) = (&in_entry, removed.is_empty()) {
                            removed_paths.push(p.clone());
                            continue;
                        }
                        if removed.is_empty() {
                            let at = e.span().unwrap_or(span.clone());
                            let inner = if at == span {
                                None
                            } else {
                                locate(&self.original(&span), &at).map(|p| path_text(&p))
                            };
                            let message = match inner {
                                Some(p) if !p.is_empty() => {
                                    format!("[[{kind}]] `{p}` is missing `{field}`")
                                }
                                _ => format!("[[{kind}]] check is missing `{field}`"),
                            };
                            self.at(Some(at), message, None);
                        }
                        break;
                    }
                    let mut current = rebuild(self, &removed_paths);
                    let path = e.span().and_then(|s| locate(&current, &s));
                    let (message, hint) = explain(kind, &msg, path.as_deref());
                    self.at(e.span(), message, hint);
                    let Some(path) = path else { break };
                    if let Some(PathSeg::Key(k)) = path.last() {
                        removed.push(k.clone());
                    }
                    if !remove_path(&mut current, &path) {
                        break;
                    }
                    removed_paths.push(path);
                }
            }
        }

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
            let current = if dropped || !v.problems.is_empty() {
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
                    if path.is_empty() || removed.iter().any(|r| r == top) {
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
