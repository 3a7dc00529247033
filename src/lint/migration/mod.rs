//! `deskctl lint`'s engine: static checks of migration files before they are applied, over
//! PostgreSQL's own parse trees (`crate::sqltext`), one file per rule under this directory. Owns
//! the rule model, the migration set (which tables it creates, which it only alters), suppression
//! comments (`-- deskctl:allow rule-id`) and disabled rules. Must not read files, connect or
//! render: `crate::migrate::lint` loads the pending files and prints what comes back.
//!
//! Names: an unqualified table or view is taken to be in `public` (the default search_path);
//! identifiers are compared as the parser gives them (folded unless quoted).

mod add_not_null_column;
mod breaking_column_change;
mod drop_policy_without_replacement;
mod index_not_concurrently;
mod rls_disabled;
mod security_definer_no_search_path;
mod sensitive_table_public_access;
mod table_without_rls;
#[cfg(test)]
pub(crate) mod testkit;
mod transaction_control;
mod view_without_security_invoker;

use std::path::PathBuf;
use std::sync::Arc;

use pg_query::protobuf::{node, AlterTableType, RangeVar, RoleSpecType};
use serde::Serialize;

use crate::catalog::QualName;
use crate::findings::Level;
use crate::sqltext::{self, NodeEnum, Statement, SyntaxError};

/// What each rule file needs.
mod prelude {
    pub use crate::catalog::QualName;
    pub use crate::findings::Level;
    pub use crate::lint::migration::{alter_cmds, def_names, Hit, MigrationRule, Set};
    pub use crate::lint::sql::qident;
    pub use crate::sqltext::NodeEnum;
    pub use pg_query::protobuf::AlterTableType;
}

/// Every rule, in report order: errors first, then warnings.
pub static RULES: &[&MigrationRule] = &[
    &table_without_rls::RULE,
    &rls_disabled::RULE,
    &sensitive_table_public_access::RULE,
    &security_definer_no_search_path::RULE,
    &view_without_security_invoker::RULE,
    &add_not_null_column::RULE,
    &transaction_control::RULE,
    &drop_policy_without_replacement::RULE,
    &index_not_concurrently::RULE,
    &breaking_column_change::RULE,
];

/// The pseudo-rule for a file PostgreSQL's parser rejects (no other rule can look at it).
pub const SYNTAX_ERROR: &str = "syntax-error";

/// A rule by id.
pub fn rule(id: &str) -> Option<&'static MigrationRule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// One migration lint, over the migration set (the rule model is diagnose's: [`super::RuleDef`]).
pub type MigrationRule = super::RuleDef<fn(&Set) -> Vec<Hit>>;

/// One problem a rule found: where (statement), what, and the concrete fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub file: usize,
    pub statement: usize,
    pub message: String,
    pub fix: String,
}

/// One file of the migration set.
#[derive(Debug, Clone)]
pub struct File {
    pub path: PathBuf,
    /// The text sent to the server (no byte-order mark).
    pub sql: String,
    /// Runs in deskctl's transaction (false for `-- deskctl:no-transaction` files).
    pub transactional: bool,
    /// Empty when the file does not parse. Shared with the loaded migration file (not copied).
    pub statements: Arc<[Statement]>,
    pub syntax_error: Option<SyntaxError>,
    /// Lines (1-based) of `-- deskctl:allow` comments and the rule ids each names.
    allows: Vec<Allow>,
    /// `sqltext::line_starts(sql)`: placing a statement is a binary search, so a file of
    /// thousands of statements is not read once per statement.
    line_starts: Vec<usize>,
}

impl File {
    pub fn new(path: impl Into<PathBuf>, sql: &str, transactional: bool) -> File {
        File::parsed(path, sql, &sqltext::Parsed::new(sql), transactional)
    }

