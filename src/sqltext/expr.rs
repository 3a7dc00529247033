//! SQL expressions and function bodies as PostgreSQL's parser reads them: a canonical form of an
//! expression (policy USING / WITH CHECK) for comparisons robust to whitespace, redundant
//! parentheses and deparse differences between server versions; token-level line wrapping; a
//! body fingerprint; and what a PL/pgSQL trigger function demonstrably rejects (from
//! `pg_query::parse_plpgsql`). Must not run SQL or decide policy.

use std::collections::BTreeSet;

use pg_query::protobuf::Token;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The expression in PostgreSQL's canonical spelling: parsed as `SELECT (<expr>)` and deparsed
/// (whitespace, comments and redundant parentheses gone; keywords, casts and literals kept).
/// `None` when it is not one expression.
pub fn canonical(expr: &str) -> Option<String> {
    let sql = format!("SELECT ({expr})");
    let parsed = pg_query::parse(&sql, pg_query::ParserOptions::DEFAULT).ok()?;
    if parsed.protobuf.stmts.len() != 1 {
        return None;
    }
    let text = parsed.deparse(Default::default()).ok()?;
    Some(text.strip_prefix("SELECT ").unwrap_or(&text).to_string())
}

/// Whether two expressions are the same logic as PostgreSQL's parser reads them. Texts that do
/// not parse are compared token by token (whitespace and comments ignored).
///
/// Cheapest first, each step exact: the same text; the same tokens as PostgreSQL's scanner
/// splits them (layout and comments differ only: a snapshot's wrapped lines against the server's
/// one-line text); only then both texts parsed and deparsed (parentheses, deparse differences
/// between server versions). A 1,000-table snapshot compares ~8,000 expressions, nearly all
/// identical: parsing each costs ~100x the scan.
pub fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Some(x), Some(y)) = (tokens(a), tokens(b)) {
        let (ta, tb) = (
            x.iter().map(|&(s, e)| &a[s..e]),
            y.iter().map(|&(s, e)| &b[s..e]),
        );
        if x.len() == y.len() && ta.eq(tb) {
            return true;
        }
    }
    match (canonical(a), canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => token_texts(a) == token_texts(b),
    }
}

/// The tokens of `sql` as PostgreSQL's scanner splits it, comments left out; `None` when the
/// scanner rejects it (an unterminated literal).
fn tokens(sql: &str) -> Option<Vec<(usize, usize)>> {
    let scanned = pg_query::scan(sql).ok()?;
    Some(
        scanned
            .tokens
            .iter()
            .filter(|t| t.token != Token::SqlComment as i32 && t.token != Token::CComment as i32)
            .map(|t| (t.start as usize, t.end as usize))
            .filter(|(s, e)| s < e && *e <= sql.len())
            .collect(),
    )
}

fn token_texts(sql: &str) -> Vec<String> {
    match tokens(sql) {
        Some(t) => t.into_iter().map(|(s, e)| sql[s..e].to_string()).collect(),
        None => sql.split_whitespace().map(str::to_string).collect(),
    }
}

