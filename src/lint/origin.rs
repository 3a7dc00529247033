//! Where the migration files create the objects diagnose reports on: the `CREATE` statement of a
//! table, view, sequence, function, index, policy, trigger or extension, found with PostgreSQL's
//! parser (`crate::sqltext`), placed as file:line:col. Read-only over files deskctl was pointed
//! at; must not fail a diagnose run (an unreadable directory or a file the parser rejects just
//! places nothing) nor connect.
//!
//! Names: unqualified names are taken to be in `public` (the default search_path), identifiers as
//! the parser folds them. The last `CREATE` of a name in application order wins (a `CREATE OR
//! REPLACE` or a drop-and-recreate defines the object as it now is). Renames are not followed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pg_query::protobuf::{node, FunctionParameterMode, ObjectType, RangeVar};

use super::migration::{qual, qual_of};
use super::Finding;
use crate::catalog::{QualName, Snapshot};
use crate::findings::Location;
use crate::migrate::MigrationFile;
use crate::sqltext::{self, NodeEnum};

/// The `CREATE` statements of a migration set, by what they create.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    files: Vec<PathBuf>,
    /// Tables, views, materialized views, foreign tables, sequences (one namespace in PostgreSQL).
    relations: HashMap<QualName, Place>,
    /// (schema, name) -> input argument count and place, per CREATE FUNCTION / PROCEDURE.
    functions: HashMap<QualName, Vec<(usize, Place)>>,
    /// Indexes by (schema of their table, index name).
    indexes: HashMap<QualName, Place>,
    /// Policies and triggers by (table, name).
    policies: HashMap<(QualName, String), Place>,
    triggers: HashMap<(QualName, String), Place>,
    extensions: HashMap<String, Place>,
}

/// A statement's place: file index, line, column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    file: usize,
    line: usize,
    col: usize,
}

impl Origins {
    /// The migration files of `dir` (both layouts), or nothing when it cannot be read. Loading
    /// them parses each file once (the load that migrated an ephemeral cluster in this run
    /// already did: its parses are reused), and that parse is what is read here.
    pub fn of_dir(dir: &Path) -> Origins {
        match crate::migrate::source::load(dir) {
            Ok(s) => Origins::of_files(&s.files),
            Err(_) => Origins::default(),
        }
    }

    /// Loaded migration files in application order, read through their parse (no parse here).
    pub fn of_files(files: &[MigrationFile]) -> Origins {
        crate::migrate::source::parse_all(&files.iter().collect::<Vec<_>>());
        let mut o = Origins::default();
        for f in files {
            o.add_file(f.path.clone(), f.body(), f.parsed());
        }
        o
    }

