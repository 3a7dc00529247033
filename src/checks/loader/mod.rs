//! Loads check files: finds them, parses the TOML (keeping spans), deserializes each check into
//! its kind, validates it, assigns ids, and collects EVERY problem of every file with
//! file:line:col and a hint before anything runs. Must not touch the database or print.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::IntoDeserializer;
use serde::Deserialize;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

mod check;
mod chunks;
mod defs;
mod file;
pub(crate) mod keys;
pub(crate) mod probe;
mod shape;
mod walk;

pub(crate) use keys::PathSeg;
pub(crate) use probe::names as serde_names;

use chunks::{split_checks, Odd};
use defs::{read_defs, DefsSource};
use file::{CheckTable, DefsState, FileLoader, LineStarts, Loaded};

use super::behaviour::given::{Defs, Fixture, FixtureSpec, FixtureText, Persona, PersonaSpec};
use super::{Check, LoadErrors, LoadProblem, Spec, KINDS};
use crate::checks::validator::{KeyProblem, Validator};
use crate::findings::Location;
use crate::words::closest;

/// Keys every check may have, whatever its kind.
pub const COMMON_KEYS: &[&str] = &["id", "description", "schema"];

/// Keys allowed at the top of a file besides the kind arrays.
const FILE_KEYS: &[&str] = &["schema", "personas", "fixtures", "include"];

/// Load every check from files and directories (directories: every `*.toml` below, sorted).
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Check>, LoadErrors> {
    load_paths_with_defs(paths).map(|(checks, _)| checks)
}

/// Like [`load_paths`], with the personas and fixtures each file declares or includes (one
/// `Defs` per file, in load order): `access --persona` resolves personas with the same loader.
pub fn load_paths_with_defs(paths: &[PathBuf]) -> Result<(Vec<Check>, Vec<Defs>), LoadErrors> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        let kind = match crate::inputs::kind(p) {
            Ok(k) => k,
            Err(e) => {
                problems.push(plain(p, &format!("cannot read it: {e}"), None));
                continue;
            }
        };
        if kind == crate::inputs::InputKind::Dir {
            let before = files.len();
            let found_problems = problems.len();
            collect_dir(p, &mut files, &mut problems);
            if files.len() == before && problems.len() == found_problems {
                problems.push(plain(
                    p,
                    "no check files (*.toml) in this directory",
                    Some(
                        "write checks as described in docs/checks.md, or pass the files to verify",
                    ),
                ));
            }
        } else if kind == crate::inputs::InputKind::File {
            files.push(p.clone());
        } else if let crate::inputs::InputKind::Special(what) = kind {
            let e = crate::inputs::not_a_file(what);
            problems.push(plain(p, &format!("cannot read check file: {e}"), None));
        } else {
            problems.push(plain(
                p,
                "no such file or directory",
                Some("pass check files (.toml) or directories of them; the default is ./checks"),
            ));
        }
    }
    let mut loaded = Vec::new();
    for f in &files {
        match crate::inputs::read_to_string(f) {
            Ok(text) => loaded.push((f.clone(), text)),
            Err(e) => problems.push(plain(f, &format!("cannot read check file: {e}"), None)),
        }
    }
    let sources: Vec<(&Path, &str)> = loaded
        .iter()
        .map(|(p, t)| (p.as_path(), t.as_str()))
        .collect();
    match load_sources_with_defs(&sources) {
        Ok(loaded) if problems.is_empty() => Ok(loaded),
        Ok(_) => Err(LoadErrors(problems)),
        Err(LoadErrors(more)) => {
            problems.extend(more);
            Err(LoadErrors(problems))
        }
    }
}

/// Load one file's text (tests, `snapshot` round trips).
pub fn load_str(path: &Path, text: &str) -> Result<Vec<Check>, LoadErrors> {
    load_sources(&[(path, text)])
}

/// Every `*.toml` below `dir` (sorted). Link loops, and FIFOs/devices/sockets named `*.toml` or
/// `*.sql` (pgTAP files, which verify hands here when their walk met such a problem), are problems.
fn collect_dir(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<LoadProblem>) {
    let is = |p: &Path, ext: &str| p.extension().is_some_and(|e| e == ext);
    let walk = crate::inputs::walk(dir, &|p| is(p, "toml") || is(p, "sql"));
    files.extend(walk.files.into_iter().filter(|p| is(p, "toml")));
    for (p, e) in walk.problems {
        problems.push(plain(&p, &format!("cannot read it: {e}"), None));
    }
}

