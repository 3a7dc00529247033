//! Unit tests of the SQL-text module: boundaries and kinds as PostgreSQL's parser sees them,
//! including the texts that fooled the hand-written lexers this module replaces.

use super::*;

fn texts(sql: &str) -> Vec<&str> {
    parse(sql).unwrap().iter().map(|s| s.text(sql)).collect()
}

fn kinds(sql: &str) -> Vec<Kind> {
    parse(sql).unwrap().iter().map(Statement::kind).collect()
}

#[test]
fn boundaries_exclude_comments_blanks_and_semicolons() {
    let sql = "-- lead\n/* block /* nested */ */ select 1;\n\n  select 'a;b' ;select $x$;$x$";
    assert_eq!(
        texts(sql),
        vec!["select 1", "select 'a;b'", "select $x$;$x$"]
    );
    let s = &parse(sql).unwrap()[0];
    assert_eq!(line_col(sql, s.start), (2, 26));
}

#[test]
fn empty_statements_and_empty_text() {
    assert!(parse("").unwrap().is_empty());
    assert!(parse(" ; ;; -- only a comment\n").unwrap().is_empty());
}

#[test]
fn a_routine_named_begin_does_not_hide_a_commit() {
    let sql = "create function begin() returns int language sql as 'select 1'; commit; select 1";
    let k = kinds(sql);
    assert_eq!(k.len(), 3);
    assert_eq!(k[1], Kind::TransactionControl(TxControl::Commit));
}

#[test]
fn begin_atomic_bodies_stay_whole() {
    let sql =
        "create function f() returns int language sql begin atomic select 1; select 2; end; commit";
    let t = texts(sql);
    assert_eq!(t.len(), 2, "{t:?}");
    assert!(t[0].ends_with("end"));
    assert_eq!(kinds(sql)[1], Kind::TransactionControl(TxControl::Commit));
}

#[test]
fn every_spelling_of_transaction_control() {
    for (sql, want) in [
        ("BEGIN", TxControl::Begin),
        ("begin work", TxControl::Begin),
        (
            "start transaction isolation level serializable",
            TxControl::StartTransaction,
        ),
        ("commit", TxControl::Commit),
        ("END", TxControl::Commit),
        ("commit and chain", TxControl::Commit),
        ("abort", TxControl::Rollback),
        ("rollback work", TxControl::Rollback),
        ("savepoint a", TxControl::Savepoint),
        ("release a", TxControl::Release),
        ("rollback to a", TxControl::RollbackTo),
        ("prepare transaction 'x'", TxControl::PrepareTransaction),
        ("commit prepared 'x'", TxControl::CommitPrepared),
        ("rollback prepared 'x'", TxControl::RollbackPrepared),
        ("/* c */ CoMmIt -- trailing", TxControl::Commit),
    ] {
        assert_eq!(kinds(sql), vec![Kind::TransactionControl(want)], "{sql}");
    }
    assert!(TxControl::Commit.ends_transaction());
    assert!(!TxControl::RollbackTo.ends_transaction());
}

#[test]
fn session_changes() {
    let set = |name: &str, local: bool| Kind::Set {
        name: name.into(),
        local,
    };
    assert_eq!(kinds("set role postgres"), vec![set("role", false)]);
    assert_eq!(kinds("SET LOCAL ROLE anon"), vec![set("role", true)]);
    assert_eq!(kinds("reset role"), vec![set("role", false)]);
    assert_eq!(
        kinds("set session authorization default"),
        vec![set("session_authorization", false)]
    );
    assert_eq!(
        kinds("set statement_timeout = 0"),
        vec![set("statement_timeout", false)]
    );
    assert_eq!(kinds("reset all"), vec![set("all", false)]);
    assert_eq!(
        kinds("set transaction read write"),
        vec![set("transaction", true)]
    );
    assert_eq!(kinds("discard plans"), vec![Kind::Session("DISCARD")]);
    assert_eq!(kinds("listen x"), vec![Kind::Session("LISTEN")]);
    assert_eq!(set("role", false).describe().as_deref(), Some("SET ROLE"));
}