    /// [`File::new`] of a text already parsed (`parsed` must be `sql`'s): a migration file is
    /// parsed once, when it is loaded.
    pub fn parsed(
        path: impl Into<PathBuf>,
        sql: &str,
        parsed: &sqltext::Parsed,
        transactional: bool,
    ) -> File {
        let (statements, syntax_error) = match &parsed.error {
            None => (parsed.statements.clone(), None),
            Some(e) => (Arc::from([]), Some(e.clone())),
        };
        File {
            path: path.into(),
            sql: sql.to_string(),
            transactional,
            statements,
            syntax_error,
            allows: allow_comments(sql),
            line_starts: sqltext::line_starts(sql),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, at: usize) -> (usize, usize) {
        sqltext::line_col_with(&self.sql, &self.line_starts, at)
    }

    /// Whether `-- deskctl:allow <rule>` stands on one of the statement's lines or the line before.
    fn allows(&self, statement: usize, rule: &str) -> bool {
        let Some(st) = self.statements.get(statement) else {
            return false;
        };
        let first = self.line_col(st.start).0;
        let last = self.line_col(st.end).0;
        self.allows.iter().any(|a| {
            let here = (a.line >= first && a.line <= last) || (a.alone && a.line + 1 == first);
            here && a.ids.iter().any(|i| i == rule)
        })
    }
}

/// The `-- deskctl:allow a, b` comments of a text, found by PostgreSQL's lexer (a comment-looking
/// text inside a string literal is not a comment): (line, on a line of its own, rule ids).
fn allow_comments(sql: &str) -> Vec<Allow> {
    // Every such comment holds the marker's text: a file without it has none, and is not lexed.
    if !sql.contains("deskctl:allow") {
        return Vec::new();
    }
    let Ok(scan) = pg_query::scan(sql) else {
        return Vec::new();
    };
    let comment = pg_query::protobuf::Token::SqlComment as i32;
    let lines = sqltext::LineIndex::new(sql);
    let mut code_lines: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for t in &scan.tokens {
        let line = lines.line_col(t.start as usize).0;
        if t.token != comment {
            code_lines.insert(lines.line_col(t.end as usize).0);
            continue;
        }
        let Some(text) = sql.get(t.start as usize..t.end as usize) else {
            continue;
        };
        let Some(ids) = text
            .strip_prefix("--")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("deskctl:allow"))
        else {
            continue;
        };
        let ids = ids
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        out.push(Allow {
            line,
            alone: !code_lines.contains(&line),
            ids,
        });
    }
    out
}

/// One `-- deskctl:allow` comment.
#[derive(Debug, Clone)]
struct Allow {
    line: usize,
    /// Nothing but the comment on its line: it speaks for the statement on the next line.
    alone: bool,
    ids: Vec<String>,
}

/// A statement of the set with its place.
#[derive(Debug, Clone, Copy)]
pub struct Stmt<'a> {
    pub file: usize,
    pub index: usize,
    pub node: &'a NodeEnum,
}

