//! Policy expressions (`pg_get_expr` of USING / WITH CHECK) as PostgreSQL's parser reads them:
//! per-statement calls (`auth.uid()`, ...) not wrapped in an initplan and their rewrite, always-true
//! expressions, the policy's own columns compared for equality, and the names and strings an
//! expression reads. Decisions come from the parse tree of `SELECT (<expr>)`; text is rewritten
//! only at node locations and scanner tokens. Must not run SQL, print fix text or decide a rule's
//! level or wording.

use pg_query::protobuf::{a_const::Val, AExpr, AExprKind, BoolExprType, FuncCall, SelectStmt};
use pg_query::protobuf::{SetOperation, Token};
use pg_query::{Node, NodeEnum as N};

/// The text the expression is parsed inside: node locations are offsets into it.
const PREFIX: &str = "SELECT (";

/// An expression parsed on its own inside `SELECT (<expr>\n)` (the newline ends a trailing
/// `--` comment before our parenthesis).
struct Parsed {
    root: Node,
    /// The scanner's parentheses in that text.
    parens: Vec<(usize, usize, bool)>,
    /// [`mentions`]' haystack, lower case: every name part and string constant in the tree.
    words: std::cell::OnceCell<Vec<String>>,
}

impl Parsed {
    fn root(&self) -> Option<&N> {
        self.root.node.as_ref()
    }
}

/// `expr` as one expression, or `None` when PostgreSQL's parser does not read it as exactly one
/// (a syntax error, or text that closes our parenthesis and goes on: `true) FROM t WHERE (x`,
/// `a) OR (b`).
///
/// Memoized per thread: every rule reading a policy asks about the same text (diagnose parses
/// each expression once instead of once per rule, and schemas repeat expressions across tables).
fn parse(expr: &str) -> Option<std::rc::Rc<Parsed>> {
    /// Beyond this many distinct texts the memo starts over (bounded memory).
    const MAX: usize = 50_000;
    thread_local! {
        static MEMO: super::TextMemo<Option<std::rc::Rc<Parsed>>> = Default::default();
    }
    super::remembered(&MEMO, MAX, expr, |e| {
        parse_uncached(e).map(std::rc::Rc::new)
    })
}

fn parse_uncached(expr: &str) -> Option<Parsed> {
    let sql = format!("{PREFIX}{expr}\n)");
    let parsed = pg_query::parse(&sql, pg_query::ParserOptions::DEFAULT).ok()?;
    let [raw] = parsed.protobuf.stmts.as_slice() else {
        return None;
    };
    let N::SelectStmt(s) = raw.stmt.as_ref()?.node.as_ref()? else {
        return None;
    };
    if !targets_only(s) || s.target_list.len() != 1 {
        return None;
    }
    let N::ResTarget(rt) = s.target_list[0].node.as_ref()? else {
        return None;
    };
    let root = rt.val.as_deref()?.clone();
    // The parenthesis opened before the text closes at its end, not inside it
    // (`a) OR (b` reads as one expression only thanks to ours).
    let parens = parens(&sql);
    if closing_paren(&parens, PREFIX.len() - 1) != Some(sql.len()) {
        return None;
    }
    Some(Parsed {
        root,
        parens,
        words: std::cell::OnceCell::new(),
    })
}

/// A SELECT with a target list and nothing else (no FROM, WHERE, set operation, ...).
fn targets_only(s: &SelectStmt) -> bool {
    s.from_clause.is_empty()
        && s.distinct_clause.is_empty()
        && s.into_clause.is_none()
        && s.where_clause.is_none()
        && s.group_clause.is_empty()
        && s.having_clause.is_none()
        && s.window_clause.is_empty()
        && s.values_lists.is_empty()
        && s.sort_clause.is_empty()
        && s.limit_offset.is_none()
        && s.limit_count.is_none()
        && s.locking_clause.is_empty()
        && s.with_clause.is_none()
        && s.op() == SetOperation::SetopNone
}