#[test]
fn statements_that_cannot_run_in_a_transaction() {
    for (sql, want) in [
        (
            "create index concurrently i on t (a)",
            "CREATE INDEX CONCURRENTLY",
        ),
        (
            "create unique index concurrently if not exists i on t (a)",
            "CREATE INDEX CONCURRENTLY",
        ),
        ("drop index concurrently i", "DROP INDEX CONCURRENTLY"),
        ("reindex (concurrently) index i", "REINDEX CONCURRENTLY"),
        ("reindex table concurrently t", "REINDEX CONCURRENTLY"),
        ("vacuum", "VACUUM"),
        ("vacuum (analyze) t", "VACUUM"),
        ("create database x", "CREATE DATABASE"),
        ("drop database if exists x", "DROP DATABASE"),
        ("alter system set work_mem = '1MB'", "ALTER SYSTEM"),
        ("discard all", "DISCARD ALL"),
        (
            "alter table p detach partition c concurrently",
            "ALTER TABLE ... DETACH PARTITION CONCURRENTLY",
        ),
    ] {
        assert_eq!(kinds(sql), vec![Kind::NoTransaction(want)], "{sql}");
    }
    for sql in [
        "create index i on t (a)",
        "analyze t",
        "reindex index i",
        "cluster t using i",
        "alter type e add value 'x'",
        "alter table p detach partition c",
    ] {
        assert_eq!(kinds(sql), vec![Kind::Other], "{sql}");
    }
}

#[test]
fn standard_conforming_strings_set_in_the_text_is_honoured() {
    // With standard_conforming_strings off, \' escapes the quote: the COMMIT is inside the string.
    let sql = "set standard_conforming_strings = off; select 'a\\'; commit; select '; select 1";
    let k = kinds(sql);
    assert_eq!(k.len(), 3, "{k:?}");
    assert!(!k.contains(&Kind::TransactionControl(TxControl::Commit)));
    // With it on (the default), the same text holds a COMMIT.
    let on = "select 'a\\'; commit";
    assert!(kinds(on).contains(&Kind::TransactionControl(TxControl::Commit)));
    // And back on again.
    let back = "set standard_conforming_strings to off; set standard_conforming_strings = on; select 'a\\'; commit; select 'x'";
    assert!(kinds(back).contains(&Kind::TransactionControl(TxControl::Commit)));
    // The same text with the setting off from the start: one string, no COMMIT.
    let off = parse_with("select 'a\\'; commit; select '", false).unwrap();
    assert_eq!(off.len(), 1);
    assert_eq!(off[0].kind(), Kind::Other);
}

#[test]
fn syntax_errors_carry_their_position() {
    let sql = "select 1;\nselect frm where;";
    let e = parse(sql).unwrap_err();
    assert!(e.message.contains("syntax error"), "{e}");
    let at = e.at.expect("position");
    assert_eq!(line_col(sql, at), (2, 17));
    let nul = parse("select 1;\0").unwrap_err();
    assert_eq!(nul.at, Some(9));
}

#[test]
fn lenient_split_falls_back_to_postgres_lexer() {
    let sql = "create table t (a int);\nselect frm where;\n-- c\ninsert into t values (';')";
    let s = split_lenient(sql);
    let t: Vec<_> = s.iter().map(|s| s.text(sql)).collect();
    assert_eq!(
        t,
        vec![
            "create table t (a int)",
            "select frm where",
            "insert into t values (';')"
        ]
    );
    // Each piece is parsed on its own: only the bad one has no node.
    let parsed: Vec<bool> = s.iter().map(|s| s.node.is_some()).collect();
    assert_eq!(parsed, vec![true, false, true]);
    // Unterminated quote: one statement, nothing lost.
    let bad = "select 'abc; commit";
    assert_eq!(split_lenient(bad).len(), 1);
}

#[test]
fn positions_in_multibyte_text() {
    let sql = "select 'é'; select ü";
    let s = parse(sql).unwrap();
    assert_eq!(s[1].text(sql), "select ü");
    assert_eq!(line_col(sql, s[1].start), (1, 13));
    assert_eq!(char_pos_to_byte(sql, 13), s[1].start);
}

#[test]
fn lenient_pieces_that_parse_alone_keep_their_node() {
    let sql = "select frm where;\ncommit;\ncreate index concurrently i on t (a)";
    let s = split_lenient(sql);
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].kind(), Kind::Other);
    assert!(s[0].node.is_none());
    assert_eq!(s[1].kind(), Kind::TransactionControl(TxControl::Commit));
    assert_eq!(
        s[2].kind(),
        Kind::NoTransaction("CREATE INDEX CONCURRENTLY")
    );
}