impl Stmt<'_> {
    pub fn hit(&self, message: impl Into<String>, fix: impl Into<String>) -> Hit {
        Hit {
            file: self.file,
            statement: self.index,
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// Whether this statement comes before `other` in the set.
    pub fn before(&self, other: &Stmt) -> bool {
        (self.file, self.index) < (other.file, other.index)
    }
}

/// The migration set being linted: the pending files in the order they would be applied.
#[derive(Debug, Clone)]
pub struct Set {
    pub files: Vec<File>,
    /// Schemas API clients reach (Supabase's `[api] schemas`; default `public`).
    pub exposed: Vec<String>,
    /// Built on first use, in one pass over the statements: rules ask per statement, and a scan
    /// per question made linting 1,000 files quadratic (~1 s of `migrate`'s lint gate).
    tables: std::sync::OnceLock<TableIndex>,
}

/// Per table of the set: where it is first created, and the columns the set gives it.
#[derive(Debug, Clone, Default)]
struct TableIndex {
    created: std::collections::HashMap<QualName, (usize, usize)>,
    columns: std::collections::HashMap<QualName, Vec<String>>,
    /// Tables an `ALTER TABLE ... ENABLE ROW LEVEL SECURITY` names.
    rls_enabled: std::collections::HashSet<QualName>,
    /// Top-level `ALTER TABLE ... RENAME TO`, in order: (table, new name).
    renames: Vec<(QualName, String)>,
}

impl Set {
    pub fn new(files: Vec<File>, exposed: &[String]) -> Set {
        Set {
            files,
            exposed: exposed.to_vec(),
            tables: std::sync::OnceLock::new(),
        }
    }

    fn tables(&self) -> &TableIndex {
        self.tables.get_or_init(|| {
            let mut ix = TableIndex::default();
            for s in self.statements() {
                if let Some(q) = created_table(s.node) {
                    ix.created.entry(q).or_insert((s.file, s.index));
                }
                match s.node {
                    NodeEnum::CreateStmt(c) => {
                        if let Some(q) = c.relation.as_ref().map(qual) {
                            let cols = ix.columns.entry(q).or_default();
                            for e in &c.table_elts {
                                if let Some(node::Node::ColumnDef(d)) = e.node.as_ref() {
                                    cols.push(d.colname.clone());
                                }
                            }
                        }
                    }
                    NodeEnum::RenameStmt(r)
                        if r.rename_type() == pg_query::protobuf::ObjectType::ObjectTable =>
                    {
                        if let Some(rv) = r.relation.as_ref() {
                            ix.renames.push((qual(rv), r.newname.clone()));
                        }
                    }
                    n => {
                        if let Some((q, cmds)) = alter_cmds(n) {
                            if cmds
                                .iter()
                                .any(|c| c.subtype() == AlterTableType::AtEnableRowSecurity)
                            {
                                ix.rls_enabled.insert(q.clone());
                            }
                            for c in cmds {
                                if let Some(node::Node::ColumnDef(d)) =
                                    c.def.as_ref().and_then(|d| d.node.as_ref())
                                {
                                    ix.columns
                                        .entry(q.clone())
                                        .or_default()
                                        .push(d.colname.clone());
                                }
                            }
                        }
                    }
                }
            }
            ix
        })
    }

    /// Columns the set gives table `t` (CREATE TABLE and ADD COLUMN), in statement order.
    pub fn columns_of(&self, t: &QualName) -> &[String] {
        self.tables().columns.get(t).map_or(&[], Vec::as_slice)
    }

    /// Every parsed statement, in application order.
    pub fn statements(&self) -> impl Iterator<Item = Stmt<'_>> {
        self.files.iter().enumerate().flat_map(|(fi, f)| {
            f.statements.iter().enumerate().filter_map(move |(si, s)| {
                s.node.as_ref().map(|node| Stmt {
                    file: fi,
                    index: si,
                    node,
                })
            })
        })
    }

    pub fn is_exposed(&self, schema: &str) -> bool {
        self.exposed.iter().any(|s| s == schema)
    }

    /// The statement that creates table `q` in this set (CREATE TABLE, CREATE TABLE AS,
    /// SELECT INTO), if any.
    pub fn creation(&self, q: &QualName) -> Option<Stmt<'_>> {
        let &(file, index) = self.tables().created.get(q)?;
        let node = self.files[file].statements[index].node.as_ref()?;
        Some(Stmt { file, index, node })
    }

    /// Whether the table existed before this migration set, as seen from statement `at`: it is
    /// not created by an earlier statement of the set.
    pub fn existed_before(&self, q: &QualName, at: &Stmt) -> bool {
        self.creation(q).is_none_or(|c| !c.before(at))
    }

    /// Whether some statement of the set matching `pred` exists.
    pub fn any(&self, mut pred: impl FnMut(&Stmt) -> bool) -> bool {
        self.statements().any(|s| pred(&s))
    }
}

/// `schema.name` of a RangeVar (unqualified: `public`).
pub fn qual(rv: &RangeVar) -> QualName {
    let schema = if rv.schemaname.is_empty() {
        "public"
    } else {
        &rv.schemaname
    };
    QualName::new(schema, &rv.relname)
}

/// The table a statement creates.
pub fn created_table(n: &NodeEnum) -> Option<QualName> {
    match n {
        NodeEnum::CreateStmt(c) => c.relation.as_ref().map(qual),
        NodeEnum::CreateTableAsStmt(c) => c
            .into
            .as_ref()
            .and_then(|i| i.rel.as_ref())
            .filter(|_| c.objtype() == pg_query::protobuf::ObjectType::ObjectTable)
            .map(qual),
        NodeEnum::SelectStmt(s) => s
            .into_clause
            .as_ref()
            .and_then(|i| i.rel.as_ref())
            .map(qual),
        _ => None,
    }
}

/// The commands of an `ALTER TABLE` (and ALTER VIEW ...) with its target.
pub fn alter_cmds(n: &NodeEnum) -> Option<(QualName, Vec<&pg_query::protobuf::AlterTableCmd>)> {
    let NodeEnum::AlterTableStmt(a) = n else {
        return None;
    };
    let target = qual(a.relation.as_ref()?);
    let cmds = a
        .cmds
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(node::Node::AlterTableCmd(c)) => Some(c.as_ref()),
            _ => None,
        })
        .collect();
    Some((target, cmds))
}

/// The names table `q` goes by in the set: its own, then each top-level `ALTER TABLE ... RENAME
/// TO` gives it (a rename inside a DO block or function cannot be followed).
pub fn names_of(set: &Set, q: &QualName) -> Vec<QualName> {
    let mut names = vec![q.clone()];
    for (from, to) in &set.tables().renames {
        if names.contains(from) {
            let schema = names[0].schema.clone();
            names.push(QualName::new(schema, to));
        }
    }
    names
}

