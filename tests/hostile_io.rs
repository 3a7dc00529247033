//! Hostile inputs and outputs (issue 10, promises 4, 5, 6, 8, 9, 10, 11, 13): every way of
//! giving a password, files that are not files, huge and empty inputs, outputs aimed at inputs.
//! Each test asserts the promise itself (the password absent from every byte of output, the exit
//! code, the file untouched), not a message.

use std::path::Path;
use std::time::{Duration, Instant};

use deskctl::db::{ephemeral, EphemeralCluster};

use crate::common::{deskctl, dir_with, free_port, output_text, rt, TestDb};

/// A cluster on 127.0.0.1 with scram authentication and a role `app` whose password is `pw`.
fn password_cluster(pw: &str) -> EphemeralCluster {
    let port = free_port();
    let hba = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    let c = EphemeralCluster::start(ephemeral::Options {
        tcp_port: Some(port),
        data_files: vec![("pg_hba.conf".into(), hba.as_bytes().to_vec(), 0o600)],
        ..Default::default()
    })
    .unwrap();
    let pw = pw.to_string();
    rt().block_on(async {
        let (client, _h) = deskctl::db::connect_target(&c.conn_target("postgres"), None)
            .await
            .unwrap();
        client
            .batch_execute(&format!(
                "create role app login password {}",
                deskctl::db::quote_literal(&pw)
            ))
            .await
            .unwrap();
        client
            .batch_execute("create database app owner app")
            .await
            .unwrap();
    });
    c
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).collect()
}

/// Every spelling of `secret` that could betray it in output.
fn spellings(secret: &str) -> Vec<String> {
    let mut v = vec![
        secret.to_string(),
        enc(secret),
        secret.replace('\'', "\\'"),
        format!("{secret:?}").trim_matches('"').to_string(),
    ];
    // Long enough fragments too: a parser that cut the password would print the rest.
    if secret.len() >= 8 {
        v.push(secret[secret.len() / 2..].to_string());
        v.push(secret[..secret.len() / 2].to_string());
    }
    v
}

fn assert_no_secret(secret: &str, what: &str, out: &std::process::Output) {
    let text = output_text(out);
    for s in spellings(secret) {
        assert!(
            !text.contains(&s),
            "{what}: output contains `{s}` (from the password):\n{text}"
        );
    }
}