/// The expression nodes directly under `n` (set operations' arms flattened into their parts).
/// Leaves (constants, column references, names) have none.
fn children(n: &N) -> Vec<&N> {
    let mut v: Vec<&Node> = Vec::new();
    fn opt<'a>(v: &mut Vec<&'a Node>, x: &'a Option<Box<Node>>) {
        if let Some(x) = x {
            v.push(x);
        }
    }
    match n {
        N::AExpr(e) => {
            opt(&mut v, &e.lexpr);
            opt(&mut v, &e.rexpr);
        }
        N::BoolExpr(e) => v.extend(&e.args),
        N::FuncCall(f) => {
            v.extend(&f.args);
            v.extend(&f.agg_order);
            opt(&mut v, &f.agg_filter);
            if let Some(w) = &f.over {
                v.extend(&w.partition_clause);
                v.extend(&w.order_clause);
                opt(&mut v, &w.start_offset);
                opt(&mut v, &w.end_offset);
            }
        }
        N::NamedArgExpr(a) => {
            if let Some(x) = &a.arg {
                v.push(x);
            }
        }
        N::TypeCast(t) => opt(&mut v, &t.arg),
        N::CollateClause(c) => opt(&mut v, &c.arg),
        N::SubLink(s) => {
            opt(&mut v, &s.testexpr);
            opt(&mut v, &s.subselect);
        }
        N::SelectStmt(s) => {
            let mut out = Vec::new();
            select_children(s, &mut out);
            return out;
        }
        N::ResTarget(r) => {
            v.extend(&r.indirection);
            opt(&mut v, &r.val);
        }
        N::CaseExpr(c) => {
            opt(&mut v, &c.arg);
            v.extend(&c.args);
            opt(&mut v, &c.defresult);
        }
        N::CaseWhen(w) => {
            opt(&mut v, &w.expr);
            opt(&mut v, &w.result);
        }
        N::CoalesceExpr(c) => v.extend(&c.args),
        N::MinMaxExpr(m) => v.extend(&m.args),
        N::NullTest(t) => opt(&mut v, &t.arg),
        N::BooleanTest(t) => opt(&mut v, &t.arg),
        N::AArrayExpr(a) => v.extend(&a.elements),
        N::AIndirection(a) => {
            opt(&mut v, &a.arg);
            v.extend(&a.indirection);
        }
        N::AIndices(a) => {
            opt(&mut v, &a.lidx);
            opt(&mut v, &a.uidx);
        }
        N::RowExpr(r) => v.extend(&r.args),
        N::List(l) => v.extend(&l.items),
        N::RangeSubselect(r) => opt(&mut v, &r.subquery),
        N::RangeFunction(r) => v.extend(&r.functions),
        N::JoinExpr(j) => {
            opt(&mut v, &j.larg);
            opt(&mut v, &j.rarg);
            opt(&mut v, &j.quals);
        }
        N::CommonTableExpr(c) => opt(&mut v, &c.ctequery),
        N::SortBy(s) => opt(&mut v, &s.node),
        N::XmlExpr(x) => {
            v.extend(&x.named_args);
            v.extend(&x.args);
        }
        N::GroupingFunc(g) => v.extend(&g.args),
        _ => {}
    }
    v.into_iter().filter_map(|x| x.node.as_ref()).collect()
}

fn select_children<'a>(s: &'a SelectStmt, out: &mut Vec<&'a N>) {
    let mut v: Vec<&Node> = Vec::new();
    if let Some(w) = &s.with_clause {
        v.extend(&w.ctes);
    }
    v.extend(&s.distinct_clause);
    v.extend(&s.target_list);
    v.extend(&s.from_clause);
    v.extend(s.where_clause.as_deref());
    v.extend(&s.group_clause);
    v.extend(s.having_clause.as_deref());
    v.extend(&s.window_clause);
    v.extend(&s.values_lists);
    v.extend(&s.sort_clause);
    v.extend(s.limit_offset.as_deref());
    v.extend(s.limit_count.as_deref());
    out.extend(v.into_iter().filter_map(|x| x.node.as_ref()));
    for arm in [&s.larg, &s.rarg].into_iter().flatten() {
        select_children(arm, out);
    }
}

/// Every node under `n`, `n` first, depth first.
fn descendants(n: &N) -> Vec<&N> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        out.push(x);
        let mut c = children(x);
        c.reverse();
        stack.extend(c);
    }
    out
}

