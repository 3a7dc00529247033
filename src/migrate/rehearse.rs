//! `migrate --rehearse`: every pending migration (and the preset, when one is configured) run
//! statement by statement inside ONE transaction that is always rolled back. Owns the plan (what is
//! sent for each statement, decided from PostgreSQL's parse tree via `sqltext`, and what is refused
//! before anything is sent) and its execution; must not commit, take the lock or print.
//!
//! Why nothing can be committed:
//! - each statement is sent alone with the extended protocol, so the server itself refuses a text
//!   holding two commands, whatever deskctl's parser thought;
//! - the only statements that end a transaction block are top-level transaction statements, and
//!   every one of them is replaced before sending: a file's own `BEGIN`/`COMMIT`/`ROLLBACK` become
//!   `SAVEPOINT`/`RELEASE SAVEPOINT`/`ROLLBACK TO SAVEPOINT` (the same effect on the file's work,
//!   inside our transaction); `PREPARE TRANSACTION`, `COMMIT/ROLLBACK PREPARED` and statements that
//!   cannot run in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...) are refused;
//!   a COMMIT inside a DO block or procedure fails inside a transaction block ("invalid transaction
//!   termination");
//! - after every statement the transaction's id is read again: if it changed, the rehearsal stops.

use std::time::Instant;

use tokio_postgres::Client;

use super::error::{FailedDuring, MigrateError, Unrehearsable};
use super::runner::{self, Done, MigrationOutcome, Progress};
use super::source::MigrationFile;
use crate::sqltext::{self, Kind, Statement, TxControl};

/// What is sent for one statement of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The statement itself (index into the file's statements).
    Send(usize),
    /// deskctl's own SQL in place of a statement (savepoints for a file's transaction control).
    Own(usize, String),
    /// Nothing: the statement is a no-op at that point (BEGIN inside a transaction, COMMIT
    /// outside one: PostgreSQL only warns).
    Skip(usize),
}

/// One file's rehearsal.
#[derive(Debug)]
pub struct FilePlan<'a> {
    pub file: &'a MigrationFile,
    pub statements: &'a [Statement],
    pub actions: Vec<Action>,
    /// The file holds its own transaction control (line, statement).
    pub own_transaction_control: Option<(usize, String)>,
    /// Where the real run would end the file's transaction (history row, COMMIT): the savepoint
    /// standing for it is released. `None` when the file left no transaction open.
    pub release_at_end: Option<String>,
}

/// Plan every file, or every reason it cannot be rehearsed (all of them, before anything is
/// sent). `server_version_num` decides ALTER TYPE ... ADD VALUE (no transaction before 12).
pub fn plan<'a>(
    files: &[&'a MigrationFile],
    server_version_num: i32,
) -> Result<Vec<FilePlan<'a>>, Vec<Unrehearsable>> {
    let mut plans = Vec::new();
    let mut refused = Vec::new();
    for (k, file) in files.iter().enumerate() {
        match plan_file(file, k, server_version_num) {
            Ok(p) => plans.push(p),
            Err(mut r) => refused.append(&mut r),
        }
    }
    if refused.is_empty() {
        Ok(plans)
    } else {
        Err(refused)
    }
}

fn refusal(file: &MigrationFile, at: usize, statement: Option<&str>, why: String) -> Unrehearsable {
    let (line, column) = sqltext::line_col(file.body(), at);
    Unrehearsable {
        file: file.path.clone(),
        line,
        column,
        statement: statement.map(|t| runner::first_line(t, 100)),
        why,
    }
}

/// The savepoint standing for the file's transaction: `deskctl_rehearsal_<file>_<n>`.
fn mark(k: usize, n: usize) -> String {
    format!("deskctl_rehearsal_{k}_{n}")
}

