//! The one place that reads SQL text. Statement boundaries and statement kinds come from
//! PostgreSQL's own parser (libpg_query, through the `pg_query` crate), never from a hand-written
//! lexer; also the byte <-> line:column arithmetic for reporting positions. Must not run SQL, read
//! files or decide policy: callers decide what to refuse from the [`Kind`] reported here.

pub mod check;
pub mod expr;
pub(crate) mod ffi;
mod index;
mod kind;
mod outline;
pub mod policy;
mod signature;

use std::sync::Arc;

use pg_query::protobuf::RawStmt;
pub use pg_query::NodeEnum;

use outline::Detail;

pub use index::created_index;
pub use kind::{adds_enum_value, and_chain, Kind, TxControl};
pub use signature::signature;

/// A per-thread memo of answers about texts (see [`remembered`]).
type TextMemo<T> = std::cell::RefCell<std::collections::HashMap<String, T>>;

/// The answer kept in `memo` for `text`, else `compute(text)`, kept for the next time. Each
/// thread keeps its own; beyond `cap` texts the memo starts over (bounded memory).
fn remembered<T: Clone + 'static>(
    memo: &'static std::thread::LocalKey<TextMemo<T>>,
    cap: usize,
    text: &str,
    compute: impl FnOnce(&str) -> T,
) -> T {
    if let Some(kept) = memo.with(|m| m.borrow().get(text).cloned()) {
        return kept;
    }
    let answer = compute(text);
    memo.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= cap {
            m.clear();
        }
        m.insert(text.to_string(), answer.clone());
    });
    answer
}

/// One top-level statement of a SQL text, as PostgreSQL's parser delimits it.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Byte offset of the statement's first token (leading blanks and comments excluded).
    pub start: usize,
    /// Byte offset just past the statement's last token (the terminating `;` excluded).
    pub end: usize,
    /// The parse tree's top node; `None` only from [`split_lenient`] when the text did not parse.
    pub node: Option<NodeEnum>,
}

impl Statement {
    /// The statement's text (no terminating `;`).
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }

    /// What the statement does to the transaction or the session; [`Kind::Other`] for
    /// everything else and for a statement that did not parse.
    pub fn kind(&self) -> Kind {
        self.node.as_ref().map_or(Kind::Other, kind::classify)
    }
}

/// PostgreSQL rejected the text: its message and, when the parser reports one, the byte offset
/// of the error in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
    pub at: Option<usize>,
}

/// Splits and parses `sql` into its top-level statements with PostgreSQL's parser.
///
/// `SET standard_conforming_strings` inside the text is honoured for the statements that follow
/// it, as the server would (the text is parsed again from that point with the new setting).
/// Empty statements (`;;`) are dropped.
pub fn parse(sql: &str) -> Result<Vec<Statement>, SyntaxError> {
    parse_from(sql, 0, true, Detail::Whole)
}

/// One parse of a text, shared by everyone who asked for it ([`parse_shared`]).
pub type SharedParse = Arc<Result<Vec<Statement>, SyntaxError>>;

/// [`parse`] of `sql`, shared with every caller in this process that parses the same text: a
/// check's SQL is read by the loader, by the refusal rules and by the runner, and each parse is a
/// protobuf encode in C and a decode in Rust. Texts up to `SHARED_MAX_LEN` bytes are kept, at most
/// `SHARED_MAX_TEXTS` of them (all are dropped when that is reached); longer ones are parsed
/// each time.
pub fn parse_shared(sql: &str) -> SharedParse {
    use std::collections::HashMap;
    use std::sync::Mutex;
    const SHARED_MAX_LEN: usize = 16 * 1024;
    const SHARED_MAX_TEXTS: usize = 50_000;
    static KEPT: Mutex<Option<HashMap<String, SharedParse>>> = Mutex::new(None);
    if sql.len() > SHARED_MAX_LEN {
        return Arc::new(parse(sql));
    }
    if let Some(p) = KEPT
        .lock()
        .ok()
        .and_then(|k| k.as_ref().and_then(|m| m.get(sql).cloned()))
    {
        return p;
    }
    let parsed = Arc::new(parse(sql));
    if let Ok(mut kept) = KEPT.lock() {
        let map = kept.get_or_insert_with(HashMap::new);
        if map.len() >= SHARED_MAX_TEXTS {
            map.clear();
        }
        map.insert(sql.to_string(), parsed.clone());
    }
    parsed
}