/// `sql` on lines of at most about `width` characters, broken only between tokens (never inside
/// a literal or an identifier); one line when it fits or does not scan.
pub fn wrap(sql: &str, width: usize) -> Vec<String> {
    let Some(toks) = tokens(sql) else {
        return vec![sql.to_string()];
    };
    if toks.is_empty() {
        return vec![sql.trim().to_string()];
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut prev_end: Option<usize> = None;
    for (s, e) in toks {
        let tok = &sql[s..e];
        // Keep the spacing the text had between tokens (none or one blank).
        let spaced = prev_end.is_some_and(|p| p < s);
        if spaced && line.len() + 1 + tok.len() > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        } else if spaced && !line.is_empty() {
            line.push(' ');
        }
        line.push_str(tok);
        prev_end = Some(e);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `sql` on one line, as PostgreSQL's scanner splits it: one blank where the text had blanks or
/// comments between two tokens, none just inside parentheses (`pg_get_expr` breaks sub-selects
/// over several lines); literals and quoted names kept as written, comments dropped. Text the
/// scanner rejects has its runs of whitespace joined.
pub fn one_line(sql: &str) -> String {
    let Some(toks) = tokens(sql) else {
        return sql.split_whitespace().collect::<Vec<_>>().join(" ");
    };
    let mut out = String::with_capacity(sql.len());
    let mut prev: Option<(usize, usize)> = None;
    for (s, e) in toks {
        let tok = &sql[s..e];
        if let Some((ps, pe)) = prev {
            if pe < s && &sql[ps..pe] != "(" && tok != ")" {
                out.push(' ');
            }
        }
        out.push_str(tok);
        prev = Some((s, e));
    }
    out
}

/// `(sql)`: the expression in parentheses, unless its outer parentheses (as PostgreSQL's
/// scanner reads them) already enclose it all.
pub fn parenthesized(sql: &str) -> String {
    let trimmed = sql.trim();
    let enclosed = tokens(trimmed).is_some_and(|toks| {
        let mut depth = 0usize;
        for (i, &(s, e)) in toks.iter().enumerate() {
            match &trimmed[s..e] {
                "(" => depth += 1,
                ")" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i == toks.len() - 1 && trimmed.starts_with('(');
                    }
                }
                _ if depth == 0 => return false,
                _ => {}
            }
        }
        false
    });
    if enclosed {
        trimmed.to_string()
    } else {
        format!("({trimmed})")
    }
}

/// Whether `name` reads back as itself unquoted, by PostgreSQL's own rule (`quote_ident`): lower
/// case ASCII letters, digits and `_`, not starting with a digit, and not a keyword other than an
/// unreserved one (the scanner knows which words are keywords, and of which kind).
pub fn bare_identifier(name: &str) -> bool {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    plain && not_reserved(name)
}

/// Whether the scanner reads `name` as one identifier or unreserved keyword; kept per thread (a
/// scan each time was most of writing 4,000 findings' fixes), at most `KEPT` names.
fn not_reserved(name: &str) -> bool {
    const KEPT: usize = 100_000;
    thread_local! {
        static SEEN: super::TextMemo<bool> = Default::default();
    }
    super::remembered(&SEEN, KEPT, name, scans_as_identifier)
}

fn scans_as_identifier(name: &str) -> bool {
    use pg_query::protobuf::KeywordKind;
    pg_query::scan(name).is_ok_and(|s| match s.tokens.as_slice() {
        [t] => {
            t.end as usize == name.len()
                && matches!(
                    KeywordKind::try_from(t.keyword_kind),
                    Ok(KeywordKind::NoKeyword | KeywordKind::UnreservedKeyword)
                )
        }
        _ => false,
    })
}

/// A short, stable fingerprint of a function body: SHA-256 over its tokens as PostgreSQL's
/// scanner reads them (comments and layout do not count; literals, names and operators do),
/// first 16 hex digits. Bodies the scanner rejects are hashed as written.
pub fn body_fingerprint(body: &str) -> String {
    let mut h = Sha256::new();
    match tokens(body) {
        Some(toks) => {
            for (s, e) in toks {
                h.update(&body.as_bytes()[s..e]);
                h.update([0u8]);
            }
        }
        None => h.update(body.as_bytes()),
    }
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// A trigger operation (`TG_OP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TriggerOp {
    Insert,
    Update,
    Delete,
    Truncate,
}

impl TriggerOp {
    pub const ALL: [TriggerOp; 4] = [
        TriggerOp::Insert,
        TriggerOp::Update,
        TriggerOp::Delete,
        TriggerOp::Truncate,
    ];

    fn parse(s: &str) -> Option<TriggerOp> {
        Some(match s {
            "INSERT" => TriggerOp::Insert,
            "UPDATE" => TriggerOp::Update,
            "DELETE" => TriggerOp::Delete,
            "TRUNCATE" => TriggerOp::Truncate,
            _ => return None,
        })
    }
}

/// PostgreSQL's `elog` level of ERROR: RAISE at this level or above aborts the statement.
const ERROR_LEVEL: i64 = 21;

