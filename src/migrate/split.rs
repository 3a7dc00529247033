//! Splits SQL text into top-level statements the way psql does (quotes, `E''` strings, dollar
//! quotes, nested comments, parentheses, `BEGIN ATOMIC ... END` bodies) and maps PostgreSQL error
//! positions back to line:column. Pure text work: must not run SQL or read files.

/// One top-level statement of a SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte offset of the statement's first token (leading blanks and comments excluded).
    pub start: usize,
    /// Byte offset just past the terminating `;` (or the end of the text).
    pub end: usize,
    /// The first two words, lowercased (`["create", "table"]`), for transaction-control detection.
    pub words: Vec<String>,
}

impl Statement {
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }

    /// `BEGIN`, `COMMIT`, `ROLLBACK`, ... at the top level of a file: the statement ends or
    /// starts a transaction. `None` for anything else.
    pub fn transaction_control(&self) -> Option<String> {
        let first = self.words.first()?.as_str();
        let second = self.words.get(1).map(String::as_str);
        let hit = match first {
            "begin" | "commit" | "end" | "abort" => true,
            "start" => second == Some("transaction"),
            // ROLLBACK TO SAVEPOINT stays inside the transaction.
            "rollback" => second != Some("to"),
            _ => false,
        };
        hit.then(|| first.to_uppercase())
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// The length of a dollar-quote tag (`$$`, `$body$`) starting at `i`, if one starts there.
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    debug_assert_eq!(b[i], b'$');
    let mut j = i + 1;
    if j < b.len() && b[j] == b'$' {
        return Some(2);
    }
    if j >= b.len() || !is_ident_start(b[j]) {
        return None;
    }
    while j < b.len() && (is_ident_start(b[j]) || b[j].is_ascii_digit()) {
        j += 1;
    }
    (j < b.len() && b[j] == b'$').then_some(j + 1 - i)
}