fn plain(path: &Path, message: &str, hint: Option<&str>) -> LoadProblem {
    // A connection string passed where a check path goes (`verify postgres://u:pw@h/db`) is
    // shown masked by the parser deskctl connects with.
    let text = path.to_string_lossy();
    let file = if crate::db::conninfo::secrets(&text).is_empty() {
        path.to_path_buf()
    } else {
        PathBuf::from(crate::db::conninfo::mask_password(&text))
    };
    LoadProblem {
        file,
        line: 1,
        col: 1,
        message: message.to_string(),
        hint: hint.map(str::to_string),
    }
}

/// Load several files' texts; ids are unique across all of them.
pub fn load_sources(sources: &[(&Path, &str)]) -> Result<Vec<Check>, LoadErrors> {
    load_sources_with_defs(sources).map(|(checks, _)| checks)
}

fn load_sources_with_defs(
    sources: &[(&Path, &str)],
) -> Result<(Vec<Check>, Vec<Defs>), LoadErrors> {
    if sources.iter().map(|(_, t)| t.len()).sum::<usize>() > VALIDATE_FIRST {
        load_kept(sources, &|(c, id_span): Loaded| Light {
            id: c.id,
            id_span,
            line: c.location.line,
            col: c.location.col,
        })?;
    }
    let (files, all_defs) = load_kept(sources, &|l: Loaded| l)?;
    let mut checks = Vec::new();
    for file_checks in files {
        if checks.is_empty() {
            checks = file_checks.into_iter().map(|(c, _)| c).collect();
        } else {
            checks.extend(file_checks.into_iter().map(|(c, _)| c));
        }
    }
    Ok((checks, all_defs))
}

/// What loading keeps of each check: the check, or — validating a large input first — only what
/// duplicate ids are found by.
trait Kept: Send {
    fn id(&self) -> &str;
    fn id_span(&self) -> Option<&Range<usize>>;
    fn line_col(&self) -> (usize, usize);
}

impl Kept for Loaded {
    fn id(&self) -> &str {
        &self.0.id
    }
    fn id_span(&self) -> Option<&Range<usize>> {
        self.1.as_ref()
    }
    fn line_col(&self) -> (usize, usize) {
        (self.0.location.line, self.0.location.col)
    }
}

/// A check validated and dropped.
struct Light {
    id: String,
    id_span: Option<Range<usize>>,
    line: usize,
    col: usize,
}

impl Kept for Light {
    fn id(&self) -> &str {
        &self.id
    }
    fn id_span(&self) -> Option<&Range<usize>> {
        self.id_span.as_ref()
    }
    fn line_col(&self) -> (usize, usize) {
        (self.line, self.col)
    }
}

/// Inputs larger than this (all files together) are validated first, keeping no check, and loaded
/// only when valid: a huge file with a problem at its end is reported with memory near the
/// file's size (a loaded check takes several times its text), at the price of reading a large
/// valid input twice (issue 10, promise 13).
const VALIDATE_FIRST: usize = 8 << 20;