/// The parts of a dotted name (`auth.uid` in a call, `t.user_id` in a column reference).
fn name_parts(names: &[Node]) -> Vec<&str> {
    names
        .iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(N::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect()
}

/// Functions whose value is the same for every row of a statement, as written in a policy and
/// as reported (`auth.uid()`): wrapped in `(select ...)` PostgreSQL evaluates them once (an
/// initplan) instead of once per row.
fn per_statement(f: &FuncCall) -> Option<&'static str> {
    Some(match name_parts(&f.funcname).as_slice() {
        ["auth", "uid"] => "auth.uid()",
        ["auth", "jwt"] => "auth.jwt()",
        ["auth", "role"] => "auth.role()",
        ["auth", "email"] => "auth.email()",
        ["current_setting"] | ["pg_catalog", "current_setting"] => "current_setting()",
        _ => return None,
    })
}

/// A sub-select PostgreSQL runs once per statement: a SELECT of expressions with no FROM and no
/// column reference (none of the policy's row), whatever kind of sub-link holds it.
fn is_initplan(s: &SelectStmt) -> bool {
    s.from_clause.is_empty()
        && s.op() == SetOperation::SetopNone
        && s.with_clause.is_none()
        && s.target_list
            .iter()
            .filter_map(|t| t.node.as_ref())
            .flat_map(descendants)
            .all(|n| !matches!(n, N::ColumnRef(_)))
}

/// A per-statement call in the expression: its name as reported, its byte range in the
/// expression (through its closing parenthesis), and whether an initplan already holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    name: &'static str,
    start: usize,
    end: usize,
    wrapped: bool,
}

fn find_calls<'a>(n: &'a N, wrapped: bool, out: &mut Vec<(&'a FuncCall, bool)>) {
    if let N::FuncCall(f) = n {
        if per_statement(f).is_some() {
            out.push((f, wrapped));
        }
    }
    if let N::SubLink(s) = n {
        if let Some(t) = s.testexpr.as_ref().and_then(|x| x.node.as_ref()) {
            find_calls(t, wrapped, out);
        }
        if let Some(sub @ N::SelectStmt(sel)) = s.subselect.as_ref().and_then(|x| x.node.as_ref()) {
            let inner = wrapped || is_initplan(sel);
            for c in children(sub) {
                find_calls(c, inner, out);
            }
        }
        return;
    }
    for c in children(n) {
        find_calls(c, wrapped, out);
    }
}

fn calls(p: &Parsed) -> Vec<Call> {
    let Some(root) = p.root() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    find_calls(root, false, &mut found);
    let mut out: Vec<Call> = found
        .into_iter()
        .filter_map(|(f, wrapped)| {
            let at = usize::try_from(f.location).ok()?;
            let end = closing_paren(&p.parens, at)?;
            Some(Call {
                name: per_statement(f)?,
                start: at.checked_sub(PREFIX.len())?,
                end: end - PREFIX.len(),
                wrapped,
            })
        })
        .collect();
    out.sort_by_key(|c| c.start);
    out
}

/// The scanner's parentheses in `sql`: (start, end, opens).
fn parens(sql: &str) -> Vec<(usize, usize, bool)> {
    let Ok(scan) = pg_query::scan(sql) else {
        return Vec::new();
    };
    scan.tokens
        .iter()
        .filter_map(|t| {
            let open = if t.token == Token::Ascii40 as i32 {
                true
            } else if t.token == Token::Ascii41 as i32 {
                false
            } else {
                return None;
            };
            Some((t.start as usize, t.end as usize, open))
        })
        .collect()
}

/// The end of the parenthesis closing the first one at or after `at`.
fn closing_paren(toks: &[(usize, usize, bool)], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    for &(_, e, open) in toks.iter().filter(|t| t.0 >= at) {
        if open {
            depth += 1;
        } else {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(e);
            }
        }
    }
    None
}

/// Per-statement calls (`auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()`,
/// `current_setting()`) not wrapped in an initplan (`(select auth.uid())`), deduplicated, in text
/// order. Empty when the text is not one expression.
pub fn unwrapped_calls(expr: &str) -> Vec<&'static str> {
    let Some(p) = parse(expr) else {
        return Vec::new();
    };
    let mut out: Vec<&'static str> = Vec::new();
    for c in calls(&p).into_iter().filter(|c| !c.wrapped) {
        if !out.contains(&c.name) {
            out.push(c.name);
        }
    }
    out
}