fn plan_file(
    file: &MigrationFile,
    k: usize,
    server_version_num: i32,
) -> Result<FilePlan<'_>, Vec<Unrehearsable>> {
    let body = file.body();
    let statements = file.parsed().strict().map_err(|e| {
        vec![refusal(
            file,
            e.at.unwrap_or(0),
            None,
            format!(
                "PostgreSQL's parser rejects it ({}), so its statements cannot be told apart safely",
                e.message
            ),
        )]
    })?;
    let mut refused = Vec::new();
    let mut actions = Vec::with_capacity(statements.len());
    let mut own = None;
    // In the real run the file starts inside deskctl's transaction: `open` says whether a
    // transaction is open at this point of the file, `n` numbers the savepoint standing for it.
    let mut open = true;
    let mut n = 0;
    for (i, st) in statements.iter().enumerate() {
        let text = st.text(body);
        let kind = st.kind();
        let chain = st.node.as_ref().is_some_and(sqltext::and_chain);
        match kind {
            Kind::TransactionControl(t) => {
                own.get_or_insert_with(|| (sqltext::line_col(body, st.start).0, t.to_string()));
                match t {
                    TxControl::Begin | TxControl::StartTransaction if open => {
                        actions.push(Action::Skip(i))
                    }
                    TxControl::Begin | TxControl::StartTransaction => {
                        n += 1;
                        open = true;
                        actions.push(Action::Own(i, format!("SAVEPOINT {}", mark(k, n))));
                    }
                    TxControl::Commit | TxControl::Rollback if open => {
                        let m = mark(k, n);
                        let mut sql = if t == TxControl::Commit {
                            format!("RELEASE SAVEPOINT {m}")
                        } else {
                            format!("ROLLBACK TO SAVEPOINT {m}; RELEASE SAVEPOINT {m}")
                        };
                        open = chain;
                        if chain {
                            n += 1;
                            sql.push_str(&format!("; SAVEPOINT {}", mark(k, n)));
                        }
                        actions.push(Action::Own(i, sql));
                    }
                    TxControl::Commit | TxControl::Rollback => actions.push(Action::Skip(i)),
                    // Subdivide the transaction; never end it.
                    TxControl::Savepoint | TxControl::Release | TxControl::RollbackTo => {
                        actions.push(Action::Send(i))
                    }
                    TxControl::PrepareTransaction
                    | TxControl::CommitPrepared
                    | TxControl::RollbackPrepared => refused.push(refusal(
                        file,
                        st.start,
                        Some(text),
                        format!("{t} ends or acts outside the rehearsal's transaction"),
                    )),
                }
            }
            Kind::NoTransaction(what) => refused.push(refusal(
                file,
                st.start,
                Some(text),
                format!("{what} cannot run inside a transaction block, and a rehearsal is one transaction"),
            )),
            _ if server_version_num < 120_000
                && st.node.as_ref().is_some_and(sqltext::adds_enum_value) =>
            {
                refused.push(refusal(
                    file,
                    st.start,
                    Some(text),
                    "ALTER TYPE ... ADD VALUE cannot run inside a transaction block before PostgreSQL 12".into(),
                ))
            }
            _ => actions.push(Action::Send(i)),
        }
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    Ok(FilePlan {
        file,
        statements,
        actions,
        own_transaction_control: own,
        release_at_end: open.then(|| format!("RELEASE SAVEPOINT {}", mark(k, n))),
    })
}

/// The rehearsal's transaction id; every statement must leave it unchanged.
async fn txid(client: &Client) -> Result<i64, tokio_postgres::Error> {
    Ok(client
        .query_one("select pg_catalog.txid_current() as txid", &[])
        .await?
        .get("txid"))
}

/// What a rehearsal did.
pub struct Rehearsal {
    pub done: Vec<Done>,
    pub notices: Vec<String>,
}