/// Every file's checks (as `keep` makes them) and definitions, or every problem of every file.
#[allow(clippy::type_complexity)]
fn load_kept<T: Kept>(
    sources: &[(&Path, &str)],
    keep: &(dyn Fn(Loaded) -> T + Sync),
) -> Result<(Vec<Vec<T>>, Vec<Defs>), LoadErrors> {
    // Every file first; then duplicate ids, looked up by reference (no copy of any id or
    // location per check: a 50 MB file holds ~280,000 checks).
    let mut files: Vec<(FileLoader, Vec<T>)> = Vec::with_capacity(sources.len());
    for (path, text) in sources {
        let mut file = FileLoader::new(path, text);
        let file_checks = file.load(keep);
        if file_checks.is_empty() && file.problems.is_empty() && !file.defs.declares {
            // No false green: a file that holds no check proves nothing.
            file.problems.push(LoadProblem {
                file: path.to_path_buf(),
                line: 1,
                col: 1,
                message: "holds no checks (the file is empty, or has only comments and file keys)".into(),
                hint: Some(
                    "a check file needs at least one check table, e.g. [[rls]] or [[scenario]] (docs/checks.md)"
                        .into(),
                ),
            });
        }
        files.push((file, file_checks));
    }
    // (file, problem) for every check whose id an earlier check already has.
    let mut duplicates: Vec<(usize, LoadProblem)> = Vec::new();
    {
        let total = files.iter().map(|(_, c)| c.len()).sum();
        // id -> (file, line, col) where first defined
        let mut first: HashMap<&str, (usize, usize, usize)> = HashMap::with_capacity(total);
        for (f, (file, checks)) in files.iter().enumerate() {
            for check in checks {
                let (at_line, at_col) = check.line_col();
                let Some(&(ff, fl, fc)) = first.get(check.id()) else {
                    first.insert(check.id(), (f, at_line, at_col));
                    continue;
                };
                let id_span = check.id_span();
                let (line, col) = match id_span {
                    Some(s) => file.lines.line_col(file.text, s.start),
                    None => (at_line, at_col),
                };
                duplicates.push((
                    f,
                    LoadProblem {
                        file: file.path.to_path_buf(),
                        line,
                        col,
                        message: format!("duplicate check id `{}`", check.id()),
                        hint: Some(format!(
                            "first used at {}:{fl}:{fc}; ids must be unique across all check files{}",
                            files[ff].0.path.display(),
                            if id_span.is_none() {
                                " (give one of them an explicit `id`)"
                            } else {
                                ""
                            }
                        )),
                    },
                ));
            }
        }
    }
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(files.len());
    let mut all_defs = Vec::with_capacity(files.len());
    let mut dups = duplicates.into_iter().peekable();
    for (f, (mut file, file_checks)) in files.into_iter().enumerate() {
        while let Some((_, p)) = dups.next_if(|d| d.0 == f) {
            file.problems.push(p);
        }
        file.problems.sort_by_key(|p| (p.line, p.col));
        problems.append(&mut file.problems);
        all_defs.push(std::mem::take(&mut file.defs.defs));
        if problems.is_empty() {
            out.push(file_checks);
        } else {
            // Nothing will run: the checks are not kept.
            out.clear();
        }
    }
    if problems.is_empty() {
        Ok((out, all_defs))
    } else {
        Err(LoadErrors(problems))
    }
}

#[cfg(test)]
mod tests {

    /// The validation pass of large inputs (checks dropped, only ids and places kept) reports
    /// exactly the problems the loading pass reports: duplicate ids within and across files
    /// (with and without explicit ids), a bad key, a TOML error.
    #[test]
    fn validating_without_keeping_checks_reports_the_same_problems() {
        let a = "[[rls]]\nid = \"x\"\ntables = [\"a\"]\n\n[[rls]]\ntables = [\"b\"]\n\n[[count]]\nid = \"x\"\nobject = \"table\"\nexpect = 1\n";
        let b = "[[rls]]\nid = \"a:rls-2\"\ntables = [\"a\"]\nforcee = true\n\n[[rls]]\nid = \"x\"\ntables = [\"c\"]\n\n[[rls]]\ntables = [\"d\"\n";
        let srcs: [(&Path, &str); 2] = [(Path::new("a.toml"), a), (Path::new("b.toml"), b)];
        let light = |(c, id_span): Loaded| Light {
            id: c.id,
            id_span,
            line: c.location.line,
            col: c.location.col,
        };
        let show = |e: LoadErrors| -> Vec<String> {
            e.0.iter()
                .map(|p| {
                    format!(
                        "{}:{}:{} {} {:?}",
                        p.file.display(),
                        p.line,
                        p.col,
                        p.message,
                        p.hint
                    )
                })
                .collect()
        };
        let Err(kept) = load_kept(&srcs, &|l: Loaded| l) else {
            panic!("no problems")
        };
        let kept = show(kept);
        let Err(validated) = load_kept(&srcs, &light) else {
            panic!("no problems")
        };
        let validated = show(validated);
        assert!(
            kept.iter()
                .filter(|p| p.contains("duplicate check id"))
                .count()
                >= 2,
            "{kept:#?}"
        );
        assert_eq!(kept, validated);
        // A valid input validates to the same ids it loads.
        let ok = [(Path::new("a.toml"), "[[rls]]\ntables = [\"a\"]\n")];
        assert_eq!(
            load_kept(&ok, &light).ok().map(|(v, _)| v[0].len()),
            Some(1)
        );
    }
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match load_str(Path::new("c.toml"), text) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn every_problem_is_reported_with_position_and_hint() {
        let p = problems(
            "[[rls]]\ntabels = [\"a\"]\n\n[[count]]\nobject = \"tabel\"\nexpect = 3\n\n[[polices]]\ntable = \"x\"\n",
        );
        assert_eq!(p.len(), 3, "{p:#?}");
        // In file order.
        assert!(p[2].contains(":8:3:"), "{p:#?}");
        assert!(
            p[0].contains("c.toml:2:1: unknown key `tabels` in [[rls]]"),
            "{p:#?}"
        );
        assert!(p[0].contains("did you mean `tables`?"), "{p:#?}");
        assert!(
            p.iter()
                .any(|x| x.contains("c.toml:5:10") && x.contains("did you mean `table`?")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|x| x.contains("c.toml:8:3: unknown check kind `polices`")
                    && x.contains("did you mean `policies`?")),
            "{p:#?}"
        );
    }