/// Index just past a quoted section that starts at `i` (the opening quote), `escapes`
/// enabling backslash escapes (`E'...'`). Unterminated: the end of the text.
pub(crate) fn skip_quoted(b: &[u8], i: usize, quote: u8, escapes: bool) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if escapes && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == quote {
            if j + 1 < b.len() && b[j + 1] == quote {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// Split `sql` into statements. Empty statements (only blanks, comments or `;`) are dropped.
pub fn split(sql: &str) -> Vec<Statement> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut first_token: Option<usize> = None;
    let mut words: Vec<String> = Vec::new();
    let mut paren = 0usize;
    let mut begin_depth = 0usize;
    // psql's heuristic for CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END.
    let mut idents = [0u8; 4];
    let mut ident_count = 0usize;

    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && next == Some(b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && next == Some(b'*') {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        first_token.get_or_insert(i);
        match c {
            b'\'' => i = skip_quoted(b, i, b'\'', false),
            b'"' => i = skip_quoted(b, i, b'"', false),
            b'$' => match dollar_tag(b, i) {
                Some(len) => {
                    let tag = &b[i..i + len];
                    let body = i + len;
                    i = b[body..]
                        .windows(len)
                        .position(|w| w == tag)
                        .map(|p| body + p + len)
                        .unwrap_or(b.len());
                }
                None => {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            },
            b'(' => {
                paren += 1;
                i += 1;
            }
            b')' => {
                paren = paren.saturating_sub(1);
                i += 1;
            }
            b';' => {
                i += 1;
                if paren == 0 && begin_depth == 0 {
                    if let Some(start) = first_token.take() {
                        if start < i - 1 {
                            out.push(Statement {
                                start,
                                end: i,
                                words: std::mem::take(&mut words),
                            });
                        }
                    }
                    words.clear();
                    ident_count = 0;
                }
            }
            _ if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
            }
            _ if is_ident_start(c) => {
                let s = i;
                while i < b.len() && is_ident_char(b[i]) {
                    i += 1;
                }
                let word = &sql[s..i];
                // E'...' / e'...': backslash escapes.
                if (word == "E" || word == "e") && b.get(i) == Some(&b'\'') {
                    i = skip_quoted(b, i, b'\'', true);
                    continue;
                }
                let lower = word.to_ascii_lowercase();
                if words.len() < 2 {
                    words.push(lower.clone());
                }
                if ident_count == 0 {
                    idents = [0; 4];
                }
                if matches!(
                    lower.as_str(),
                    "create" | "function" | "procedure" | "or" | "replace"
                ) && ident_count < idents.len()
                {
                    idents[ident_count] = lower.as_bytes()[0];
                }
                ident_count += 1;
                let in_routine = idents[0] == b'c'
                    && (idents[1] == b'f'
                        || idents[1] == b'p'
                        || (idents[1] == b'o'
                            && idents[2] == b'r'
                            && (idents[3] == b'f' || idents[3] == b'p')));
                if in_routine && paren == 0 {
                    match lower.as_str() {
                        "begin" => begin_depth += 1,
                        "case" if begin_depth >= 1 => begin_depth += 1,
                        "end" => begin_depth = begin_depth.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            _ => i += 1,
        }
    }
    if let Some(start) = first_token {
        out.push(Statement {
            start,
            end: b.len(),
            words,
        });
    }
    out
}

/// Byte offset of the 1-based character position `pos` in `text` (PostgreSQL's error
/// `position` counts characters). Positions past the end map to the end.
pub fn char_pos_to_byte(text: &str, pos: usize) -> usize {
    text.char_indices()
        .nth(pos.saturating_sub(1))
        .map(|(b, _)| b)
        .unwrap_or(text.len())
}

/// 1-based line and column (characters) of a byte offset.
pub fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    crate::config::line_col(text, byte)
}

/// The line of the first dollar quote opening in `stmt` (1-based, in `sql`), where a
/// PL/pgSQL body starts: its "line N" is file line (this + N - 1).
pub fn body_start_line(sql: &str, stmt: &Statement) -> Option<usize> {
    let b = sql.as_bytes();
    let mut i = stmt.start;
    while i < stmt.end {
        match b[i] {
            b'\'' => i = skip_quoted(b, i, b'\'', false),
            b'"' => i = skip_quoted(b, i, b'"', false),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < stmt.end && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'$' if i == 0 || !is_ident_char(b[i - 1]) => {
                if dollar_tag(b, i).is_some() {
                    return Some(line_col(sql, i).0);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql).iter().map(|s| s.text(sql)).collect()
    }

    #[test]
    fn plain_statements_and_comments() {
        let sql = "-- head\ncreate table a (x int);\n/* c; /* nested; */ */ insert into a values (1);\n;;\nselect 1";
        assert_eq!(
            texts(sql),
            vec![
                "create table a (x int);",
                "insert into a values (1);",
                "select 1"
            ]
        );
    }

    #[test]
    fn quotes_and_dollar_quotes_hide_semicolons() {
        let sql = "select 'a;''b', E'x\\';y', \"q;\"\"x\";\n\
                   create function f() returns int language plpgsql as $fn$ begin return 1; end; $fn$;\n\
                   do $$ begin perform 1; end $$;\nselect $1, a$b$ from t;";
        let t = texts(sql);
        assert_eq!(t.len(), 4, "{t:#?}");
        assert!(t[1].ends_with("$fn$;"));
        assert!(t[2].starts_with("do $$"));
        assert_eq!(t[3], "select $1, a$b$ from t;");
    }

    #[test]
    fn begin_atomic_bodies_and_parentheses() {
        let sql = "create or replace function f() returns int language sql\nbegin atomic\n  select 1;\n  select case when true then 2 end;\nend;\n\
                   create rule r as on insert to t do also (insert into u values (1); insert into u values (2));\n\
                   begin;\ncommit;";
        let st = split(sql);
        assert_eq!(st.len(), 4, "{:#?}", texts(sql));
        assert!(st[0].text(sql).ends_with("end;"));
        assert_eq!(st[2].transaction_control().as_deref(), Some("BEGIN"));
        assert_eq!(st[3].transaction_control().as_deref(), Some("COMMIT"));
        assert_eq!(st[0].transaction_control(), None);
    }

    #[test]
    fn transaction_control_words() {
        let tc = |s: &str| split(s)[0].transaction_control();
        assert_eq!(tc("START TRANSACTION;").as_deref(), Some("START"));
        assert_eq!(tc("rollback to savepoint a;"), None);
        assert_eq!(tc("Rollback;").as_deref(), Some("ROLLBACK"));
        assert_eq!(tc("start_x();"), None);
    }

    #[test]
    fn positions_map_to_lines_in_characters() {
        let sql = "select 'é';\nselect nope;";
        let b = char_pos_to_byte(sql, 20);
        assert_eq!(&sql[b..b + 4], "nope");
        assert_eq!(line_col(sql, b), (2, 8));
    }

    #[test]
    fn body_line_of_a_do_block() {
        let sql = "select 1;\n\ndo\n$body$\nbegin\n  raise 'x';\nend\n$body$;";
        let st = split(sql);
        assert_eq!(body_start_line(sql, &st[1]), Some(4));
    }

    #[test]
    fn unterminated_constructs_end_the_text() {
        assert_eq!(texts("select 'abc"), vec!["select 'abc"]);
        assert_eq!(texts("select $$abc"), vec!["select $$abc"]);
        assert_eq!(texts("/* open"), Vec::<&str>::new());
    }
}