#[test]
fn dollar_quote_start_skips_strings_comments_and_parameters() {
    let sql = "select 1;\ndo -- $$ not here\n'$x$' ||\n$body$\nbegin\nend\n$body$";
    let s = parse(sql);
    // `do 'x' || $body$` is not valid SQL: take the lenient split, which keeps the piece.
    let st = match s {
        Ok(s) => s[1].clone(),
        Err(_) => split_lenient(sql)[1].clone(),
    };
    let at = dollar_quote_start(sql, &st).expect("a dollar quote");
    assert_eq!(line_col(sql, at), (4, 1));
    let sql = "select $1, a$b$ from t";
    let st = &split_lenient(sql)[0];
    assert_eq!(dollar_quote_start(sql, st), None);
}

#[test]
fn chains_enum_values_and_created_indexes() {
    let node = |sql: &str| parse(sql).unwrap().remove(0).node.unwrap();
    assert!(and_chain(&node("commit and chain")));
    assert!(and_chain(&node("rollback and chain")));
    assert!(!and_chain(&node("commit")));
    assert!(adds_enum_value(&node(
        "alter type e add value if not exists 'x'"
    )));
    assert!(!adds_enum_value(&node(
        "alter type e rename value 'a' to 'b'"
    )));
    let i = created_index(&node(
        "create unique index concurrently if not exists \"Idx\" on app.T (a)",
    ))
    .unwrap();
    assert_eq!(i.name.as_deref(), Some("Idx"));
    assert_eq!(i.table_schema.as_deref(), Some("app"));
    assert_eq!(i.table, "t");
    assert!(i.concurrent && i.if_not_exists);
    let unnamed = created_index(&node("create index on t (a)")).unwrap();
    assert_eq!(unnamed.name, None);
    assert!(!unnamed.concurrent);
    assert_eq!(created_index(&node("select 1")), None);
}

/// The blank-trimming shortcut of `trimmed` gives what PostgreSQL's lexer gives.
#[test]
fn trimming_blanks_agrees_with_the_lexer() {
    for piece in [
        "select 1",
        "  \n\tselect 1 \r\n",
        "\x0c select 'a  ' ",
        "\u{a0}select 1\u{a0}",
        "select $$ x $$\n\n",
        "create table t (a int)\n  ",
        "   ",
        "",
        "select 'a -- b'",
        "select 1 -- c",
        "/* c */ select 1",
        "select 1;",
        "\x0bselect 1",
    ] {
        let text = format!("xx{piece}yy");
        let (start, end) = (2, 2 + piece.len());
        let span = |s: Option<Statement>| s.map(|s| (s.start, s.end));
        assert_eq!(
            span(trimmed(&text, start, end)),
            span(trimmed_by_lexer(&text, start, end)),
            "{piece:?}"
        );
    }
}

#[test]
fn parsed_once_answers_as_parse_and_split_lenient_do() {
    for sql in [
        "create table t (a int);\n-- note\ninsert into t values (';');",
        "create table t (a int);\nselect frm where;\ncommit;",
        "set standard_conforming_strings = off;\nselect 'a\\'b';",
        "",
    ] {
        let p = Parsed::new(sql);
        assert_eq!(&p.statements[..], &split_lenient(sql)[..], "{sql}");
        match parse(sql) {
            Ok(s) => {
                assert_eq!(p.strict(), Ok(&s[..]), "{sql}");
                assert!(p.error.is_none());
            }
            Err(e) => assert_eq!(p.strict(), Err(&e), "{sql}"),
        }
    }
    // A clone shares the parse trees.
    let p = Parsed::new("select 1; select 2");
    assert!(std::sync::Arc::ptr_eq(&p.statements, &p.clone().statements));
}

#[test]
fn a_shared_parse_is_parsed_once_per_text_and_equals_a_fresh_one() {
    let sql = "select count(*) from notes where owner = 'ann'; select 1";
    let a = parse_shared(sql);
    let b = parse_shared(sql);
    assert!(
        std::sync::Arc::ptr_eq(&a, &b),
        "the second caller gets the kept parse"
    );
    assert_eq!(*a, parse(sql));
    let other = parse_shared("select 2");
    assert!(!std::sync::Arc::ptr_eq(&a, &other));
    assert_eq!(other.as_ref().as_ref().unwrap().len(), 1);
    // A text that does not parse keeps its error; a long text is parsed each time.
    assert!(parse_shared("select from where").is_err());
    let long = format!("select {}1", "1 + ".repeat(5000));
    assert!(!std::sync::Arc::ptr_eq(
        &parse_shared(&long),
        &parse_shared(&long)
    ));
}