/// The expression with every unwrapped per-statement call wrapped in `(select ...)` (a call
/// inside another one's arguments goes with it); unchanged when it is not one expression.
pub fn wrap_calls(expr: &str) -> String {
    let Some(p) = parse(expr) else {
        return expr.to_string();
    };
    let mut out = String::with_capacity(expr.len() + 16);
    let mut pos = 0;
    for c in calls(&p).into_iter().filter(|c| !c.wrapped) {
        if c.start < pos || c.end > expr.len() {
            continue;
        }
        out.push_str(&expr[pos..c.start]);
        out.push_str("(select ");
        out.push_str(&expr[c.start..c.end]);
        out.push(')');
        pos = c.end;
    }
    out.push_str(&expr[pos..]);
    out
}

/// Three-valued truth of an expression that does not depend on the row; `Unknown` for anything
/// else (SQL's NULL is not true either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

fn truth(n: &N) -> Truth {
    match n {
        N::AConst(c) => match &c.val {
            Some(Val::Boolval(b)) if !c.isnull => {
                if b.boolval {
                    Truth::True
                } else {
                    Truth::False
                }
            }
            _ => Truth::Unknown,
        },
        N::TypeCast(t) => {
            let to_bool = t.type_name.as_ref().is_some_and(|tn| {
                matches!(
                    name_parts(&tn.names).as_slice(),
                    ["bool" | "boolean"] | ["pg_catalog", "bool"]
                ) && tn.array_bounds.is_empty()
            });
            match t.arg.as_ref().and_then(|a| a.node.as_ref()) {
                Some(a) if to_bool => truth(a),
                _ => Truth::Unknown,
            }
        }
        N::BoolExpr(b) => {
            let args: Vec<Truth> = b
                .args
                .iter()
                .map(|a| a.node.as_ref().map_or(Truth::Unknown, truth))
                .collect();
            match b.boolop() {
                BoolExprType::AndExpr if args.iter().all(|t| *t == Truth::True) => Truth::True,
                BoolExprType::AndExpr if args.contains(&Truth::False) => Truth::False,
                BoolExprType::OrExpr if args.contains(&Truth::True) => Truth::True,
                BoolExprType::OrExpr if args.iter().all(|t| *t == Truth::False) => Truth::False,
                BoolExprType::NotExpr => match args.as_slice() {
                    [Truth::True] => Truth::False,
                    [Truth::False] => Truth::True,
                    _ => Truth::Unknown,
                },
                _ => Truth::Unknown,
            }
        }
        N::AExpr(e) if e.kind() == AExprKind::AexprOp => {
            let same = match (
                side(&e.lexpr).and_then(literal),
                side(&e.rexpr).and_then(literal),
            ) {
                (Some(l), Some(r)) if l == r => true,
                _ => return Truth::Unknown,
            };
            match operator(e) {
                Some("=") if same => Truth::True,
                Some("<>" | "!=") if same => Truth::False,
                _ => Truth::Unknown,
            }
        }
        _ => Truth::Unknown,
    }
}

fn side(x: &Option<Box<Node>>) -> Option<&N> {
    x.as_ref().and_then(|x| x.node.as_ref())
}

/// The operator of `e` without its schema (`OPERATOR(pg_catalog.=)` is `=`).
fn operator(e: &AExpr) -> Option<&str> {
    name_parts(&e.name).last().copied()
}

/// A non-null literal, possibly cast, in a form equal for equal literals: `1`, `'a'::text`.
fn literal(n: &N) -> Option<String> {
    match n {
        N::AConst(c) if !c.isnull => c.val.as_ref().map(|v| format!("{v:?}")),
        N::TypeCast(t) => {
            let tn = t.type_name.as_ref()?;
            let inner = literal(t.arg.as_ref()?.node.as_ref()?)?;
            Some(format!(
                "{inner}::{}{:?}{:?}",
                name_parts(&tn.names).join("."),
                tn.typmods,
                tn.array_bounds
            ))
        }
        _ => None,
    }
}

/// Whether the expression is true whatever the row holds: `true`, `(true)`, `true OR x`,
/// `1 = 1`, `'a'::text = 'a'::text`. `x = x` is not (NULL = NULL is not true). False when the
/// text is not one expression.
pub fn always_true(expr: &str) -> bool {
    parse(expr)
        .and_then(|p| p.root().map(truth))
        .is_some_and(|t| t == Truth::True)
}