/// Whether `ALTER TABLE ... ENABLE ROW LEVEL SECURITY` is in the set for `q` under any of its names.
pub fn enables_rls(set: &Set, q: &QualName) -> bool {
    let enabled = &set.tables().rls_enabled;
    names_of(set, q).iter().any(|n| enabled.contains(n))
}

/// Role names of a TO / grantee list, lowercase `public` for PUBLIC.
pub fn role_names(roles: &[pg_query::Node]) -> Vec<String> {
    roles
        .iter()
        .filter_map(|r| match r.node.as_ref() {
            Some(node::Node::RoleSpec(rs)) => Some(match rs.roletype() {
                RoleSpecType::RolespecPublic => "public".to_string(),
                RoleSpecType::RolespecCurrentUser => "current_user".to_string(),
                RoleSpecType::RolespecCurrentRole => "current_role".to_string(),
                RoleSpecType::RolespecSessionUser => "session_user".to_string(),
                _ => rs.rolename.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The `defname`s of a DefElem list (function options, view options ...), with the element.
pub fn def_names(opts: &[pg_query::Node]) -> Vec<&pg_query::protobuf::DefElem> {
    opts.iter()
        .filter_map(|o| match o.node.as_ref() {
            Some(node::Node::DefElem(d)) => Some(d.as_ref()),
            _ => None,
        })
        .collect()
}

/// The names in a list of `String` nodes (a qualified function name, ...).
pub fn strings(names: &[pg_query::Node]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(node::Node::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

/// A qualified name from a list of `String` nodes (`[schema,] name`; unqualified: public).
pub fn qual_of(names: &[pg_query::Node]) -> Option<QualName> {
    qual_from(&strings(names))
}

/// A qualified name from its parts (`[schema,] name`; unqualified: public).
pub fn qual_from(names: &[String]) -> Option<QualName> {
    match names {
        [name] => Some(QualName::new("public", name)),
        [.., schema, name] => Some(QualName::new(schema, name)),
        [] => None,
    }
}

/// A boolean-ish DefElem value (`true`, `on`, `1`, or no value at all) as the server reads it.
pub fn def_true(d: &pg_query::protobuf::DefElem) -> bool {
    let Some(arg) = d.arg.as_ref().and_then(|a| a.node.as_ref()) else {
        return true;
    };
    let text = match arg {
        node::Node::String(s) => s.sval.clone(),
        node::Node::Boolean(b) => b.boolval.to_string(),
        node::Node::Integer(i) => i.ival.to_string(),
        node::Node::AConst(c) => match c.val.as_ref() {
            Some(pg_query::protobuf::a_const::Val::Sval(s)) => s.sval.clone(),
            Some(pg_query::protobuf::a_const::Val::Boolval(b)) => b.boolval.to_string(),
            Some(pg_query::protobuf::a_const::Val::Ival(i)) => i.ival.to_string(),
            _ => return false,
        },
        _ => return false,
    };
    matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "on" | "1" | "yes" | "t" | "y"
    )
}

/// One finding, placed and ready to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationFinding {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub fix: String,
    /// Why the rule matters (the rule's text).
    pub why: String,
}

/// The outcome of linting a set (what the migrate lint gate decides on).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GateOutcome {
    pub findings: Vec<MigrationFinding>,
    /// Findings silenced by `-- deskctl:allow`.
    pub suppressed: usize,
    /// Rules left out by `[lint] disable`.
    pub disabled: Vec<String>,
}

impl GateOutcome {
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }

    pub fn worst(&self) -> Option<Level> {
        self.findings.iter().map(|f| f.level).max()
    }
}

/// Unknown ids in `[lint] disable` are input errors (a typo would silently check everything).
pub fn validate_disabled(disable: &[String]) -> Result<(), String> {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let given = disable.iter().map(String::as_str);
    let bad: Vec<String> = super::unknown_ids(given, RULES, |d, id| d == id)
        .into_iter()
        .map(|(d, close)| match close {
            Some(c) => format!("`{d}` (did you mean `{c}`?)"),
            None => format!("`{d}`"),
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "[lint] disable names unknown rule(s) {}; rules: {}",
            bad.join(", "),
            ids.join(", ")
        ))
    }
}

/// Run every enabled rule over the set; syntax errors are findings of their own.
pub fn lint(set: &Set, disable: &[String]) -> GateOutcome {
    let mut out = GateOutcome {
        disabled: disable.to_vec(),
        ..GateOutcome::default()
    };
    for f in &set.files {
        if let Some(e) = &f.syntax_error {
            let (line, col) = f.line_col(e.at.unwrap_or(0));
            out.findings.push(MigrationFinding {
                file: f.path.clone(),
                line,
                col,
                rule: SYNTAX_ERROR.into(),
                level: Level::Error,
                message: format!("PostgreSQL's parser rejects this file: {}", e.message),
                fix: "correct the SQL; no other rule could check this file".into(),
                why: "the server would refuse it too".into(),
            });
        }
    }
    for (rule, hits) in super::run_enabled(RULES, disable, |check| check(set)) {
        for h in hits {
            let file = &set.files[h.file];
            if file.allows(h.statement, rule.id) {
                out.suppressed += 1;
                continue;
            }
            let (line, col) = file.line_col(file.statements[h.statement].start);
            out.findings.push(MigrationFinding {
                file: file.path.clone(),
                line,
                col,
                rule: rule.id.into(),
                level: rule.level,
                message: h.message,
                fix: h.fix,
                why: rule.why.into(),
            });
        }
    }
    // Errors first, then by place.
    out.findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_ordered_and_documented() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let levels: Vec<Level> = RULES.iter().map(|r| r.level).collect();
        let mut sorted = levels.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(levels, sorted, "RULES is ordered error, warn, info");
        let doc = include_str!("../../../docs/migrate.md");
        for r in RULES {
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.id
            );
            assert!(
                doc.contains(&format!("`{}`", r.id)),
                "docs/migrate.md lacks `{}`",
                r.id
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn allow_comment_on_the_line_before_or_the_same_line() {
        let sql = "-- deskctl:allow rls-disabled\nalter table a disable row level security;\n\
alter table b disable row level security; -- deskctl:allow rls-disabled, other\n\
alter table c disable row level security;\n\
select '-- deskctl:allow rls-disabled';\nalter table d disable row level security;\n";
        let set = set_of(&[("V1__x.sql", sql)]);
        let out = lint(&set, &[]);
        let lines: Vec<usize> = out.findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, [4, 6], "{out:#?}");
        assert_eq!(out.suppressed, 2);
    }

    #[test]
    fn a_file_built_from_its_parse_is_the_file_parsed_here() {
        for sql in [
            "create table t (a int);\nalter table t disable row level security; -- deskctl:allow rls-disabled",
            "select 1;\ncreate tabel t ();\n",
        ] {
            let parsed = sqltext::Parsed::new(sql);
            let a = File::parsed("V1__x.sql", sql, &parsed, true);
            let b = File::new("V1__x.sql", sql, true);
            assert_eq!(a.statements, b.statements);
            assert_eq!(a.syntax_error, b.syntax_error);
            assert_eq!(a.allows.len(), b.allows.len());
            assert_eq!(a.statements.is_empty(), parsed.error.is_some());
            if parsed.error.is_none() {
                // The parse trees are shared, not copied.
                assert!(Arc::ptr_eq(&a.statements, &parsed.statements));
            }
        }
        // Without the marker's text there is nothing to find; with it, only real comments count.
        assert!(allow_comments("select '-- deskctl:allow x';").is_empty());
        assert_eq!(allow_comments("select 1; -- deskctl:allow x").len(), 1);
        assert!(allow_comments("select 1; -- deskctl:allo x").is_empty());
    }

    #[test]
    fn disabled_rules_do_not_run_and_unknown_ones_are_refused() {
        let set = set_of(&[("V1__x.sql", "alter table a disable row level security;")]);
        assert_eq!(lint(&set, &[]).findings.len(), 1);
        assert!(lint(&set, &["rls-disabled".into()]).findings.is_empty());
        let e = validate_disabled(&["rls-disable".into()]).unwrap_err();
        assert!(e.contains("did you mean `rls-disabled`"), "{e}");
    }

    #[test]
    fn a_file_that_does_not_parse_is_one_error_at_its_position() {
        let set = set_of(&[("V1__x.sql", "select 1;\ncreate tabel t ();\n")]);
        let out = lint(&set, &[]);
        assert_eq!(out.findings.len(), 1, "{out:#?}");
        assert_eq!(out.findings[0].rule, SYNTAX_ERROR);
        assert_eq!(out.findings[0].line, 2);
    }

    #[test]
    fn existed_before_follows_the_set_order() {
        let set = set_of(&[
            ("V1__a.sql", "create index on t (a);"),
            (
                "V2__b.sql",
                "create table t (a int);\ncreate index on t (a);",
            ),
        ]);
        let q = QualName::new("public", "t");
        let s: Vec<Stmt> = set.statements().collect();
        assert!(set.existed_before(&q, &s[0]));
        assert!(!set.existed_before(&q, &s[2]));
    }
}
