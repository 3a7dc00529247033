//! Where a problem is in a check's table and how to say it: paths of keys and indexes, their
//! spans, removing a key or entry so the rest can be read, and the words for what the key
//! schema found (`walk::What`). Must not decide what is a problem.

use super::walk::What;
use super::*;

/// A problem the key schema found, for users: (message, hint). `label` names the table
/// (`[[rls]]`, `[personas.alice]`); `common`: keys every table of its kind also takes.
pub(super) fn say(
    label: &str,
    path: &[PathSeg],
    what: &What,
    common: &[&'static str],
) -> (String, Option<String>) {
    let at = path_text(path);
    match what {
        What::UnknownKey { key, known } => {
            let nested = path.len() > 1;
            let mut expected: Vec<&str> = known.clone();
            if !nested {
                expected.extend(common);
            }
            let hint = match closest(key, expected.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None if expected.is_empty() => "this table takes no keys".to_string(),
                None => format!("valid keys: {}", expected.join(", ")),
            };
            let where_ = if nested {
                format!(" in `{}`", path_text(&path[..path.len() - 1]))
            } else {
                String::new()
            };
            (
                format!("unknown key `{key}` in {label}{where_}"),
                Some(hint),
            )
        }
        What::UnknownWord { word, words } => {
            let hint = match closest(word, words.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("use one of: {}", words.join(", ")),
            };
            (
                format!("{label} `{at}`: unknown value `{word}`"),
                Some(hint),
            )
        }
        What::WrongType {
            expected,
            found,
            words,
        } => {
            let hint = if !words.is_empty() {
                Some(format!("use one of: {}", words.join(", ")))
            } else if *found == "datetime" && expected.contains("text") {
                Some("dates and times are written as text, in quotes".to_string())
            } else {
                None
            };
            (
                format!("{label} `{at}` must be {expected}, found {found}"),
                hint,
            )
        }
        What::Missing { key, .. } if at.is_empty() => (format!("{label} is missing `{key}`"), None),
        What::Missing { key, .. } => (format!("{label} `{at}` is missing `{key}`"), None),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathSeg {
    Key(String),
    Index(usize),
}

pub(super) fn path_text(path: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSeg::Index(i) => s.push_str(&format!("[{}]", i + 1)),
        }
    }
    s
}

/// A path as the kinds' validation writes it: `step.0.expect` (indexes from 0).
pub(super) fn dotted(path: &[PathSeg]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            PathSeg::Key(k) => k.clone(),
            PathSeg::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
}

/// Remove the key or element at `path`. False when nothing was removed.
pub(super) fn remove_path(table: &mut DeTable, path: &[PathSeg]) -> bool {
    match path {
        [PathSeg::Key(k)] => table.remove(k.as_str()).is_some(),
        [PathSeg::Key(k), rest @ ..] => match table.get_mut(k.as_str()) {
            Some(v) => remove_in_value(v.get_mut(), rest),
            None => false,
        },
        _ => false,
    }
}

pub(super) fn remove_in_value(v: &mut DeValue, path: &[PathSeg]) -> bool {
    match (v, path) {
        (DeValue::Table(t), _) => remove_path(t, path),
        (DeValue::Array(a), [PathSeg::Index(i)]) => {
            if *i >= a.len() {
                return false;
            }
            let mut kept = DeArray::new();
            for (j, el) in a.iter().enumerate() {
                if j != *i {
                    kept.push(el.clone());
                }
            }
            *a = kept;
            true
        }
        (DeValue::Array(a), [PathSeg::Index(i), rest @ ..]) => match a.get_mut(*i) {
            Some(el) => remove_in_value(el.get_mut(), rest),
            None => false,
        },
        _ => false,
    }
}

/// Span of a key path written `a.b.2.c` (numbers index arrays, counted from 0); for a missing
/// key, the span of its parent.
pub(super) fn key_span(table: &DeTable, path: &str) -> Option<Range<usize>> {
    if path.is_empty() {
        return None;
    }
    let mut segs = path.split('.');
    let first = segs.next()?;
    let (k, v) = table.get_key_value(first)?;
    let mut best = k.span();
    let mut cur: &Spanned<DeValue> = v;
    for seg in segs {
        let next = match (cur.get_ref(), seg.parse::<usize>()) {
            (DeValue::Array(a), Ok(i)) => a.get(i),
            (DeValue::Table(t), _) => t.get(seg),
            _ => None,
        };
        match next {
            Some(n) => {
                best = match (cur.get_ref(), seg.parse::<usize>()) {
                    (DeValue::Table(t), _) => t
                        .get_key_value(seg)
                        .map(|(k, _)| k.span())
                        .unwrap_or(n.span()),
                    _ => n.span(),
                };
                cur = n;
            }
            None => break,
        }
    }
    Some(best)
}