/// Run the plans inside one transaction and roll it back, whatever happens. `preset` is SQL to
/// run first inside the same transaction (the configured preset, so it is rolled back too).
pub async fn run(
    client: &Client,
    plans: &[FilePlan<'_>],
    preset: Option<(&str, &str)>,
    mut progress: Progress<'_>,
) -> Result<Rehearsal, MigrateError> {
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|error| MigrateError::Database {
            what: "starting the rehearsal's transaction".into(),
            error,
        })?;
    let result = run_in_transaction(client, plans, preset, &mut progress).await;
    let rollback = client.batch_execute("ROLLBACK").await;
    let r = result?;
    rollback.map_err(|error| MigrateError::Database {
        what: "rolling the rehearsal back".into(),
        error,
    })?;
    Ok(r)
}

async fn run_in_transaction(
    client: &Client,
    plans: &[FilePlan<'_>],
    preset: Option<(&str, &str)>,
    progress: &mut Progress<'_>,
) -> Result<Rehearsal, MigrateError> {
    let db = |what: &str| MigrateError::db(what.to_string());
    let xid = txid(client)
        .await
        .map_err(db("reading the rehearsal's transaction id"))?;
    let same = |now: i64, what: &str| {
        if now == xid {
            Ok(())
        } else {
            Err(MigrateError::RehearsalEscaped {
                what: what.to_string(),
            })
        }
    };
    if let Some((name, sql)) = preset {
        let statements = sqltext::parse(sql).map_err(|e| {
            MigrateError::Refinery(format!("the {name} preset does not parse: {e}"))
        })?;
        for st in &statements {
            if !matches!(st.kind(), Kind::Other | Kind::Set { .. }) {
                return Err(MigrateError::Refinery(format!(
                    "the {name} preset holds `{}`, which cannot run in a rehearsal",
                    runner::first_line(st.text(sql), 100)
                )));
            }
            client
                .execute_typed(st.text(sql), &[])
                .await
                .map_err(db(&format!(
                    "installing the {name} preset in the rehearsal"
                )))?;
            same(
                txid(client)
                    .await
                    .map_err(db("checking the rehearsal's transaction"))?,
                &format!("the {name} preset"),
            )?;
        }
    }
    let mut done: Vec<Done> = Vec::new();
    let mut notices = Vec::new();
    for (k, p) in plans.iter().enumerate() {
        let t0 = Instant::now();
        let body = p.file.body();
        let lines = sqltext::LineIndex::new(body);
        let file_mark = mark(k, 0);
        client
            .batch_execute(&format!("SAVEPOINT {file_mark}"))
            .await
            .map_err(db("taking a savepoint for the rehearsal"))?;
        for a in &p.actions {
            let (i, sent) = match a {
                Action::Skip(_) => continue,
                Action::Send(i) => (
                    *i,
                    client
                        .execute_typed(p.statements[*i].text(body), &[])
                        .await
                        .map(|_| ()),
                ),
                // Our own savepoint statements, more than one at a time: simple protocol.
                Action::Own(i, sql) => (*i, client.batch_execute(sql).await),
            };
            let st = &p.statements[i];
            if let Err(e) = sent {
                let mut f =
                    runner::failure(p.file, &e, Some(st), st.start, FailedDuring::Statement);
                f.rehearsal = true;
                let (reps, versioned): (Vec<&Done>, Vec<&Done>) =
                    done.iter().partition(|d| d.repeatable);
                f.applied_before = versioned
                    .iter()
                    .map(|d| (d.version, d.name.clone()))
                    .collect();
                f.repeatables_before = reps.iter().map(|d| d.label()).collect();
                return Err(MigrateError::Failed(Box::new(f)));
            }
            let (line, _) = lines.line_col(st.start);
            same(
                txid(client)
                    .await
                    .map_err(db("checking the rehearsal's transaction"))?,
                &format!("{}:{line}", p.file.path.display()),
            )?;
        }
        if let Some(sql) = &p.release_at_end {
            client
                .batch_execute(sql)
                .await
                .map_err(db("releasing a rehearsal savepoint"))?;
        }
        if let Some((line, what)) = &p.own_transaction_control {
            notices.push(format!(
                "{} holds its own {what} (line {line}): rehearsed with savepoints in place of its transaction control",
                p.file.path.display()
            ));
        }
        let d = Done {
            version: p.file.version,
            name: p.file.name.clone(),
            file: p.file.path.clone(),
            outcome: MigrationOutcome::Rehearsed,
            duration_ms: t0.elapsed().as_secs_f64() * 1000.0,
            reason: None,
            repeatable: p.file.repeatable,
        };
        if let Some(cb) = progress.as_mut() {
            cb(&d);
        }
        done.push(d);
    }
    Ok(Rehearsal { done, notices })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(body: &str) -> MigrationFile {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("V1__x.sql"), body).unwrap();
        super::super::source::load(d.path())
            .unwrap()
            .files
            .remove(0)
    }

    fn actions(body: &str) -> Result<Vec<String>, Vec<Unrehearsable>> {
        let f = file(body);
        let p = plan(&[&f], 150000)?;
        let p = &p[0];
        Ok(p.actions
            .iter()
            .map(|a| match a {
                Action::Send(i) => p.statements[*i].text(body).to_string(),
                Action::Own(_, s) => format!("<{s}>"),
                Action::Skip(_) => "<skip>".into(),
            })
            .collect())
    }

    #[test]
    fn own_transaction_control_becomes_savepoints() {
        assert_eq!(
            actions("begin;\ncreate table a ();\ncommit;\nbegin;\ncreate table b ();\nrollback;\ncreate table c ();\ncommit;").unwrap(),
            vec![
                "<skip>",
                "create table a ()",
                "<RELEASE SAVEPOINT deskctl_rehearsal_0_0>",
                "<SAVEPOINT deskctl_rehearsal_0_1>",
                "create table b ()",
                "<ROLLBACK TO SAVEPOINT deskctl_rehearsal_0_1; RELEASE SAVEPOINT deskctl_rehearsal_0_1>",
                "create table c ()",
                "<skip>",
            ]
        );
        assert_eq!(
            actions("END; commit and chain; savepoint s; rollback to s; release s").unwrap()[..2],
            ["<RELEASE SAVEPOINT deskctl_rehearsal_0_0>", "<skip>"]
        );
        assert_eq!(
            actions("commit and chain; abort").unwrap(),
            vec![
                "<RELEASE SAVEPOINT deskctl_rehearsal_0_0; SAVEPOINT deskctl_rehearsal_0_1>",
                "<ROLLBACK TO SAVEPOINT deskctl_rehearsal_0_1; RELEASE SAVEPOINT deskctl_rehearsal_0_1>",
            ]
        );
    }

    #[test]
    fn statements_that_escape_are_refused_with_their_line() {
        let r = actions(
            "select 1;\nprepare transaction 'x';\ncreate index concurrently i on t (a);\nvacuum;",
        )
        .unwrap_err();
        let lines: Vec<usize> = r.iter().map(|u| u.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(
            r[1].why.contains("CREATE INDEX CONCURRENTLY"),
            "{}",
            r[1].why
        );
        let bad = actions("select 1;\nselect frm where;").unwrap_err();
        assert_eq!((bad[0].line, bad[0].column), (2, 17));
        let f = file("alter type e add value 'x';");
        assert!(plan(&[&f], 110000).is_err());
        assert!(plan(&[&f], 120000).is_ok());
    }

    #[test]
    fn hidden_commits_are_seen_by_the_parser() {
        // A routine named begin, E'' strings, dollar quotes, comments: the COMMIT is found.
        let r = actions("create function begin() returns int language sql as 'select 1';\ncommit;\nselect E'\\';' /* ; */, $q$;$q$;").unwrap();
        assert_eq!(r[1], "<RELEASE SAVEPOINT deskctl_rehearsal_0_0>");
        assert_eq!(r.len(), 3);
    }
}
