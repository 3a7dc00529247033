//! Property tests (proptest, bounded so they run in CI in seconds) for issue 10's fuzzing ask: SQL
//! splitting with PostgreSQL's parser never panics and gives back exactly the statements a text was
//! made of, and a huge check file with one bad check at its end is reported at the right line.
//! The check loader's own properties (no panic, problems inside the file, chunked = whole-file
//! loading) live with its unit tests in src/checks/loader.rs, where both loading paths are reachable.

use proptest::prelude::*;

use deskctl::sqltext;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Statements whose text holds `;`, quotes, dollar quotes, comments and identifiers that look
/// like keywords: a splitter that is not PostgreSQL's lexer cuts one of them in the wrong place.
const STATEMENTS: &[&str] = &[
    "select 1",
    "select 'a;b'",
    "select 'it''s; fine'",
    "select E'back\\\\slash\\'; still a string'",
    "select $$x; y$$",
    "select $t$ $$ ; not the end $t$",
    "select \"we;ird\" from (select 1 as \"we;ird\") s",
    "select 1 /* ; a comment */ + 2",
    "select 1 -- ; comment to the end of the line\n + 2",
    "create table t (a int, \"b;c\" text default ';')",
    "insert into t (a) values (1), (2)",
    "do $$ begin perform 1; perform 2; end $$",
    "create function f() returns int language sql as $f$ select 1; $f$",
    "create function begin() returns int language sql as 'select 1'",
    "select begin()",
    "commit",
    "set standard_conforming_strings = on",
    "select U&'d\\0061t\\+000061;'",
    "select array[1,2]::int[] @> array[1]",
    "create procedure p() language plpgsql as $body$ begin commit; end $body$",
];

/// Pieces that open or close lexical constructs, for arbitrary-text robustness.
const PIECES: &[&str] = &[
    "'", "\"", "$$", "$a$", "$a", "E'", "\\", "/*", "*/", "--", ";", "\n", " ", "select", "begin",
    "commit", "U&'", "\\0061", "'';", "$1", "::", "(", ")", "é", "\u{0}", "\u{1b}",
];

proptest! {
    #![proptest_config(config(256))]

    /// Statements joined with `;` come back one by one, exactly, from the parser.
    #[test]
    fn split_returns_the_statements_it_was_given(
        picks in prop::collection::vec(0..STATEMENTS.len(), 1..12),
        seps in prop::collection::vec(prop::sample::select(vec![";", ";\n", " ;  ", ";\n\n-- next\n", ";;"]), 12),
    ) {
        let mut sql = String::new();
        for (i, p) in picks.iter().enumerate() {
            sql.push_str(STATEMENTS[*p]);
            sql.push_str(seps[i]);
        }
        let got = sqltext::parse(&sql).map_err(|e| TestCaseError::fail(format!("{e}: {sql}")))?;
        let texts: Vec<&str> = got.iter().map(|s| s.text(&sql)).collect();
        let want: Vec<&str> = picks.iter().map(|p| STATEMENTS[*p]).collect();
        prop_assert_eq!(texts, want, "{}", sql);
        let lenient: Vec<&str> = sqltext::split_lenient(&sql).iter().map(|s| s.text(&sql)).collect();
        let want: Vec<&str> = picks.iter().map(|p| STATEMENTS[*p]).collect();
        prop_assert_eq!(lenient, want);
    }

    /// Arbitrary text (unterminated quotes, dollar quotes and comments, NUL, escapes): no panic,
    /// and whatever is returned lies inside the text, in order, on character boundaries.
    #[test]
    fn split_never_panics_and_stays_inside_the_text(
        pieces in prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..40),
        noise in ".{0,40}",
    ) {
        let mut sql: String = pieces.concat();
        sql.push_str(&noise);
        let check = |stmts: &[sqltext::Statement]| -> Result<(), TestCaseError> {
            let mut last = 0;
            for s in stmts {
                prop_assert!(s.start <= s.end && s.end <= sql.len(), "{:?} in {:?}", s, sql);
                prop_assert!(s.start >= last, "overlap in {:?}", sql);
                prop_assert!(sql.is_char_boundary(s.start) && sql.is_char_boundary(s.end));
                let _ = s.kind();
                let _ = sqltext::dollar_quote_start(&sql, s);
                last = s.end;
            }
            Ok(())
        };
        match sqltext::parse(&sql) {
            Ok(stmts) => check(&stmts)?,
            Err(e) => {
                if let Some(at) = e.at {
                    prop_assert!(at <= sql.len(), "{:?} for {:?}", e, sql);
                }
            }
        }
        check(&sqltext::split_lenient(&sql))?;
    }
}

/// Issue 10, promise 13: a large check file (5 MB here, so the test is quick in debug builds) with
/// one bad check at its end is reported at that check's line, before any connection is made.
#[test]
fn a_bad_check_at_the_end_of_a_large_file_is_located() {
    let mut text = String::from("schema = \"public\"\n\n");
    let mut n = 0;
    while text.len() < 5_000_000 {
        n += 1;
        text.push_str(&format!(
            "[[count]]\nid = \"tables-{n}\"\ncomponent = \"Tables {n}\"\nobject = \"table\"\n\
             names = [\"a\", \"b\", \"c\"]\nexpect = 3\n\n[[policies]]\nid = \"policies-{n}\"\n\
             table = \"a\"\nexpect = [\n  {{ name = \"p{n}\", command = \"SELECT\", roles = [\"authenticated\"] }},\n]\n\n"
        ));
    }
    let lines_before = text.lines().count();
    let dir = tempfile::tempdir().unwrap();
    for (case, tail, line, col, needle) in [
        (
            "key",
            "[[rls]]\nid = \"last\"\ntables = [\"a\"]\nforcee = true\n",
            4,
            1,
            "unknown key `forcee`",
        ),
        (
            "toml",
            "[[rls]]\nid = \"last\"\ntables = [\"a\"\n",
            3,
            14,
            "invalid TOML",
        ),
        (
            "dup",
            "[[rls]]\nid = \"tables-7\"\ntables = [\"a\"]\n",
            2,
            6,
            "duplicate check id `tables-7`",
        ),
    ] {
        let f = dir.path().join(format!("{case}.toml"));
        std::fs::write(&f, format!("{text}{tail}")).unwrap();
        let out = crate::common::deskctl()
            .args(["verify", "--database-url", "postgres://127.0.0.1:1/none"])
            .arg(&f)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {err}");
        let at = format!("{}:{}:{}: ", f.display(), lines_before + line, col);
        assert!(
            err.lines()
                .any(|l| l.starts_with(&at) && l.contains(needle)),
            "{case}: expected {at}{needle} in:\n{err}"
        );
    }
}