    #[test]
    fn several_bad_keys_in_one_check_are_all_reported() {
        let p = problems("[[count]]\nobjekt = \"table\"\nexpect = \"three\"\nnames = 3\n");
        assert!(
            p.iter().any(|x| x.contains("unknown key `objekt`")),
            "{p:#?}"
        );
        assert!(p.iter().any(|x| x.contains("`expect`")), "{p:#?}");
        assert!(p.iter().any(|x| x.contains("`names`")), "{p:#?}");
    }

    #[test]
    fn default_ids_are_stable_and_duplicates_rejected() {
        let checks = load_str(
            Path::new("dir/live.toml"),
            "[[rls]]\ntables = [\"a\"]\n[[count]]\nobject = \"table\"\nexpect = 1\n[[rls]]\nid = \"mine\"\nall = true\n[[rls]]\nall = true\n",
        )
        .unwrap();
        let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["live:rls-1", "live:count-1", "mine", "live:rls-3"]);
        assert_eq!(checks[1].location.line, 3);
        let p = problems("[[rls]]\nid = \"x\"\nall = true\n[[rls]]\nid = \"x\"\nall = true\n");
        assert_eq!(p.len(), 1);
        assert!(
            p[0].contains("c.toml:5:6: duplicate check id `x`"),
            "{p:#?}"
        );
    }

    #[test]
    fn chunked_and_whole_loading_agree() {
        let text = r#"# header comment
schema = "app"

[[count]]   # trailing comment
object = "table"
expect = 1

[[policies]]
table = "t"
expect = [{ name = "a", command = "SELECT" }]

  [[ rls ]]
id = "r"
tables = ["t"]

[[count]]
description = '''
[[rls]]
a header-like line inside a multi-line string
'''
object = "view"
expect = 2
"#;
        let mut fl = FileLoader::new(Path::new("f.toml"), text);
        // The multi-line string makes the chunk after it irregular: the rest is read as one
        // document, which gives what the whole file gives.
        let whole = fl.load(&|l| l);
        assert!(fl.problems.is_empty(), "{:?}", fl.problems);
        // ...and without it both paths load the same checks at the same places.
        let text2 = text.replace(
            "[[rls]]\na header-like line inside a multi-line string\n",
            "",
        );
        let mut fl2 = FileLoader::new(Path::new("f.toml"), &text2);
        let fast = fl2.load(&|l| l);
        let slow = fl2.load_whole();
        assert!(fl2.problems.is_empty(), "{:?}", fl2.problems);
        type Key = (String, usize, usize, String, Option<Range<usize>>);
        let key = |v: &[(Check, Option<Range<usize>>)]| -> Vec<Key> {
            v.iter()
                .map(|(c, s)| {
                    let l = &c.location;
                    (c.id.clone(), l.line, l.col, c.schema.clone(), s.clone())
                })
                .collect()
        };
        assert_eq!(key(&fast), key(&slow));
        assert_eq!(
            key(&fast).iter().map(|k| k.0.as_str()).collect::<Vec<_>>(),
            ["f:count-1", "f:policies-1", "r", "f:count-2"]
        );
        assert_eq!((fast[2].0.location.line, fast[2].0.location.col), (12, 3));
        assert_eq!(whole.len(), 4);
        assert_eq!(
            whole[3].0.description.as_deref(),
            Some("[[rls]]\na header-like line inside a multi-line string\n")
        );
        assert!(whole.iter().all(|(c, _)| c.schema == "app"));
    }

    #[test]
    fn large_files_load_on_several_threads_like_the_whole_document() {
        let mut text = String::from("schema = \"app\"\n");
        for i in 0..3000 {
            text.push_str(&format!(
                "\n[[exists]]\ntable = \"t{i}\"\n\n[[rls]]\ntables = [\"t{i}\"]\n"
            ));
            if i % 7 == 0 {
                text.push_str(&format!("id = \"r{i}\"\n"));
            }
        }
        let mut fl = FileLoader::new(Path::new("big.toml"), &text);
        let fast = fl.load(&|l| l);
        assert!(fl.problems.is_empty(), "{:?}", fl.problems);
        let slow = fl.load_whole();
        assert_eq!(fast.len(), 6000);
        let key = |v: &[(Check, Option<Range<usize>>)]| -> Vec<(String, usize, usize, String)> {
            v.iter()
                .map(|(c, _)| {
                    (
                        c.id.clone(),
                        c.location.line,
                        c.location.col,
                        c.schema.clone(),
                    )
                })
                .collect()
        };
        assert_eq!(key(&fast), key(&slow));
        assert_eq!(fast[5999].0.id, "big:rls-3000");
        assert_eq!(fast[1].0.id, "r0");
        // Problems anywhere are reported where they are, as the whole document reports them.
        let bad = text
            .replace(
                "[[rls]]\ntables = [\"t2999\"]",
                "[[rls]]\ntabels = [\"t2999\"]",
            )
            .replace("[[exists]]\ntable = \"t7\"", "[[exists]]\ntable = 7");
        let (pf, ps, _, _) = both("big.toml", &bad);
        assert_eq!(pf, ps);
        assert_eq!(pf.len(), 2, "{pf:?}");
    }

    /// Problems and checks of `load` (chunk by chunk) and `load_whole` (one document).
    fn both(name: &str, text: &str) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
        let show = |fl: &FileLoader, v: &[(Check, Option<Range<usize>>)]| {
            let mut p: Vec<String> = fl
                .problems
                .iter()
                .map(|p| format!("{}:{}: {} ({:?})", p.line, p.col, p.message, p.hint))
                .collect();
            p.sort();
            let c = v
                .iter()
                .map(|(c, s)| format!("{} {:?} {} {:?}", c.id, c.location, c.schema, s))
                .collect();
            (p, c)
        };
        let mut fl = FileLoader::new(Path::new(name), text);
        let fast = fl.load(&|l| l);
        let (pf, cf) = show(&fl, &fast);
        let mut fl = FileLoader::new(Path::new(name), text);
        let slow = fl.load_whole();
        let (ps, cs) = show(&fl, &slow);
        (pf, ps, cf, cs)
    }

    #[test]
    fn problems_are_placed_as_in_the_whole_document() {
        let base = "schema = \"app\"\n\n[[rls]]\ntables = [\"a\"]\n\n[[exists]]\ntable = \"b\"\n\n\
                    [[policies]]\ntable = \"t\"\nexpect = [{ name = \"a\", command = \"SELECT\" }]\n\n\
                    [[rls]]\nid = \"x\"\ntables = [\"c\"]\n";
        let cases = [
            base.to_string(),
            base.replace("tables = [\"a\"]", "tabels = [\"a\"]"),
            base.replace("table = \"b\"", "table = 1\nextra = 2"),
            base.replace("command = \"SELECT\"", "command = \"SELEKT\""),
            base.replace("command = \"SELECT\" }", "commnd = \"SELECT\" }"),
            base.replace("id = \"x\"", "id = \"bad id\""),
            // Headers extending a table from before the chunk: only the whole file can say.
            base.replace(
                "[[rls]]\nid",
                "[[policies.expect]]\nname = \"b\"\n[[rls]]\nid",
            ),
            base.replace("[[rls]]\nid", "[rls]\nid"),
            base.replace("[[exists]]", "[[exists]]\n[other]"),
            base.replace(
                "[[exists]]\n",
                "[[exists]]\ndescription = '''\n[[rls]]\n'''\n",
            ),
            base.to_string()
                + "[[sql]]\nquery = \"select 1\"\nexpect = 1\n[[sql]]\nquery = \"select 2\"\n",
        ];
        for (i, text) in cases.iter().enumerate() {
            let (pf, ps, cf, cs) = both("f.toml", text);
            assert_eq!(pf, ps, "case {i}:\n{text}");
            if ps.is_empty() {
                assert_eq!(cf, cs, "case {i}");
            }
        }
        // A TOML syntax error after valid checks: located as the whole document locates it.
        let broken = base.replace("tables = [\"c\"]", "tables = [\"c\"\n");
        let (pf, ps, _, _) = both("f.toml", &broken);
        assert_eq!(pf, ps);
        assert!(
            !pf.is_empty() && pf.iter().all(|p| p.starts_with("15:")),
            "{pf:?}"
        );
    }

    /// Lines a check file is made of: headers of kinds, of sub-tables and of unknown tables, keys
    /// right and wrong, multi-line strings whose body holds a header, broken TOML.
    const LINES: &[&str] = &[
        "[[rls]]",
        "[[count]]",
        "[[policies]]",
        "[[exists]]",
        "[[sql]]",
        "[[policies.expect]]",
        "[rls]",
        "[[bogus]]",
        "[other]",
        "schema = \"app\"",
        "id = \"x\"",
        "id = \"bad id\"",
        "tables = [\"a\"]",
        "tabels = [\"a\"]",
        "table = \"t\"",
        "table = 1",
        "object = \"table\"",
        "expect = 1",
        "expect = [{ name = \"a\", command = \"SELECT\" }]",
        "name = \"n\"",
        "command = \"SELEKT\"",
        "query = \"select 1\"",
        "description = '''",
        "'''",
        "description = \"\"\"",
        "\"\"\"",
        "tables = [\"a\"",
        "= broken",
        "# comment [[rls]]",
        "",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 192,
            failure_persistence: None,
            ..Default::default()
        })]

        /// Any text: no panic; every problem inside the file; the chunked loader and reading the
        /// file as one document agree on whether it is valid, and on the checks when it is.
        #[test]
        fn loading_never_panics_and_agrees_with_the_whole_document(
            picks in proptest::collection::vec(0..LINES.len(), 0..40),
            noise in proptest::option::of(".{0,12}"),
            at in 0usize..40,
        ) {
            let mut lines: Vec<String> = picks.iter().map(|i| LINES[*i].to_string()).collect();
            if let Some(n) = noise {
                let at = at.min(lines.len());
                lines.insert(at, n);
            }
            let text = lines.join("\n");
            let total_lines = text.split('\n').count();
            let (pf, ps, cf, cs) = both("p.toml", &text);
            proptest::prop_assert_eq!(pf.is_empty(), ps.is_empty(), "{:?} vs {:?}\n{}", pf, ps, text);
            if ps.is_empty() {
                proptest::prop_assert_eq!(cf, cs);
            }
            match load_str(Path::new("p.toml"), &text) {
                Ok(_) => proptest::prop_assert!(pf.is_empty()),
                Err(LoadErrors(problems)) => {
                    proptest::prop_assert!(!problems.is_empty());
                    for p in problems {
                        let width = text.split('\n').nth(p.line - 1).map_or(0, |l| l.chars().count());
                        proptest::prop_assert!(
                            p.line >= 1 && p.line <= total_lines && p.col >= 1 && p.col <= width + 1,
                            "{}:{} outside the file ({} lines): {}\n{}", p.line, p.col, total_lines, p.message, text
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn line_index_matches_line_col() {
        let text = "ab\ncdé\n\nx";
        let ix = LineStarts::new(text);
        for off in 0..=text.len() {
            if text.is_char_boundary(off) {
                assert_eq!(
                    ix.line_col(text, off),
                    crate::config::line_col(text, off),
                    "{off}"
                );
            }
        }
    }

    #[test]
    fn syntax_errors_are_located() {
        let p = problems("[[rls]\nall = true\n");
        assert!(!p.is_empty());
        assert!(p[0].starts_with("c.toml:1:"), "{p:#?}");
    }
}