/// The operations for which a PL/pgSQL trigger function certainly raises an error (whatever the
/// row holds), read from its parse tree: a RAISE EXCEPTION reached on every path for that
/// `TG_OP`, before any RETURN. Conditions other than on `TG_OP` are not guessed: a RAISE under
/// them counts only when both branches raise. `None` when the body does not parse.
pub fn plpgsql_rejects(body: &str) -> Option<BTreeSet<TriggerOp>> {
    let mut tag = String::from("$deskctl$");
    while body.contains(&tag) {
        tag.insert(tag.len() - 1, 'x');
    }
    let sql = format!(
        "CREATE FUNCTION deskctl_probe() RETURNS trigger LANGUAGE plpgsql AS {tag}{body}{tag}"
    );
    let action = plpgsql_action(&sql)?;
    let all: BTreeSet<TriggerOp> = TriggerOp::ALL.into_iter().collect();
    let (rejected, _) = walk(std::slice::from_ref(&action), &all);
    Some(rejected)
}

/// The body (`action`) of the one function in `sql`, from PostgreSQL's PL/pgSQL parser.
/// libpg_query 18 writes a trigger function's implicit `TG_*` variables as malformed JSON
/// (`{}},`), so when the whole text does not parse as JSON, the `action` member (written last,
/// and well-formed) is read on its own.
fn plpgsql_action(sql: &str) -> Option<Value> {
    let raw = super::ffi::plpgsql_json(sql)?;
    if let Ok(v) = serde_json::from_str::<Value>(&raw) {
        return v
            .as_array()?
            .first()?
            .get("PLpgSQL_function")?
            .get("action")
            .cloned();
    }
    let start = raw.find("\"action\":")? + "\"action\":".len();
    let tail = raw[start..].trim_end().strip_suffix(']')?.trim_end();
    let body = tail.strip_suffix("}}")?;
    serde_json::from_str(body).ok()
}

/// Walk statements for the operations `ops` still running: (rejected for sure, still running
/// after the statements).
fn walk(stmts: &[Value], ops: &BTreeSet<TriggerOp>) -> (BTreeSet<TriggerOp>, BTreeSet<TriggerOp>) {
    let mut rejected = BTreeSet::new();
    let mut running = ops.clone();
    for stmt in stmts {
        if running.is_empty() {
            break;
        }
        let Some((kind, node)) = stmt.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        match kind.as_str() {
            "PLpgSQL_stmt_raise" => {
                let level = node.get("elog_level").and_then(Value::as_i64);
                // Absent: the default level, EXCEPTION. `RAISE;` (re-raise) has no message but
                // also raises.
                if level.is_none_or(|l| l >= ERROR_LEVEL) {
                    rejected.extend(running.iter().copied());
                    running.clear();
                }
            }
            "PLpgSQL_stmt_return" => running.clear(),
            "PLpgSQL_stmt_block" => {
                if node.get("exceptions").is_some() {
                    // A handler may swallow the error: nothing is certain inside.
                    continue;
                }
                let (r, k) = walk(body_of(node, "body"), &running);
                rejected.extend(r);
                running = k;
            }
            "PLpgSQL_stmt_if" => {
                let (r, k) = walk_if(node, &running);
                rejected.extend(r);
                running = k;
            }
            _ => {}
        }
    }
    (rejected, running)
}

fn body_of<'a>(node: &'a Value, key: &str) -> &'a [Value] {
    node.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// IF / ELSIF / ELSE: a condition on `TG_OP` alone splits the operations; any other condition
/// leaves both ways possible (certain only what both ways do).
fn walk_if(node: &Value, ops: &BTreeSet<TriggerOp>) -> (BTreeSet<TriggerOp>, BTreeSet<TriggerOp>) {
    let mut branches: Vec<(Option<&Value>, &[Value])> =
        vec![(node.get("cond"), body_of(node, "then_body"))];
    for e in body_of(node, "elsif_list") {
        if let Some(e) = e.get("PLpgSQL_if_elsif") {
            branches.push((e.get("cond"), body_of(e, "stmts")));
        }
    }
    chain(&branches, body_of(node, "else_body"), ops)
}