/// Like [`parse`], starting with `standard_conforming_strings` as given (`true` is the server's
/// default since 9.1).
pub fn parse_with(
    sql: &str,
    standard_conforming_strings: bool,
) -> Result<Vec<Statement>, SyntaxError> {
    parse_from(sql, 0, standard_conforming_strings, Detail::Whole)
}

fn parse_from(
    sql: &str,
    offset: usize,
    scs: bool,
    detail: Detail,
) -> Result<Vec<Statement>, SyntaxError> {
    let rest = &sql[offset..];
    if rest.contains('\0') {
        let at = offset + rest.find('\0').unwrap_or(0);
        return Err(SyntaxError {
            message: "the text contains a NUL byte (PostgreSQL does not accept it in SQL)".into(),
            at: Some(at),
        });
    }
    let options = if scs {
        pg_query::ParserOptions::DEFAULT
    } else {
        pg_query::ParserOptions::DISABLE_STANDARD_CONFORMING_STRINGS
    };
    let stmts = match parse_tree(rest, options, detail) {
        Ok(stmts) => stmts,
        Err(ffi::Rejected { message, cursor }) => {
            let at = cursor.map(|pos| char_pos_to_byte(rest, pos));
            // A `SET standard_conforming_strings` before the error changes how the rest lexes:
            // parse the text up to the last `;` before the error; if it holds such a switch, the
            // loop below re-parses from there with the new setting.
            match at.and_then(|at| prefix_before(rest, at, options, scs, detail)) {
                Some(prefix) => prefix,
                _ => {
                    return Err(SyntaxError {
                        message,
                        at: at.map(|a| offset + a),
                    })
                }
            }
        }
    };
    let mut out = Vec::with_capacity(stmts.len());
    for raw in stmts {
        let (start, end) = bounds(rest, &raw);
        let node = raw.stmt.and_then(|n| n.node);
        let switch = node.as_ref().and_then(kind::standard_conforming_strings);
        out.push(Statement {
            start: offset + start,
            end: offset + end,
            node,
        });
        if let Some(new_scs) = switch {
            if new_scs != scs {
                // Everything after this statement lexes differently: parse it again.
                let next = offset + after_semicolon(rest, end);
                out.extend(parse_from(sql, next, new_scs, detail)?);
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// The statements of `text` up to a top-level `;` before byte `at` that parse and hold a switch
/// of standard_conforming_strings away from `scs`, trying the last `;` first. Only texts that
/// name the setting can hold a switch, so others are not searched.
fn prefix_before(
    text: &str,
    at: usize,
    options: pg_query::ParserOptions,
    scs: bool,
    detail: Detail,
) -> Option<Vec<RawStmt>> {
    if !text
        .to_ascii_lowercase()
        .contains("standard_conforming_strings")
    {
        return None;
    }
    let head = &text[..floor_char_boundary(text, at)];
    // Cut points only: every candidate is verified by the parser below (a `;` inside a string
    // or comment yields a prefix that does not parse, or one without the switch).
    let semis: Vec<usize> = head.match_indices(';').map(|(i, _)| i + 1).collect();
    semis.iter().rev().take(64).find_map(|&semi| {
        let stmts = parse_tree(&text[..semi], options, detail).ok()?;
        stmts.iter().any(|r| switches(r, scs)).then_some(stmts)
    })
}

/// libpg_query's statements of `sql`, decoded in the detail asked for.
fn parse_tree(
    sql: &str,
    options: pg_query::ParserOptions,
    detail: Detail,
) -> Result<Vec<RawStmt>, ffi::Rejected> {
    let encoded = ffi::parse_encoded(sql, options)?;
    outline::decode(&encoded, detail).map_err(|e| ffi::Rejected {
        message: pg_query::Error::Decode(e).to_string(),
        cursor: None,
    })
}

/// True when the raw statement sets standard_conforming_strings to something other than `scs`.
fn switches(raw: &RawStmt, scs: bool) -> bool {
    raw.stmt
        .as_ref()
        .and_then(|n| n.node.as_ref())
        .and_then(kind::standard_conforming_strings)
        .is_some_and(|v| v != scs)
}

/// Statement boundaries even when the text does not parse (a migration with a syntax error the
/// server should report, or syntax newer than this parser): PostgreSQL's parser when it accepts
/// the text, otherwise PostgreSQL's own lexer (statements end at top-level semicolons; a
/// `BEGIN ATOMIC` body is then not kept whole). In the fallback each piece is parsed on its own:
/// its node is `Some` when that piece parses as exactly one statement, `None` otherwise.
pub fn split_lenient(sql: &str) -> Vec<Statement> {
    parse(sql).unwrap_or_else(|_| lenient_pieces(sql, Detail::Whole))
}

/// A text read by PostgreSQL's parser once, for every caller that needs its statements: the
/// migration files are parsed when they are loaded, and `migrate`'s transaction-control notice,
/// lint gate and runner all read this instead of parsing the text again (each parse is a
/// protobuf encode in C and a decode in Rust: most of `migrate`'s own CPU for 1,000 files).
/// In outline: a `CREATE POLICY`'s `qual` and `with_check` are `None` (no reader of a migration
/// set looks at them, and they are half of a policy-heavy file's tree); parse the statement's
/// text with [`parse`] for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// [`parse`]'s statements when the text parses, else [`split_lenient`]'s pieces. Shared:
    /// cloning a `Parsed` does not copy the parse trees.
    pub statements: Arc<[Statement]>,
    /// Why [`parse`] rejected the text.
    pub error: Option<SyntaxError>,
}

impl Parsed {
    pub fn new(sql: &str) -> Parsed {
        match parse_from(sql, 0, true, Detail::Outline) {
            Ok(stmts) => Parsed {
                statements: stmts.into(),
                error: None,
            },
            Err(e) => Parsed {
                statements: lenient_pieces(sql, Detail::Outline).into(),
                error: Some(e),
            },
        }
    }

    /// [`parse`]'s answer: the statements, or the syntax error.
    pub fn strict(&self) -> Result<&[Statement], &SyntaxError> {
        match &self.error {
            None => Ok(&self.statements),
            Some(e) => Err(e),
        }
    }
}

/// [`split_lenient`] of a text [`parse`] rejected, each piece decoded in `detail`.
fn lenient_pieces(sql: &str, detail: Detail) -> Vec<Statement> {
    let Ok(pieces) = pg_query::split_with_scanner(sql) else {
        // Not even the lexer accepts it (an unterminated quote or comment): one statement.
        return trimmed(sql, 0, sql.len()).into_iter().collect();
    };
    let base = sql.as_ptr() as usize;
    pieces
        .into_iter()
        .filter_map(|p| {
            let start = p.as_ptr() as usize - base;
            let mut st = trimmed(sql, start, start + p.len())?;
            if let Ok(mut one) = parse_from(st.text(sql), 0, true, detail) {
                if one.len() == 1 {
                    st.node = one.pop().and_then(|s| s.node);
                }
            }
            Some(st)
        })
        .collect()
}

/// Byte offset (in `sql`) of the first dollar-quoted string constant of `stmt` (`$$`, `$body$`),
/// as PostgreSQL's lexer sees it: where a DO block's or function's body starts.
pub fn dollar_quote_start(sql: &str, stmt: &Statement) -> Option<usize> {
    let text = stmt.text(sql);
    let scan = pg_query::scan(text).ok()?;
    scan.tokens
        .iter()
        .find(|t| {
            t.token == pg_query::protobuf::Token::Sconst as i32
                && text[t.start as usize..].starts_with('$')
        })
        .map(|t| stmt.start + t.start as usize)
}

/// The byte range of a raw statement with leading blanks/comments and the `;` excluded.
fn bounds(text: &str, raw: &RawStmt) -> (usize, usize) {
    let start = raw.stmt_location.max(0) as usize;
    let end = if raw.stmt_len == 0 {
        text.len()
    } else {
        start + raw.stmt_len as usize
    };
    trimmed(text, start, end.min(text.len())).map_or((start, start), |s| (s.start, s.end))
}

/// `[start, end)` without leading and trailing blanks and comments, as PostgreSQL's lexer sees
/// them; `None` when nothing else is left.
fn trimmed(text: &str, start: usize, end: usize) -> Option<Statement> {
    let piece = &text[start..end];
    // No comment opener, no `;`, no vertical tab: only blanks can surround the code,
    // and PostgreSQL's lexer would drop exactly these (a migration of 1,000 files has ~6,000
    // statements; lexing each again was a fifth of `migrate`'s CPU). Anything else is lexed.
    // (ASCII only: the lexer has its own view of other characters at the edges, e.g. U+00A0.)
    if piece.is_ascii()
        && !piece.contains("--")
        && !piece.contains("/*")
        && !piece.contains([';', '\x0b'])
    {
        const BLANK: [char; 5] = [' ', '\t', '\n', '\r', '\x0c'];
        let body = piece.trim_matches(BLANK);
        let lead = piece.len() - piece.trim_start_matches(BLANK).len();
        return (!body.is_empty()).then(|| Statement {
            start: start + lead,
            end: start + lead + body.len(),
            node: None,
        });
    }
    trimmed_by_lexer(text, start, end)
}

/// [`trimmed`] by PostgreSQL's lexer alone.
fn trimmed_by_lexer(text: &str, start: usize, end: usize) -> Option<Statement> {
    let piece = &text[start..end];
    let Ok(scan) = pg_query::scan(piece) else {
        // The lexer gives up (an unterminated quote or comment): keep the text, trimmed.
        let lead = piece.len() - piece.trim_start().len();
        let body = piece.trim();
        return (!body.is_empty()).then(|| Statement {
            start: start + lead,
            end: start + lead + body.len(),
            node: None,
        });
    };
    let tokens = scan.tokens;
    let code: Vec<_> = tokens
        .iter()
        .filter(|t| !is_comment(t.token) && t.token != pg_query::protobuf::Token::Ascii59 as i32)
        .collect();
    let first = code.first()?;
    let last = code.last()?;
    Some(Statement {
        start: start + first.start as usize,
        end: start + last.end as usize,
        node: None,
    })
}

fn is_comment(token: i32) -> bool {
    token == pg_query::protobuf::Token::SqlComment as i32
        || token == pg_query::protobuf::Token::CComment as i32
}

/// The byte offset just past the `;` that ends the statement ending at `end` (or `end`).
fn after_semicolon(text: &str, end: usize) -> usize {
    let rest = &text[end..];
    let Ok(scan) = pg_query::scan(rest) else {
        return end;
    };
    match scan.tokens.iter().find(|t| !is_comment(t.token)) {
        Some(t) if t.token == pg_query::protobuf::Token::Ascii59 as i32 => end + t.end as usize,
        _ => end,
    }
}

/// A PostgreSQL error position (1-based, in characters) as a byte offset into `text`.
pub fn char_pos_to_byte(text: &str, pos: usize) -> usize {
    text.char_indices()
        .nth(pos.saturating_sub(1))
        .map_or(text.len(), |(b, _)| b)
}

/// 1-based line and column (in characters) of byte offset `byte` in `text`.
pub fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let byte = byte.min(text.len());
    let before = &text[..floor_char_boundary(text, byte)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// [`line_col`] for many offsets of one text: the line starts are found once, so placing every
/// statement of a large file is linear, not quadratic.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of each line's first character.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        LineIndex {
            text,
            starts: line_starts(text),
        }
    }

    /// The same as [`line_col`]`(text, byte)`.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        line_col_with(self.text, &self.starts, byte)
    }
}

/// Byte offset of each line's first character (for [`line_col_with`]; owners of a text keep it
/// beside the text where a borrowing [`LineIndex`] does not fit).
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    starts
}

/// [`line_col`] with the text's [`line_starts`]: a binary search, not a scan from the start.
pub fn line_col_with(text: &str, starts: &[usize], byte: usize) -> (usize, usize) {
    let b = floor_char_boundary(text, byte.min(text.len()));
    let line = starts.partition_point(|&s| s <= b).max(1);
    let col = text[starts[line - 1]..b].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod line_index_tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_line_col() {
        let text = "ab\n\nçé\r\n  x;\n";
        let ix = LineIndex::new(text);
        for b in 0..=text.len() + 2 {
            assert_eq!(ix.line_col(b), line_col(text, b), "byte {b}");
        }
    }
}

#[cfg(test)]
mod tests;