    /// `(path, SQL)` in application order, each text parsed here.
    pub fn of_texts<'a>(files: impl IntoIterator<Item = (PathBuf, &'a str)>) -> Origins {
        let mut o = Origins::default();
        for (path, sql) in files {
            o.add_file(path, sql, &sqltext::Parsed::new(sql));
        }
        o
    }

    /// One file: its `CREATE` statements, when the whole text parses.
    fn add_file(&mut self, path: PathBuf, sql: &str, parsed: &sqltext::Parsed) {
        let file = self.files.len();
        self.files.push(path);
        let Ok(statements) = parsed.strict() else {
            return;
        };
        let lines = sqltext::LineIndex::new(sql);
        for st in statements {
            let Some(n) = st.node.as_ref() else { continue };
            let (line, col) = lines.line_col(st.start);
            self.add(n, Place { file, line, col });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn add(&mut self, n: &NodeEnum, at: Place) {
        let rel = |rv: &Option<RangeVar>| rv.as_ref().map(qual);
        match n {
            NodeEnum::CreateStmt(c) => self.relation(rel(&c.relation), at),
            NodeEnum::CreateForeignTableStmt(c) => {
                self.relation(c.base_stmt.as_ref().and_then(|b| rel(&b.relation)), at)
            }
            NodeEnum::ViewStmt(v) => self.relation(rel(&v.view), at),
            NodeEnum::CreateSeqStmt(s) => self.relation(rel(&s.sequence), at),
            NodeEnum::CreateTableAsStmt(_) | NodeEnum::SelectStmt(_) => {
                let q = match n {
                    NodeEnum::CreateTableAsStmt(c)
                        if matches!(
                            c.objtype(),
                            ObjectType::ObjectTable | ObjectType::ObjectMatview
                        ) =>
                    {
                        c.into.as_ref().and_then(|i| rel(&i.rel))
                    }
                    NodeEnum::SelectStmt(s) => s.into_clause.as_ref().and_then(|i| rel(&i.rel)),
                    _ => None,
                };
                self.relation(q, at)
            }
            NodeEnum::CreateFunctionStmt(f) => {
                if let Some(q) = qual_of(&f.funcname) {
                    let inputs = f
                        .parameters
                        .iter()
                        .filter(|p| match p.node.as_ref() {
                            Some(node::Node::FunctionParameter(p)) => !matches!(
                                p.mode(),
                                FunctionParameterMode::FuncParamOut
                                    | FunctionParameterMode::FuncParamTable
                            ),
                            _ => false,
                        })
                        .count();
                    let v = self.functions.entry(q).or_default();
                    v.retain(|(n, _)| *n != inputs);
                    v.push((inputs, at));
                }
            }
            NodeEnum::IndexStmt(i) if !i.idxname.is_empty() => {
                if let Some(t) = rel(&i.relation) {
                    self.indexes
                        .insert(QualName::new(&t.schema, &i.idxname), at);
                }
            }
            NodeEnum::CreatePolicyStmt(p) => {
                if let Some(t) = rel(&p.table) {
                    self.policies.insert((t, p.policy_name.clone()), at);
                }
            }
            NodeEnum::CreateTrigStmt(t) => {
                if let Some(r) = rel(&t.relation) {
                    self.triggers.insert((r, t.trigname.clone()), at);
                }
            }
            NodeEnum::CreateExtensionStmt(e) => {
                self.extensions.insert(e.extname.clone(), at);
            }
            _ => {}
        }
    }

    fn relation(&mut self, q: Option<QualName>, at: Place) {
        if let Some(q) = q {
            self.relations.insert(q, at);
        }
    }

    fn location(&self, p: Place) -> Location {
        Location {
            file: self.files[p.file].clone(),
            line: p.line,
            col: p.col,
        }
    }

    /// Where the object of a finding was created: for a part, the policy, index or trigger of
    /// that name when the files create one, else the object itself (a table, view, function
    /// (matched by name and input argument count through the snapshot), or extension).
    pub fn find(&self, f: &Finding, snap: &Snapshot) -> Option<Location> {
        let o = &f.object;
        let part = f.part.as_ref().and_then(|p| {
            let key = (o.clone(), p.clone());
            self.policies
                .get(&key)
                .or_else(|| self.indexes.get(&QualName::new(&o.schema, p)))
                .or_else(|| self.triggers.get(&key))
        });
        let place = part
            .or_else(|| self.relations.get(o))
            .or_else(|| {
                let func = snap
                    .functions
                    .iter()
                    .find(|x| x.schema == o.schema && x.signature() == o.name)?;
                self.functions
                    .get(&QualName::new(&func.schema, &func.name))?
                    .iter()
                    .find(|(n, _)| *n == func.arg_types.len())
                    .map(|(_, p)| p)
            })
            .or_else(|| {
                snap.extensions
                    .iter()
                    .any(|e| e.schema == o.schema && e.name == o.name)
                    .then(|| self.extensions.get(&o.name))
                    .flatten()
            })?;
        Some(self.location(*place))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Function;
    use crate::lint::testkit::snap;

    fn origins() -> Origins {
        Origins::of_texts([
            (
                PathBuf::from("m/V1__init.sql"),
                "create table notes (id int);\n\n  CREATE TABLE app.\"Odd, Name\" (x int);\n\
create index notes_x on notes (id);\ncreate policy \"v1.2 read\" on notes for select using (true);\n",
            ),
            (
                PathBuf::from("m/V2__fn.sql"),
                "-- a comment; not a statement\ncreate function f(a int, out b int) language sql as $$ select 1 $$;\n\
create function f(a int, c text) returns int language sql as $$ select 2 $$;\n\
create or replace view v as select 1;\ncreate extension if not exists pgcrypto;\n",
            ),
            (PathBuf::from("m/V3__bad.sql"), "create table oops ("),
        ])
    }

    #[test]
    fn a_directory_is_read_through_its_load_and_placed_the_same() {
        let (d, _) = crate::migrate::source::testing::sources(&[
            (
                "V1__init.sql",
                "create table notes (id int);\n  create view v as select 1;\n",
            ),
            ("V2__bad.sql", "create table oops ("),
        ]);
        let o = Origins::of_dir(d.path());
        let s = snap(vec![], vec![]);
        let f = |q: QualName| Finding::new(q, "m", "x");
        let file = d.path().join("V1__init.sql").display().to_string();
        assert_eq!(
            at(o.find(&f(QualName::new("public", "v")), &s)),
            Some((file, 2, 3))
        );
        assert_eq!(at(o.find(&f(QualName::new("public", "oops")), &s)), None);
        assert!(Origins::of_dir(&d.path().join("missing")).is_empty());
    }

    fn at(l: Option<Location>) -> Option<(String, usize, usize)> {
        l.map(|l| (l.file.display().to_string(), l.line, l.col))
    }

    #[test]
    fn objects_and_parts_are_placed_at_their_create_statement() {
        let o = origins();
        let mut s = snap(vec![], vec![]);
        let f = |q: QualName| Finding::new(q, "m", "x");
        let here = |f: &Finding| at(o.find(f, &s));
        assert_eq!(
            here(&f(QualName::new("public", "notes"))),
            Some(("m/V1__init.sql".into(), 1, 1))
        );
        assert_eq!(
            here(&f(QualName::new("app", "Odd, Name"))),
            Some(("m/V1__init.sql".into(), 3, 3))
        );
        // A part: the policy (dotted name kept whole), the index; an unknown part: the table.
        assert_eq!(
            here(&f(QualName::new("public", "notes")).part("v1.2 read")),
            Some(("m/V1__init.sql".into(), 5, 1))
        );
        assert_eq!(
            here(&f(QualName::new("public", "notes")).part("notes_x")),
            Some(("m/V1__init.sql".into(), 4, 1))
        );
        assert_eq!(
            here(&f(QualName::new("public", "notes")).part("id")),
            Some(("m/V1__init.sql".into(), 1, 1))
        );
        assert_eq!(
            here(&f(QualName::new("public", "v"))),
            Some(("m/V2__fn.sql".into(), 4, 1))
        );
        assert_eq!(here(&f(QualName::new("public", "missing"))), None);
        assert_eq!(here(&f(QualName::new("public", "oops"))), None);
        // Functions: by the snapshot's signature, overloads told apart by input count.
        s.functions = vec![
            Function::new("public", "f", &["integer"], "integer"),
            Function::new("public", "f", &["integer", "text"], "integer"),
        ];
        let sig = |i: usize| QualName::new("public", s.functions[i].signature());
        assert_eq!(
            at(o.find(&f(sig(0)), &s)),
            Some(("m/V2__fn.sql".into(), 2, 1))
        );
        assert_eq!(
            at(o.find(&f(sig(1)), &s)),
            Some(("m/V2__fn.sql".into(), 3, 1))
        );
    }
}