fn chain(
    branches: &[(Option<&Value>, &[Value])],
    else_body: &[Value],
    ops: &BTreeSet<TriggerOp>,
) -> (BTreeSet<TriggerOp>, BTreeSet<TriggerOp>) {
    let Some(((cond, body), rest)) = branches.split_first() else {
        return walk(else_body, ops);
    };
    match cond.and_then(tg_op_condition) {
        Some(when) => {
            let taken: BTreeSet<TriggerOp> = ops.intersection(&when).copied().collect();
            let other: BTreeSet<TriggerOp> = ops.difference(&when).copied().collect();
            let (r1, k1) = walk(body, &taken);
            let (r2, k2) = chain(rest, else_body, &other);
            (
                r1.union(&r2).copied().collect(),
                k1.union(&k2).copied().collect(),
            )
        }
        None => {
            let (r1, k1) = walk(body, ops);
            let (r2, k2) = chain(rest, else_body, ops);
            let sure: BTreeSet<TriggerOp> = r1.intersection(&r2).copied().collect();
            let running = k1
                .union(&k2)
                .copied()
                .filter(|o| !sure.contains(o))
                .collect();
            (sure, running)
        }
    }
}

/// The operations for which a condition holds, when it tests `TG_OP` only: `TG_OP = 'X'`,
/// `TG_OP IN ('X', 'Y')`, `TG_OP <> 'X'`, `NOT ...`, `... OR ...`, `... AND ...`.
fn tg_op_condition(cond: &Value) -> Option<BTreeSet<TriggerOp>> {
    let query = cond.get("PLpgSQL_expr")?.get("query")?.as_str()?;
    let parsed =
        pg_query::parse(&format!("SELECT {query}"), pg_query::ParserOptions::DEFAULT).ok()?;
    let stmt = parsed
        .protobuf
        .stmts
        .first()?
        .stmt
        .as_ref()?
        .node
        .as_ref()?;
    let pg_query::NodeEnum::SelectStmt(sel) = stmt else {
        return None;
    };
    let target = sel.target_list.first()?.node.as_ref()?;
    let pg_query::NodeEnum::ResTarget(rt) = target else {
        return None;
    };
    ops_where(rt.val.as_ref()?.node.as_ref()?)
}

