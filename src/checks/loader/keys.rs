//! Where a deserialization problem is in a check's table, and how to say it: paths of keys and
//! indexes, their spans, removing a key to try again. NOTE: `missing_field` and `explain` read
//! serde's English wording ("missing field", "unknown field", "unknown variant"); replacing
//! them with a per-kind key schema walked over toml's spanned values is issue 11's open step.

use super::*;

/// `missing field `x`` → x.
pub(super) fn missing_field(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// Backtick-quoted words of a serde message: `unknown field `a`, expected one of `b`, `c``.
pub(super) fn ticked(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// Turn a serde message into our wording, with a did-you-mean hint.
pub(super) fn explain(kind: &str, msg: &str, path: Option<&[PathSeg]>) -> (String, Option<String>) {
    let at = path.map(path_text).filter(|p| !p.is_empty());
    if msg.starts_with("unknown field") {
        let words = ticked(msg);
        let bad = words.first().copied().unwrap_or("?");
        let mut expected: Vec<&str> = words.iter().skip(1).copied().collect();
        let nested = path.is_some_and(|p| p.len() > 1);
        if !nested {
            expected.extend(COMMON_KEYS);
        }
        let hint = match closest(bad, expected.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None if expected.is_empty() => "this table takes no keys".to_string(),
            None => format!("valid keys: {}", expected.join(", ")),
        };
        let where_ = match (nested, &at) {
            (true, Some(p)) => format!(" in `{}`", p.rsplit_once('.').map(|x| x.0).unwrap_or(p)),
            _ => String::new(),
        };
        return (
            format!("unknown key `{bad}` in [[{kind}]]{where_}"),
            Some(hint),
        );
    }
    if msg.starts_with("unknown variant") {
        let words = ticked(msg);
        let bad = words.first().copied().unwrap_or("?");
        let expected: Vec<&str> = words.iter().skip(1).copied().collect();
        let hint = match closest(bad, expected.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("use one of: {}", expected.join(", ")),
        };
        let key = at.map(|p| format!("`{p}`: ")).unwrap_or_default();
        return (format!("[[{kind}]] {key}unknown value `{bad}`"), Some(hint));
    }
    let key = at.map(|p| format!("`{p}`: ")).unwrap_or_default();
    (format!("[[{kind}]] {key}{}", msg.trim()), None)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PathSeg {
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

pub(super) fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The deepest key / array element whose key or value span contains `span`.
pub(super) fn locate(table: &DeTable, span: &Range<usize>) -> Option<Vec<PathSeg>> {
    for (k, v) in table.iter() {
        if contains(&k.span(), span) {
            return Some(vec![PathSeg::Key(k.get_ref().to_string())]);
        }
        if contains(&v.span(), span) {
            let mut path = vec![PathSeg::Key(k.get_ref().to_string())];
            if let Some(rest) = locate_value(v.get_ref(), span) {
                path.extend(rest);
            }
            return Some(path);
        }
    }
    None
}

pub(super) fn locate_value(v: &DeValue, span: &Range<usize>) -> Option<Vec<PathSeg>> {
    match v {
        DeValue::Table(t) => locate(t, span),
        DeValue::Array(a) => {
            for (i, el) in a.iter().enumerate() {
                if contains(&el.span(), span) {
                    let mut path = vec![PathSeg::Index(i)];
                    if let Some(rest) = locate_value(el.get_ref(), span) {
                        path.extend(rest);
                    }
                    return Some(path);
                }
            }
            None
        }
        _ => None,
    }
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