/// Whether the expression is the constant `true` itself (`true`, `(TRUE)`), as opposed to one
/// that only evaluates to true.
pub fn is_true_constant(expr: &str) -> bool {
    parse(expr).is_some_and(|p| {
        matches!(p.root(), Some(N::AConst(c)) if matches!(&c.val, Some(Val::Boolval(b)) if b.boolval))
    })
}

/// Columns of the policy's own table compared for equality with something that is not a
/// constant (`user_id = auth.uid()`, `(auth.uid())::text = "userId"`, `t.owner_id = other.id`,
/// `team_id = ANY (ARRAY(SELECT ...))`): what an index should serve. A column counts bare or
/// qualified with `table` (the policy's table name), possibly cast, not inside a function call
/// or an arithmetic expression. `columns` are the table's column names; the result is in their
/// order, deduplicated; empty when the text is not one expression.
pub fn equality_columns(expr: &str, table: &str, columns: &[String]) -> Vec<String> {
    let Some(p) = parse(expr) else {
        return Vec::new();
    };
    let Some(root) = p.root() else {
        return Vec::new();
    };
    let own = |n: &N| -> Option<String> {
        let N::ColumnRef(c) = strip_casts(n) else {
            return None;
        };
        if c.fields
            .iter()
            .any(|f| !matches!(f.node, Some(N::String(_))))
        {
            return None;
        }
        let col = match name_parts(&c.fields).as_slice() {
            [col] => *col,
            [t, col] | [_, t, col] if *t == table => *col,
            _ => return None,
        };
        columns.iter().find(|c| *c == col).cloned()
    };
    let mut found: Vec<String> = Vec::new();
    for n in descendants(root) {
        let N::AExpr(e) = n else { continue };
        if operator(e) != Some("=") {
            continue;
        }
        let (Some(l), Some(r)) = (side(&e.lexpr), side(&e.rexpr)) else {
            continue;
        };
        let pairs: &[(&N, &N)] = match e.kind() {
            AExprKind::AexprOp => &[(l, r), (r, l)],
            AExprKind::AexprOpAny => &[(l, r)],
            _ => &[],
        };
        for (col, other) in pairs {
            if let Some(c) = own(col) {
                if !constant(other) && !found.contains(&c) {
                    found.push(c);
                }
            }
        }
    }
    columns
        .iter()
        .filter(|c| found.contains(c))
        .cloned()
        .collect()
}

fn strip_casts(mut n: &N) -> &N {
    while let N::TypeCast(t) = n {
        match t.arg.as_ref().and_then(|a| a.node.as_ref()) {
            Some(a) => n = a,
            None => break,
        }
    }
    n
}

/// Made of literals only (`'open'::text`, `ARRAY['a', 'b']`, `-1`, `NULL`): an index on a column
/// compared with it is a planner matter, not what the policy filters on per caller.
fn constant(n: &N) -> bool {
    descendants(n).into_iter().all(|x| {
        matches!(
            x,
            N::AConst(_)
                | N::TypeCast(_)
                | N::AArrayExpr(_)
                | N::AExpr(_)
                | N::BoolExpr(_)
                | N::RowExpr(_)
                | N::List(_)
        )
    })
}