fn dir_with_migration() -> tempfile::TempDir {
    dir_with(&[("V1__touch.sql", "alter table locked_t add column w int;")])
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Promise 4: the right password given every way libpq knows, and wrong ones: every command and
/// format runs, and no byte of stdout/stderr holds the password (or half of it).
#[test]
fn passwords_never_appear_in_any_output_whatever_the_spelling() {
    // Every URL delimiter libpq users put in passwords (the encoded spellings cover `%`).
    let secret = "Zq/9?x#1@p'k&=";
    let c = password_cluster(secret);
    let port = c.tcp_port().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let checks = write(
        dir.path(),
        "c.toml",
        "[[rls]]\ntables = [\"nothing_here\"]\n",
    );
    let mig = dir.path().join("migrations");
    std::fs::create_dir(&mig).unwrap();
    let e = enc(secret);
    let q = secret.replace('\\', "\\\\").replace('\'', "\\'");
    // (how, --database-url value, PGPASSWORD)
    let ways: Vec<(String, String, Option<&str>)> = vec![
        (
            "url, encoded".into(),
            format!("postgres://app:{e}@127.0.0.1:{port}/app?sslmode=disable"),
            None,
        ),
        (
            "url, raw".into(),
            format!("postgresql://app:{secret}@127.0.0.1:{port}/app?sslmode=disable"),
            None,
        ),
        (
            "url, upper-case scheme".into(),
            format!("POSTGRES://app:{e}@127.0.0.1:{port}/app?sslmode=disable"),
            None,
        ),
        (
            "query password".into(),
            format!("postgres://app@127.0.0.1:{port}/app?sslmode=disable&password={e}"),
            None,
        ),
        (
            "query, encoded key".into(),
            format!("postgres://app@127.0.0.1:{port}/app?pass%77ord={e}&sslmode=disable"),
            None,
        ),
        (
            "key=value quoted".into(),
            format!(
                "host=127.0.0.1 port={port} user=app dbname=app sslmode=disable password='{q}'"
            ),
            None,
        ),
        (
            "PGPASSWORD".into(),
            format!("postgres://app@127.0.0.1:{port}/app?sslmode=disable"),
            Some(secret),
        ),
    ];
    for (how, url, env) in &ways {
        let mut runs: Vec<Vec<String>> = vec![
            vec!["ping".into()],
            vec![
                "ping".into(),
                "--format".into(),
                "json".into(),
                "-vvv".into(),
            ],
            vec![
                "status".into(),
                "--migrations".into(),
                mig.display().to_string(),
            ],
            vec![
                "diagnose".into(),
                "--format".into(),
                "json".into(),
                "--migrations".into(),
                mig.display().to_string(),
            ],
        ];
        for f in ["table", "json", "junit", "tap"] {
            runs.push(vec![
                "verify".into(),
                "-vvv".into(),
                "--format".into(),
                f.into(),
                "--migrations".into(),
                mig.display().to_string(),
                checks.display().to_string(),
            ]);
        }
        for args in runs {
            let mut cmd = deskctl();
            cmd.args(&args).args(["--database-url", url]);
            if let Some(p) = env {
                cmd.env("PGPASSWORD", p);
            }
            let out = cmd.output().unwrap();
            let code = out.status.code();
            assert!(
                matches!(code, Some(0) | Some(1)),
                "{how} {args:?}: exit {code:?}\n{}",
                output_text(&out)
            );
            assert_no_secret(secret, &format!("{how} {args:?}"), &out);
        }
    }
    // Wrong passwords, and strings that do not parse: exit 3 / 2, never the password.
    let wrong = "Wr0ng/?#@Pass%word";
    let we = enc(wrong);
    let bad: Vec<(String, i32)> = vec![
        (
            format!("postgres://app:{we}@127.0.0.1:{port}/app?sslmode=disable"),
            3,
        ),
        // `%wo` is not a percent-escape: refused (libpq refuses it too), nothing shown.
        (
            format!("postgres://app:{wrong}@127.0.0.1:{port}/app?sslmode=disable"),
            2,
        ),
        (
            format!("postgres://app:Wr0ng/?#@Pass@127.0.0.1:{port}/app?sslmode=disable"),
            3,
        ),
        (
            format!("Postgresql://app@127.0.0.1:{port}/app?sslmode=disable&password={we}"),
            3,
        ),
        (
            format!("postgres://app@127.0.0.1:{port}/app?PASSWORD={we}"),
            2,
        ),
        (
            format!("postgres://app@127.0.0.1:{port}/app?Pass%57ord={we}"),
            2,
        ),
        (
            format!("host=127.0.0.1 port={port} user=app passwrod='{wrong}'"),
            2,
        ),
        (
            format!("host=127.0.0.1 port={port} user=app PassWord={wrong}"),
            2,
        ),
        (
            format!("host=127.0.0.1 user=app password={wrong} unquoted tail"),
            2,
        ),
        (format!("host=127.0.0.1 user=app password='{wrong}"), 2),
        (format!("postgres://app:{wrong}@[127.0.0.1/app"), 2),
        (format!("postgres://app:%zz{we}@127.0.0.1/app"), 2),
        (format!("mysql://app:{wrong}@127.0.0.1/app"), 2),
        (wrong.to_string(), 2),
    ];
    for (url, want) in &bad {
        for args in [
            vec!["ping"],
            vec!["status", "-vvv"],
            vec!["verify", "--format", "tap"],
        ] {
            let mut cmd = deskctl();
            cmd.args(&args).args(["--database-url", url]);
            match args[0] {
                "verify" => cmd.arg(&checks),
                "status" => cmd.arg("--migrations").arg(&mig),
                _ => &mut cmd,
            };
            let out = cmd.output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(*want),
                "{url} {args:?}\n{}",
                output_text(&out)
            );
            assert_no_secret(wrong, &format!("{url} {args:?}"), &out);
        }
    }
    // The same strings through DATABASE_URL.
    for (url, want) in &bad {
        let out = deskctl()
            .arg("ping")
            .env("DATABASE_URL", url)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(*want), "{}", output_text(&out));
        assert_no_secret(wrong, url, &out);
    }
}