fn ops_where(n: &pg_query::NodeEnum) -> Option<BTreeSet<TriggerOp>> {
    use pg_query::protobuf::{AExprKind, BoolExprType};
    use pg_query::NodeEnum as N;
    let all: BTreeSet<TriggerOp> = TriggerOp::ALL.into_iter().collect();
    match n {
        N::BoolExpr(b) => {
            let parts: Option<Vec<BTreeSet<TriggerOp>>> = b
                .args
                .iter()
                .map(|a| a.node.as_ref().and_then(ops_where))
                .collect();
            let parts = parts?;
            match b.boolop() {
                BoolExprType::OrExpr => Some(parts.into_iter().flatten().collect()),
                BoolExprType::AndExpr => parts
                    .into_iter()
                    .reduce(|a, b| a.intersection(&b).copied().collect()),
                BoolExprType::NotExpr => {
                    let p = parts.into_iter().next()?;
                    Some(all.difference(&p).copied().collect())
                }
                _ => None,
            }
        }
        N::AExpr(e) => {
            let op = e
                .name
                .first()
                .and_then(|x| x.node.as_ref())
                .and_then(|x| match x {
                    N::String(s) => Some(s.sval.as_str()),
                    _ => None,
                })?;
            if !is_tg_op(e.lexpr.as_ref()?.node.as_ref()?) {
                return None;
            }
            let right = e.rexpr.as_ref()?.node.as_ref()?;
            let values: Vec<TriggerOp> = match right {
                N::List(l) => l
                    .items
                    .iter()
                    .map(|i| i.node.as_ref().and_then(literal_op))
                    .collect::<Option<Vec<TriggerOp>>>()?,
                other => vec![literal_op(other)?],
            };
            let set: BTreeSet<TriggerOp> = values.into_iter().collect();
            match (e.kind(), op) {
                (AExprKind::AexprOp, "=") | (AExprKind::AexprIn, "=") => Some(set),
                (AExprKind::AexprOp, "<>" | "!=") | (AExprKind::AexprIn, "<>") => {
                    Some(all.difference(&set).copied().collect())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_tg_op(n: &pg_query::NodeEnum) -> bool {
    match n {
        pg_query::NodeEnum::ColumnRef(c) => {
            c.fields.len() == 1
                && matches!(c.fields[0].node.as_ref(),
                    Some(pg_query::NodeEnum::String(s)) if s.sval.eq_ignore_ascii_case("tg_op"))
        }
        pg_query::NodeEnum::TypeCast(t) => t
            .arg
            .as_ref()
            .and_then(|a| a.node.as_ref())
            .is_some_and(is_tg_op),
        _ => false,
    }
}

fn literal_op(n: &pg_query::NodeEnum) -> Option<TriggerOp> {
    match n {
        pg_query::NodeEnum::AConst(c) => match c.val.as_ref()? {
            pg_query::protobuf::a_const::Val::Sval(s) => TriggerOp::parse(&s.sval),
            _ => None,
        },
        pg_query::NodeEnum::TypeCast(t) => literal_op(t.arg.as_ref()?.node.as_ref()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_ignores_layout_and_redundant_parentheses() {
        assert!(same("(auth.uid() = user_id)", "auth.uid()   =\n  user_id"));
        assert!(same(
            "((( SELECT auth.uid() AS uid) = user_id) AND (NOT is_internal))",
            "(SELECT auth.uid() AS uid) = user_id AND NOT is_internal"
        ));
        assert!(!same("(auth.uid() = user_id)", "(auth.uid() = owner_id)"));
        assert!(!same("status = 'open'::text", "status = 'closed'::text"));
        assert!(!same("a AND b", "a OR b"));
        // A weakened policy that still contains the original text is different.
        assert!(!same(
            "(user_id = auth.uid())",
            "(user_id = auth.uid()) OR true"
        ));
        // The token fast path: layout and comments differ only; a literal's inner spacing and a
        // quoted name's case are part of their tokens.
        assert!(same("a = 1 /* x */ AND\n b", "a = 1 AND b -- y"));
        assert!(!same("x = 'a  b'", "x = 'a b'"));
        assert!(!same("\"A\" = 1", "\"a\" = 1"));
        assert!(!same("x = E'a\\nb'", "x = 'a\\nb'"));
        assert_eq!(canonical("(a = 1)").as_deref(), Some("a = 1"));
        assert_eq!(canonical("a = ; 1"), None);
    }

    #[test]
    fn wrapping_breaks_between_tokens_only() {
        let e = "(EXISTS ( SELECT 1 FROM support_tickets t WHERE ((t.id = support_messages.ticket_id) AND (t.user_id = auth.uid()) AND (x = 'a long literal with spaces in it'))))";
        let lines = wrap(e, 40);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines
            .iter()
            .any(|l| l.contains("'a long literal with spaces in it'")));
        assert!(same(&lines.join("\n"), e));
        assert_eq!(wrap("a = b", 40), ["a = b"]);
        assert_eq!(wrap("x =\n  'a  b'", 40), ["x = 'a  b'"]);
    }

    #[test]
    fn one_line_keeps_quoted_text() {
        assert_eq!(
            one_line("(EXISTS ( SELECT 1\n   FROM s\n  WHERE (s.x = 'a  b')))"),
            "(EXISTS (SELECT 1 FROM s WHERE (s.x = 'a  b')))"
        );
        assert_eq!(one_line("\"a  b\" = c"), "\"a  b\" = c");
        // Dollar quotes, E'' escapes and comments as PostgreSQL's scanner reads them.
        assert_eq!(
            one_line("x = $$a\n  ( b$$ AND\n y"),
            "x = $$a\n  ( b$$ AND y"
        );
        assert_eq!(
            one_line("x = E'it\\'s  (' AND\n y"),
            "x = E'it\\'s  (' AND y"
        );
        assert_eq!(one_line("x = 1 -- note\n AND y"), "x = 1 AND y");
        assert_eq!(one_line("x = 1 /* a\n b */ AND\ty"), "x = 1 AND y");
        assert_eq!(one_line("(\"ü  x\" = 'é')"), "(\"ü  x\" = 'é')");
        assert_eq!(one_line("x = 'open"), "x = 'open");
        // A literal continued on the next line is one token: its line break stays.
        let continued = one_line("x = 'a'\n  'b' AND\n y");
        assert_eq!(
            canonical(&continued).as_deref(),
            Some("x = 'ab' AND y"),
            "{continued}"
        );
    }

    #[test]
    fn bare_identifiers_by_the_keyword_table() {
        for bare in ["chat_messages", "name", "type", "value", "uid", "x1", "_a"] {
            assert!(bare_identifier(bare), "{bare}");
        }
        // Reserved, type/function-name and column-name keywords need quotes, as do case,
        // spaces, quotes, leading digits and non-ASCII letters.
        for quoted in [
            "user",
            "select",
            "authorization",
            "left",
            "time",
            "values",
            "int",
            "Chat",
            "a b",
            "x\"y",
            "1abc",
            "ünï",
            "",
            "a-b",
            "a$",
        ] {
            assert!(!bare_identifier(quoted), "{quoted}");
        }
    }

    #[test]
    fn parentheses_are_added_only_when_missing() {
        assert_eq!(parenthesized("(a = b)"), "(a = b)");
        assert_eq!(parenthesized("(a) = (b)"), "((a) = (b))");
        assert_eq!(parenthesized("true"), "(true)");
        assert_eq!(parenthesized(" (a = ')') "), "(a = ')')");
        assert_eq!(parenthesized("(a = '(') OR (b)"), "((a = '(') OR (b))");
        assert_eq!(parenthesized("(a = $$)$$)"), "(a = $$)$$)");
        assert_eq!(parenthesized("(\")\" = 1)"), "(\")\" = 1)");
    }

    #[test]
    fn body_fingerprint_ignores_layout_and_comments_only() {
        let a = body_fingerprint("begin\n  insert into t values (1); -- note\nend;");
        let b = body_fingerprint("begin insert into t values (1); end;");
        let c = body_fingerprint("begin insert into t values (2); end;");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 16);
    }

    fn rejects(body: &str) -> Vec<TriggerOp> {
        plpgsql_rejects(body).expect("parses").into_iter().collect()
    }

    #[test]
    fn what_a_trigger_function_rejects() {
        use TriggerOp::*;
        assert_eq!(
            rejects("begin raise exception 'append-only'; end;"),
            [Insert, Update, Delete, Truncate]
        );
        assert_eq!(
            rejects("begin if tg_op in ('UPDATE', 'DELETE') then raise exception 'no'; end if; return new; end;"),
            [Update, Delete]
        );
        assert_eq!(
            rejects("begin if TG_OP = 'DELETE' then raise exception 'no'; elsif TG_OP = 'UPDATE' then raise exception 'no'; end if; return new; end;"),
            [Update, Delete]
        );
        // An updated_at trigger and a cleanup trigger reject nothing.
        assert!(rejects("begin new.updated_at = now(); return new; end;").is_empty());
        assert!(rejects("begin delete from t where id = old.id; return old; end;").is_empty());
        // A notice does not reject; a condition on the row is not certain.
        assert!(rejects("begin raise notice 'x'; return new; end;").is_empty());
        assert!(rejects(
            "begin if old.locked then raise exception 'locked'; end if; return new; end;"
        )
        .is_empty());
        // Both branches of an unknown condition raise: certain.
        assert_eq!(
            rejects("begin if old.locked then raise exception 'a'; else raise exception 'b'; end if; end;"),
            [Insert, Update, Delete, Truncate]
        );
        // A RETURN before the RAISE.
        assert!(rejects("begin return new; raise exception 'never'; end;").is_empty());
        // An exception handler may swallow it.
        assert!(rejects("begin begin raise exception 'x'; exception when others then null; end; return new; end;").is_empty());
        assert_eq!(plpgsql_rejects("begin this is not plpgsql"), None);
    }
}