/// Whether the expression reads `word` (case-insensitive) in a name (column, function, table,
/// type) or inside a string constant (`auth.jwt() -> 'user_metadata'`, a JSON path
/// `'{user_metadata,role}'`); comments do not count. Text that is not one expression is searched
/// as a whole, so that nothing is missed.
pub fn mentions(expr: &str, word: &str) -> bool {
    let word = word.to_lowercase();
    let Some(p) = parse(expr) else {
        return expr.to_lowercase().contains(&word);
    };
    let Some(root) = p.root() else {
        return false;
    };
    // Worked out once per text: every rule asks about the same expressions.
    let words = p.words.get_or_init(|| {
        let mut out: Vec<&str> = Vec::new();
        for n in descendants(root) {
            match n {
                N::AConst(c) => {
                    if let Some(Val::Sval(s)) = &c.val {
                        out.push(&s.sval);
                    }
                }
                N::ColumnRef(c) => out.extend(name_parts(&c.fields)),
                N::FuncCall(f) => out.extend(name_parts(&f.funcname)),
                N::RangeVar(r) => out.extend([r.relname.as_str(), r.schemaname.as_str()]),
                N::TypeCast(t) => {
                    if let Some(tn) = &t.type_name {
                        out.extend(name_parts(&tn.names));
                    }
                }
                N::String(s) => out.push(&s.sval),
                _ => {}
            }
        }
        out.into_iter().map(str::to_lowercase).collect()
    });
    words.iter().any(|w| w.contains(&word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_text_is_parsed_once_per_thread_and_answers_stay_the_same() {
        let e = "(auth.uid() = user_id) AND true";
        let (a, b) = (parse(e).unwrap(), parse(e).unwrap());
        assert!(std::rc::Rc::ptr_eq(&a, &b), "a second ask reuses the tree");
        for _ in 0..2 {
            assert_eq!(unwrapped_calls(e), vec!["auth.uid()"]);
            assert!(!always_true(e));
            assert!(parse("a) OR (b").is_none());
        }
    }

    #[test]
    fn unwrapped_and_wrapped_calls() {
        assert_eq!(unwrapped_calls("(auth.uid() = user_id)"), ["auth.uid()"]);
        assert!(unwrapped_calls("(( SELECT auth.uid() AS uid) = user_id)").is_empty());
        assert!(unwrapped_calls("(( SELECT (auth.uid())::text AS uid) = \"userId\")").is_empty());
        assert_eq!(
            unwrapped_calls(
                "((NULLIF(current_setting('request.jwt.claims'::text, true), ''::text))::json ->> 'role'::text) = 'service_role'::text"
            ),
            ["current_setting()"]
        );
        assert_eq!(
            unwrapped_calls(
                "(EXISTS ( SELECT 1 FROM s WHERE ((s.id = t.sid) AND (s.uid = auth.uid()))))"
            ),
            ["auth.uid()"]
        );
        assert!(unwrapped_calls("(user_id = my.uid())").is_empty());
        assert!(unwrapped_calls("('auth.uid()' = x)").is_empty());
        assert_eq!(
            unwrapped_calls("auth.role() = 'x' AND auth.uid() = a AND auth.role() <> 'y'"),
            ["auth.role()", "auth.uid()"]
        );
    }

    #[test]
    fn calls_the_hand_lexer_could_misread() {
        // Inside literals, quoted identifiers and comments: not calls.
        assert!(unwrapped_calls("x = $$auth.uid()$$").is_empty());
        assert!(unwrapped_calls("x = $q$ it's auth.uid() $q$").is_empty());
        assert!(unwrapped_calls(r"x = E'it\'s auth.uid()'").is_empty());
        assert!(unwrapped_calls(r#"x = "auth.uid()""#).is_empty());
        assert!(unwrapped_calls(r#""auth.uid"() = x"#).is_empty());
        assert!(unwrapped_calls("x = 1 /* auth.uid() */").is_empty());
        assert!(unwrapped_calls("x = 1 -- auth.uid()").is_empty());
        // Spelled differently, still the same function.
        assert_eq!(unwrapped_calls("auth . uid ( ) = x"), ["auth.uid()"]);
        assert_eq!(unwrapped_calls(r#""auth"."uid"() = x"#), ["auth.uid()"]);
        assert_eq!(unwrapped_calls("AUTH.UID() = x"), ["auth.uid()"]);
        assert_eq!(
            unwrapped_calls("pg_catalog.current_setting('x') = y"),
            ["current_setting()"]
        );
        assert!(unwrapped_calls("other.current_setting('x') = y").is_empty());
        // Nested and cast initplans hold it; a correlated sub-select or one with FROM does not.
        assert!(unwrapped_calls("(select (select auth.uid())) = x").is_empty());
        assert!(unwrapped_calls("(select auth.uid())::text = x").is_empty());
        assert!(unwrapped_calls("x = ANY (ARRAY(select auth.uid()))").is_empty());
        assert_eq!(unwrapped_calls("(auth.uid())::text = x"), ["auth.uid()"]);
        assert_eq!(
            unwrapped_calls("(select auth.uid() = user_id)"),
            ["auth.uid()"]
        );
        assert_eq!(
            unwrapped_calls("(select auth.uid() from t limit 1) = x"),
            ["auth.uid()"]
        );
        // Unicode names around it.
        assert_eq!(unwrapped_calls("\"ünïcødé\" = auth.uid()"), ["auth.uid()"]);
        assert_eq!(unwrapped_calls("façade = auth.uid()"), ["auth.uid()"]);
        // Not one expression: nothing decided.
        assert!(unwrapped_calls("auth.uid() = x) OR (true").is_empty());
        assert!(unwrapped_calls("auth.uid() =").is_empty());
    }

    #[test]
    fn wrap_rewrites_only_unwrapped_calls() {
        assert_eq!(
            wrap_calls("((auth.uid())::text = \"userId\")"),
            "(((select auth.uid()))::text = \"userId\")"
        );
        assert_eq!(
            wrap_calls("(a = auth.jwt() ->> 'email') OR (b = ( SELECT auth.uid() AS uid))"),
            "(a = (select auth.jwt()) ->> 'email') OR (b = ( SELECT auth.uid() AS uid))"
        );
        assert_eq!(
            wrap_calls("NULLIF(current_setting('x'::text, true), ''::text)"),
            "NULLIF((select current_setting('x'::text, true)), ''::text)"
        );
        assert!(unwrapped_calls(&wrap_calls("auth.uid() = x AND auth.role() = 'a'")).is_empty());
    }

    #[test]
    fn wrap_keeps_literals_comments_and_odd_spelling() {
        assert_eq!(
            wrap_calls("auth . uid ( ) = x AND y = ')'"),
            "(select auth . uid ( )) = x AND y = ')'"
        );
        assert_eq!(
            wrap_calls("current_setting($$a)b$$) = x"),
            "(select current_setting($$a)b$$)) = x"
        );
        assert_eq!(
            wrap_calls("current_setting(/* ) */ 'a') = \"ü)\""),
            "(select current_setting(/* ) */ 'a')) = \"ü)\""
        );
        assert_eq!(
            wrap_calls("x = auth.uid() -- the owner"),
            "x = (select auth.uid()) -- the owner"
        );
        // A call inside another's arguments goes with it.
        assert_eq!(
            wrap_calls("current_setting(auth.uid()::text) = x"),
            "(select current_setting(auth.uid()::text)) = x"
        );
        // What does not parse is left alone.
        assert_eq!(wrap_calls("auth.uid( = x"), "auth.uid( = x");
        for e in [
            "(EXISTS ( SELECT 1 FROM s WHERE ((s.id = t.sid) AND (s.uid = auth.uid()))))",
            "(select auth.uid() = user_id)",
            "current_setting(auth.uid()::text) = x",
        ] {
            let w = wrap_calls(e);
            assert!(parse(&w).is_some(), "{w}");
            assert!(unwrapped_calls(&w).is_empty(), "{w}");
        }
    }

    #[test]
    fn always_true_expressions() {
        assert!(always_true("true"));
        assert!(always_true("(true)"));
        assert!(always_true("TRUE"));
        assert!(always_true("true::boolean"));
        assert!(always_true("true OR x"));
        assert!(always_true("(x = 1) OR (true)"));
        assert!(always_true("1 = 1"));
        assert!(always_true("(1 = 1)"));
        assert!(always_true("'a' = 'a'"));
        assert!(always_true("('a'::text = 'a'::text)"));
        assert!(always_true("NOT false"));
        assert!(always_true("true AND 1 = 1"));
        assert!(!always_true("(auth.uid() = user_id)"));
        assert!(!always_true("(true AND (x = 1))"));
        // NULL = NULL is not true: rows where x is NULL are not visible.
        assert!(!always_true("x = x"));
        assert!(!always_true("NULL = NULL"));
        assert!(!always_true("NULL::boolean"));
        assert!(!always_true("1 = 2"));
        assert!(!always_true("'a' = 'A'"));
        assert!(!always_true("'true'"));
        assert!(!always_true("false"));
        assert!(!always_true("1 <> 1"));
        // In a literal, a comment or a name: not the constant.
        assert!(!always_true("'true' = x"));
        assert!(!always_true("\"true\""));
        assert!(!always_true("x /* true */"));
        assert!(!always_true("true) OR (x"));
        assert!(is_true_constant("(TRUE)"));
        assert!(!is_true_constant("1 = 1"));
    }

    #[test]
    fn equality_columns_of_the_own_table() {
        let cols = cols(&[
            "id",
            "user_id",
            "userId",
            "sessionId",
            "is_internal",
            "status",
        ]);
        assert_eq!(
            equality_columns("(auth.uid() = user_id)", "t", &cols),
            ["user_id"]
        );
        assert_eq!(
            equality_columns("((auth.uid())::text = \"userId\")", "t", &cols),
            ["userId"]
        );
        assert_eq!(
            equality_columns("(user_id = ( SELECT auth.uid() AS uid))", "t", &cols),
            ["user_id"]
        );
        // Constants are not served by an index worth having; other tables' columns are theirs.
        assert!(equality_columns(
            "((is_internal = false) AND (status = 'open'::text))",
            "t",
            &cols
        )
        .is_empty());
        assert_eq!(
            equality_columns(
                "(EXISTS ( SELECT 1 FROM \"S\" s WHERE ((s.\"sessionId\" = \"t\".\"sessionId\") AND (s.user_id = auth.uid()))))",
                "t",
                &cols
            ),
            ["sessionId"]
        );
        assert!(equality_columns("(lower(email) = 'x')", "t", &cols).is_empty());
        let mut with_email = cols.clone();
        with_email.push("email".into());
        assert!(equality_columns(
            "(lower(email) = lower((auth.jwt() ->> 'email'::text)))",
            "t",
            &with_email
        )
        .is_empty());
        assert_eq!(
            equality_columns(
                "((status = 'x'::text) AND (user_id = auth.uid()))",
                "t",
                &cols
            ),
            ["user_id"]
        );
    }

    #[test]
    fn equality_columns_the_hand_lexer_could_misread() {
        let cols = cols(&["id", "user_id", "status", "team_id", "ünï"]);
        // A list of constants is a constant; an array built by a sub-select is not.
        assert!(
            equality_columns("(status = ANY (ARRAY['a'::text, 'b'::text]))", "t", &cols).is_empty()
        );
        assert_eq!(
            equality_columns(
                "(team_id = ANY (ARRAY( SELECT m.team_id FROM members m WHERE (m.user_id = auth.uid()))))",
                "t",
                &cols
            ),
            ["team_id"]
        );
        // The column itself is compared, not an expression of it.
        assert!(equality_columns("x = user_id + 1", "t", &cols).is_empty());
        assert_eq!(equality_columns("user_id = x + 1", "t", &cols), ["user_id"]);
        // Names in literals, comments and other tables' qualifiers are not columns.
        assert!(equality_columns("'user_id' = x", "t", &cols).is_empty());
        assert!(equality_columns("x = 1 /* user_id = auth.uid() */", "t", &cols).is_empty());
        assert!(equality_columns("other.user_id = auth.uid()", "t", &cols).is_empty());
        assert_eq!(
            equality_columns("public.t.user_id = auth.uid()", "t", &cols),
            ["user_id"]
        );
        // Unquoted names fold to lower case; quoted ones do not.
        assert_eq!(
            equality_columns("USER_ID = auth.uid()", "t", &cols),
            ["user_id"]
        );
        assert!(equality_columns("\"USER_ID\" = auth.uid()", "t", &cols).is_empty());
        assert_eq!(
            equality_columns("\"ünï\" = (select auth.uid())", "t", &cols),
            ["ünï"]
        );
        // In catalog order, once.
        assert_eq!(
            equality_columns(
                "user_id = auth.uid() AND id = other.id AND user_id = x",
                "t",
                &cols
            ),
            ["id", "user_id"]
        );
        assert!(equality_columns("user_id = ", "t", &cols).is_empty());
    }

    #[test]
    fn mentions_reads_names_and_strings_not_comments() {
        let e = "(((auth.jwt() -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text)";
        assert!(mentions(e, "user_metadata"));
        assert!(!mentions(e, "app_metadata"));
        assert!(mentions(
            "(auth.jwt() #>> '{user_metadata,role}') = 'a'",
            "user_metadata"
        ));
        assert!(mentions("x = $$User_Metadata$$", "user_metadata"));
        assert!(mentions(
            "EXISTS (SELECT 1 FROM auth.users u WHERE (u.raw_user_meta_data ->> 'r') = 'a')",
            "raw_user_meta_data"
        ));
        assert!(!mentions("x = 1 -- user_metadata", "user_metadata"));
        assert!(!mentions("x = 1 /* user_metadata */", "user_metadata"));
        // Not one expression: searched as a whole rather than missed.
        assert!(mentions("user_metadata ->", "user_metadata"));
    }
}