/// Promise 4: a connection string written into deskctl.toml where it does not belong is quoted
/// back masked, not verbatim.
#[test]
fn config_errors_mask_connection_strings() {
    let secret = "C0nfigSecret/x";
    let dir = tempfile::tempdir().unwrap();
    for body in [
        format!("preset = \"postgres://app:{}@db/app\"\n", enc(secret)),
        format!("preset = \"postgres://app:{secret}@db/app\"\n"),
        format!("history_table = \"host=db password='{secret}'\"\n"),
        format!("[verify]\nlock_timeout_ms = \"postgres://u:{secret}@h/d\"\n"),
        format!("checks = \"postgres://u@h/d?password={secret}\"\n"),
    ] {
        let cfg = write(dir.path(), "deskctl.toml", &body);
        let out = deskctl()
            .args(["verify", "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
        assert_no_secret(secret, &body, &out);
    }
}

/// Promise 4: a connection string passed where a check file or directory goes is quoted back
/// masked (in the "no such file" error), not verbatim.
#[test]
fn check_paths_that_are_connection_strings_are_masked() {
    let db = TestDb::new();
    let secret = "P4thSecret";
    for arg in [
        format!("postgres://app:{secret}@db/app"),
        format!("postgresql://app@db/app?password={secret}"),
        format!("host=db password={secret}"),
    ] {
        let out = deskctl()
            .args(["verify", "--database-url", &db.url])
            .arg(&arg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
        assert!(
            output_text(&out).contains("no such file or directory"),
            "{}",
            output_text(&out)
        );
        assert_no_secret(secret, &arg, &out);
    }
}

/// Promise 10: numbers that overflow a Duration are refused, not a panic; timeouts PostgreSQL
/// cannot take are refused before connecting.
#[test]
fn huge_and_invalid_durations_are_bad_input_not_panics() {
    let db = TestDb::new();
    for args in [
        vec!["ping", "--wait", "1e300"],
        vec!["ping", "--wait", "18446744073709551616"],
        vec!["ping", "--wait", "inf"],
        vec!["ping", "--wait", "NaN"],
        vec!["ping", "--wait", "-1"],
        vec!["ping", "--lock-timeout", "1e300"],
        vec!["migrate", "--lock-timeout", "1e20"],
        vec!["status", "--lock-timeout", "-0.5"],
        vec!["verify", "--statement-timeout", "18446744073709551615"],
        vec!["verify", "--statement-timeout", "0"],
        vec!["verify", "--lock-wait", "2147483648"],
    ] {
        let out = deskctl()
            .args(&args)
            .args(["--database-url", &db.url])
            .output()
            .unwrap();
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{text}");
        assert!(!text.contains("panicked"), "{args:?}\n{text}");
        assert!(text.contains("error:"), "{args:?}\n{text}");
    }
}

/// Promise 10: an unreachable server is database trouble (3), a connection string that is not
/// one is bad input (2).
#[test]
fn unreachable_is_3_and_unparseable_is_2() {
    let port = free_port();
    let out = deskctl()
        .args(["verify", "--database-url"])
        .arg(format!("postgres://u@127.0.0.1:{port}/d?sslmode=disable"))
        .arg(crate::common::repo().join("checks"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    for url in [
        "host=x port=notaport",
        "postgres://u@h:99999999/d",
        "host=h bogus_key=1",
    ] {
        let out = deskctl()
            .args(["ping", "--database-url", url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}: {}", output_text(&out));
    }
}

/// Promise 10: the server going away in the middle of a run is exit 3, not a FAIL (1).
#[test]
fn connection_lost_mid_run_is_exit_3() {
    let db = TestDb::new();
    db.exec("create table t (id int)");
    let dir = tempfile::tempdir().unwrap();
    // While the first probe sleeps, a DBA ends deskctl's session (pg_terminate_backend).
    let checks = write(
        dir.path(),
        "c.toml",
        r#"
[[sql]]
id = "sleepy"
query = "select pg_sleep(3) is not null"
expect = true

[[rls]]
tables = ["t"]
"#,
    );
    let killer = {
        let db_url = db.url.clone();
        let name = db.name.clone();
        std::thread::spawn(move || {
            let t = deskctl::db::conninfo::parse(&db_url).unwrap();
            rt().block_on(async {
                let (c, _h) = deskctl::db::connect_target(&t, None).await.unwrap();
                for _ in 0..100 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let n: i64 = c
                        .query_one(
                            "select count(pg_terminate_backend(pid)) from pg_stat_activity
                              where datname = $1 and query like '%pg_sleep(3)%'
                                and pid <> pg_backend_pid()",
                            &[&name],
                        )
                        .await
                        .unwrap()
                        .get(0);
                    if n > 0 {
                        return;
                    }
                }
            })
        })
    };
    let out = deskctl()
        .args([
            "verify",
            "--statement-timeout",
            "20000",
            "--database-url",
            &db.url,
        ])
        .arg(&checks)
        .output()
        .unwrap();
    killer.join().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("connection to the database was lost"),
        "{text}"
    );
}

/// Promise 11: `--output` aimed at a file the run reads (directly, through a symlink, by a
/// relative path) is refused and the file is untouched; snapshot never replaces a file without
/// --force.
#[test]
fn outputs_never_overwrite_inputs() {
    let db = TestDb::new();
    db.exec("create table t (id int primary key)");
    let dir = tempfile::tempdir().unwrap();
    let checks_dir = dir.path().join("checks");
    std::fs::create_dir(&checks_dir).unwrap();
    let body = "[[rls]]\ntables = [\"t\"]\n";
    let check = write(&checks_dir, "a.toml", body);
    std::os::unix::fs::symlink(&check, dir.path().join("link.toml")).unwrap();
    let mig = dir.path().join("migrations");
    std::fs::create_dir(&mig).unwrap();
    let migfile = write(&mig, "V1__a.sql", "select 1;");
    for (out_path, inputs) in [
        (check.clone(), vec![check.clone()]),
        (dir.path().join("link.toml"), vec![check.clone()]),
        (
            checks_dir.join("../checks/./a.toml"),
            vec![checks_dir.clone()],
        ),
        (checks_dir.join("new.toml"), vec![checks_dir.clone()]),
        (migfile.clone(), vec![check.clone()]),
    ] {
        for cmd in ["verify", "diagnose"] {
            if cmd == "diagnose" && out_path != migfile {
                continue;
            }
            let mut c = deskctl();
            c.current_dir(dir.path())
                .args([
                    cmd,
                    "--database-url",
                    &db.url,
                    "--format",
                    "json",
                    "--migrations",
                ])
                .arg(&mig)
                .arg("--output")
                .arg(&out_path);
            if cmd == "verify" {
                c.args(&inputs);
            }
            let out = c.output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(2),
                "{cmd} {out_path:?}: {}",
                output_text(&out)
            );
        }
        assert_eq!(std::fs::read_to_string(&check).unwrap(), body);
        assert_eq!(std::fs::read_to_string(&migfile).unwrap(), "select 1;");
        assert!(!checks_dir.join("new.toml").exists());
    }
    // A report next to the checks (not a check file) is fine.
    let out = deskctl()
        .args([
            "verify",
            "--database-url",
            &db.url,
            "--format",
            "json",
            "--output",
        ])
        .arg(checks_dir.join("report.json"))
        .arg(&check)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));

    // snapshot --output: an existing file (or symlink) needs --force.
    let existing = write(dir.path(), "snap.toml", "keep me");
    for target in [existing.clone(), dir.path().join("link.toml")] {
        let out = deskctl()
            .args(["snapshot", "--database-url", &db.url, "--output"])
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
        assert!(
            output_text(&out).contains("--force"),
            "{}",
            output_text(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    assert_eq!(std::fs::read_to_string(&check).unwrap(), body);
    let out = deskctl()
        .args(["snapshot", "--database-url", &db.url, "--force", "--output"])
        .arg(&existing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(std::fs::read_to_string(&existing).unwrap().contains("[["));
    let fresh = dir.path().join("fresh.toml");
    let out = deskctl()
        .args(["snapshot", "--database-url", &db.url, "--output"])
        .arg(&fresh)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // Writing into a directory that does not exist: bad input, not an internal error.
    let out = deskctl()
        .args(["snapshot", "--database-url", &db.url, "--output"])
        .arg(dir.path().join("no/such/dir/x.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
}

/// A session holding an ACCESS EXCLUSIVE lock on `table` (until rollback), and its pid.
async fn hold_access_exclusive(
    db: &TestDb,
    table: &str,
) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>, i32) {
    let (client, h) = deskctl::db::connect_target(&db.target(), None)
        .await
        .unwrap();
    client
        .batch_execute(&format!(
            "begin; lock table {table} in access exclusive mode"
        ))
        .await
        .unwrap();
    let pid: i32 = client
        .query_one("select pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    (client, h, pid)
}

/// Promise 5: nothing hangs behind an ACCESS EXCLUSIVE lock: catalog reads that need the table
/// (diagnose deparses its policies and indexes) give up after --lock-timeout naming the relation
/// and the pid; the others do not need the lock; a migration touching the table gives up too.
#[test]
fn catalog_reads_time_out_naming_relation_and_pid() {
    let db = TestDb::new();
    db.exec(
        "create table locked_t (id int primary key, v text); create index on locked_t (v);
         create policy p on locked_t using (true);",
    );
    let mig = dir_with_migration();
    let dir = tempfile::tempdir().unwrap();
    let checks = write(dir.path(), "c.toml", "[[rls]]\ntables = [\"locked_t\"]\n");
    rt().block_on(async {
        let (client, _h, pid) = hold_access_exclusive(&db, "locked_t").await;
        let m = mig.path().display().to_string();
        let mut timed_out = Vec::new();
        for args in [
            vec!["verify".to_string(), checks.display().to_string()],
            vec!["diagnose".to_string()],
            vec!["snapshot".to_string()],
            vec!["status".to_string(), "--migrations".to_string(), m.clone()],
            vec!["migrate".to_string(), "--migrations".to_string(), m.clone()],
        ] {
            let t0 = Instant::now();
            let out = tokio::task::spawn_blocking({
                let url = db.url.clone();
                let args = args.clone();
                move || {
                    deskctl()
                        .args(&args)
                        .args(["--lock-timeout", "1", "--database-url", &url])
                        .timeout(Duration::from_secs(60))
                        .output()
                        .unwrap()
                }
            })
            .await
            .unwrap();
            let took = t0.elapsed();
            let text = output_text(&out);
            assert!(took < Duration::from_secs(20), "{args:?} took {took:?}");
            match (args[0].as_str(), out.status.code()) {
                ("migrate", code) => {
                    assert_eq!(code, Some(3), "{args:?}\n{text}");
                    assert!(text.contains("lock timeout"), "{args:?}\n{text}");
                }
                (_, Some(3)) => {
                    assert!(text.contains("locked_t"), "{args:?}\n{text}");
                    assert!(text.contains(&format!("pid {pid}")), "{args:?}\n{text}");
                    assert!(text.contains("--lock-timeout"), "{args:?}\n{text}");
                    timed_out.push(args[0].clone());
                }
                (_, code) => assert!(matches!(code, Some(0) | Some(1)), "{args:?}\n{text}"),
            }
        }
        // diagnose deparses the table's policies and indexes: it needs the lock.
        assert!(timed_out.contains(&"diagnose".to_string()), "{timed_out:?}");
        client.batch_execute("rollback").await.unwrap();
    });
}

#[test]
fn nothing_checked_is_never_green() {
    let dir = tempfile::tempdir().unwrap();
    // Refused while loading, before any connection: the URL points nowhere, so a load that
    // went on to connect would exit 3, not 2.
    let nowhere = "postgres://nobody@127.0.0.1:1/x";
    for (name, text) in [
        ("empty.toml", ""),
        ("blank.toml", "  \n\t\n\n"),
        ("comments.toml", "# only a comment\n# and another\n"),
        ("schema-only.toml", "schema = \"public\"\n"),
    ] {
        let f = write(dir.path(), name, text);
        let o = deskctl()
            .args(["verify", "--database-url", nowhere])
            .arg(&f)
            .output()
            .unwrap();
        let t = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {t}");
        assert!(
            t.contains("holds no checks") && t.contains(name),
            "{name}: {t}"
        );
    }
    // Every check filtered away is not a pass either.
    let db = TestDb::new();
    let f = write(
        dir.path(),
        "one.toml",
        "[[rls]]\nid = \"only-one\"\ntables = [\"t\"]\n",
    );
    let o = deskctl()
        .args(["verify", "--database-url", &db.url, "--skip", "only-one"])
        .arg(&f)
        .output()
        .unwrap();
    let t = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("no checks to run"), "{t}");
}

#[test]
fn migrate_target_that_no_file_has_is_refused_and_nothing_runs() {
    let db = TestDb::new();
    let dir = dir_with_migration();
    let o = deskctl()
        .args([
            "migrate",
            "--no-lint",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(dir.path())
        .args(["--target", "999"])
        .output()
        .unwrap();
    let t = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("--target 999: no migration file"), "{t}");
    assert_eq!(
        db.scalar("select (to_regclass('deskctl.refinery_schema_history') is null)::text")
            .as_deref(),
        Some("true"),
        "nothing may be written"
    );
}

fn mkfifo(p: &Path) {
    nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}

/// Run deskctl in `cwd` with a deadline; assert it refused (exit 2) within seconds, naming
/// `names` and saying why (`why`).
fn refused(cwd: &Path, args: &[&str], names: &[&str], why: &str) {
    let t0 = Instant::now();
    let out = deskctl()
        .current_dir(cwd)
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let took = t0.elapsed();
    let text = output_text(&out);
    assert!(
        took < Duration::from_secs(20),
        "{args:?} took {took:?}: {text}"
    );
    assert_eq!(out.status.code(), Some(2), "{args:?}\n{text}");
    for n in names {
        assert!(text.contains(n), "{args:?}: {n} not named\n{text}");
    }
    assert!(text.contains(why), "{args:?}: no `{why}`\n{text}");
}

/// Promise 5: files that are not files and directories that never end. FIFOs (opening one
/// blocks), devices (/dev/zero never ends) and sockets are refused by name without being opened,
/// wherever deskctl reads user files; symbolic-link loops in check directories are named.
#[test]
fn fifos_devices_sockets_and_link_loops_are_refused_by_name_without_hanging() {
    let db = TestDb::new();
    let url = db.url.as_str();
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let fifo_msg = "named pipe (FIFO), not a regular file";

    // Check files: a FIFO given directly, one inside a directory, a pgTAP one, a device.
    mkfifo(&r.join("direct.toml"));
    refused(
        r,
        &["verify", "direct.toml", "--database-url", url],
        &["direct.toml"],
        fifo_msg,
    );
    let checks = r.join("checks");
    std::fs::create_dir(&checks).unwrap();
    write(&checks, "ok.toml", "[[rls]]\ntables = [\"t\"]\n");
    mkfifo(&checks.join("pipe.toml"));
    refused(
        r,
        &["verify", "checks", "--database-url", url],
        &["checks/pipe.toml"],
        fifo_msg,
    );
    std::fs::remove_file(checks.join("pipe.toml")).unwrap();
    let pgtap = r.join("pgtap");
    std::fs::create_dir(&pgtap).unwrap();
    write(
        &pgtap,
        "a.sql",
        "select plan(1); select pass('x'); select * from finish();\n",
    );
    mkfifo(&pgtap.join("b.sql"));
    refused(
        r,
        &["verify", "pgtap", "--database-url", url],
        &["pgtap/b.sql"],
        fifo_msg,
    );
    refused(
        r,
        &["verify", "/dev/zero", "--database-url", url],
        &["/dev/zero"],
        "character device",
    );

    // Link loops: a directory linked into itself, and a -> b -> a.
    std::os::unix::fs::symlink(&checks, checks.join("again")).unwrap();
    refused(
        r,
        &["verify", "checks", "--database-url", url],
        &["checks/again"],
        "symbolic link loop",
    );
    std::fs::remove_file(checks.join("again")).unwrap();
    std::os::unix::fs::symlink(checks.join("b.toml"), checks.join("a.toml")).unwrap();
    std::os::unix::fs::symlink(checks.join("a.toml"), checks.join("b.toml")).unwrap();
    refused(
        r,
        &["verify", "checks", "--database-url", url],
        &["checks/a.toml", "checks/b.toml"],
        "symbolic link loop",
    );

    // Migrations: a FIFO migration file, a FIFO given as the directory.
    let mig = r.join("migrations");
    std::fs::create_dir(&mig).unwrap();
    write(&mig, "V1__a.sql", "create table a (id int);\n");
    mkfifo(&mig.join("V2__b.sql"));
    refused(
        r,
        &[
            "migrate",
            "--migrations",
            "migrations",
            "--database-url",
            url,
        ],
        &["V2__b.sql"],
        fifo_msg,
    );
    assert_eq!(
        db.scalar("select to_regclass('public.a')::text"),
        None,
        "V1 ran"
    );
    mkfifo(&r.join("mig-pipe"));
    refused(
        r,
        &["status", "--migrations", "mig-pipe", "--database-url", url],
        &["mig-pipe"],
        fifo_msg,
    );

    // Configuration: deskctl.toml as a FIFO, --config at a device, supabase/config.toml as a FIFO.
    let cfg = tempfile::tempdir().unwrap();
    mkfifo(&cfg.path().join("deskctl.toml"));
    refused(
        cfg.path(),
        &["ping", "--database-url", url],
        &["deskctl.toml"],
        fifo_msg,
    );
    refused(
        r,
        &["ping", "--config", "/dev/zero", "--database-url", url],
        &["/dev/zero"],
        "character device",
    );
    let supa = tempfile::tempdir().unwrap();
    std::fs::create_dir(supa.path().join("supabase")).unwrap();
    mkfifo(&supa.path().join("supabase/config.toml"));
    refused(
        supa.path(),
        &["ping", "--database-url", url],
        &["supabase/config.toml"],
        fifo_msg,
    );

    // A seed file that is a FIFO (seeds are read on ephemeral runs of a Supabase project).
    std::fs::remove_file(supa.path().join("supabase/config.toml")).unwrap();
    write(
        &supa.path().join("supabase"),
        "config.toml",
        "[db.seed]\nenabled = true\nsql_paths = [\"./seed.sql\"]\n",
    );
    std::fs::create_dir(supa.path().join("supabase/migrations")).unwrap();
    write(
        &supa.path().join("supabase/migrations"),
        "20240101000000_a.sql",
        "create table a (id int);\nalter table a enable row level security;\n",
    );
    mkfifo(&supa.path().join("supabase/seed.sql"));
    write(supa.path(), "c.toml", "[[rls]]\ntables = [\"a\"]\n");
    refused(
        supa.path(),
        &["verify", "--ephemeral", "c.toml"],
        &["seed.sql"],
        fifo_msg,
    );
}

/// Promise 5: a migration statement that waits on a lock another session holds gives up after
/// --lock-timeout (exit 3) naming the locked relation and the holder's pid; nothing is half
/// applied, and once the lock is gone the same migration applies.
#[test]
fn migrate_behind_a_held_table_lock_names_the_relation_and_the_pid() {
    let db = TestDb::new();
    db.exec("create table held_t (id int)");
    let mig = tempfile::tempdir().unwrap();
    write(
        mig.path(),
        "V1__alter.sql",
        "create table other_t (id int);\nalter table held_t add column v text;\n",
    );
    let m = mig.path().display().to_string();
    let run = |m: String, url: String| {
        let t0 = Instant::now();
        let out = deskctl()
            .args(["migrate", "--no-lint", "--migrations", &m])
            .args(["--lock-timeout", "1", "--database-url", &url])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        (out, t0.elapsed())
    };
    rt().block_on(async {
        let (client, _h, pid) = hold_access_exclusive(&db, "held_t").await;
        let (out, took) = tokio::task::spawn_blocking({
            let (m, url) = (m.clone(), db.url.clone());
            move || run(m, url)
        })
        .await
        .unwrap();
        let text = output_text(&out);
        assert!(took < Duration::from_secs(20), "took {took:?}\n{text}");
        assert_eq!(out.status.code(), Some(3), "{text}");
        assert!(text.contains("held_t"), "relation not named:\n{text}");
        assert!(
            text.contains(&format!("pid {pid}")),
            "holder not named:\n{text}"
        );
        assert!(text.contains("--lock-timeout"), "{text}");
        client.batch_execute("rollback").await.unwrap();
    });
    assert_eq!(
        db.scalar("select to_regclass('public.other_t')::text"),
        None
    );
    let (out, _) = run(m, db.url.clone());
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert_eq!(
        db.scalar("select count(*)::text from information_schema.columns where table_name = 'held_t' and column_name = 'v'"),
        Some("1".into())
    );
}
