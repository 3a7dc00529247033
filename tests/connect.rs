//! Connections: URL, libpq key=value, PG* env, TLS modes, wrong password, --wait, ephemeral
//! clean-up, the Supabase preset.

use std::time::{Duration, Instant};

use deskctl::db::{ephemeral, EphemeralCluster};

use crate::common::{deskctl, output_text, rt, TestDb};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn ping_by_url_reports_database_and_user() {
    let db = TestDb::new();
    let out = deskctl()
        .args(["ping", "--format", "json", "--database-url", &db.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["database"], db.name.as_str());
    assert_eq!(v["user"], "postgres");
    assert_eq!(v["superuser"], true);
    assert_eq!(v["tls"], serde_json::Value::Null);
    // Roles are cluster-wide (other tests install the preset): compare with the catalog.
    let anon = db.scalar("select count(*)::text from pg_roles where rolname = 'anon'");
    assert_eq!(v["supabase_roles"][0]["role"], "anon");
    assert_eq!(
        v["supabase_roles"][0]["exists"],
        anon.as_deref() == Some("1")
    );
}

#[test]
fn ping_by_pg_environment_and_key_value_string() {
    let db = TestDb::new();
    let t = db.target();
    let host = match &t.config.get_hosts()[0] {
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
    };
    let port = t
        .config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    // The test cluster wants its password (ephemeral clusters are private); "" for a server
    // given by DESKCTL_TEST_DATABASE_URL without one.
    let password = String::from_utf8_lossy(t.config.get_password().unwrap_or_default()).to_string();
    let out = deskctl()
        .args(["ping", "--format", "json"])
        .env("PGPASSWORD", &password)
        .env("PGHOST", &host)
        .env("PGPORT", &port)
        .env("PGUSER", "postgres")
        .env("PGDATABASE", &db.name)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["database"], db.name.as_str());

    let kv = format!(
        "host='{host}' port={port} user=postgres password='{password}' dbname={}",
        db.name
    );
    let out = deskctl()
        .args(["ping", "--format", "json", "--database-url", &kv])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["database"], db.name.as_str());
}

#[test]
fn missing_database_is_one_line_exit_3() {
    let db = TestDb::new();
    let url = db.url.replace(&db.name, "no_such_db_here");
    let out = deskctl()
        .args(["ping", "--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("database \"no_such_db_here\" does not exist"),
        "{text}"
    );
    assert!(text.contains("hint:"), "{text}");
}

/// A cluster on TCP with password authentication, for wrong-password tests.
fn password_cluster() -> EphemeralCluster {
    let port = free_port();
    let hba = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    EphemeralCluster::start(ephemeral::Options {
        tcp_port: Some(port),
        data_files: vec![("pg_hba.conf".into(), hba.as_bytes().to_vec(), 0o600)],
        settings: vec![("password_encryption".into(), "scram-sha-256".into())],
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn wrong_password_exits_3_and_never_prints_the_password() {
    let c = password_cluster();
    rt().block_on(async {
        let (client, _h) = deskctl::db::connect_target(&c.conn_target("postgres"), None)
            .await
            .unwrap();
        client
            .batch_execute("create role app login password 'right-horse-battery'")
            .await
            .unwrap();
    });
    let port = c.tcp_port().unwrap();
    let secret = "Wr0ngSecretXyz";
    let url = format!("postgres://app:{secret}@127.0.0.1:{port}/postgres?sslmode=disable");
    let out = deskctl()
        .args(["ping", "--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = output_text(&out);
    assert!(
        text.contains("password authentication failed for user \"app\""),
        "{text}"
    );
    assert!(text.contains("app:***@127.0.0.1"), "{text}");
    assert!(!text.contains(secret), "{text}");
    // Same via PGPASSWORD.
    let out = deskctl()
        .args([
            "ping",
            "--database-url",
            &format!("postgres://app@127.0.0.1:{port}/postgres?sslmode=disable"),
        ])
        .env("PGPASSWORD", secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!output_text(&out).contains(secret));
    // And the right password works.
    let ok =
        format!("postgres://app:right-horse-battery@127.0.0.1:{port}/postgres?sslmode=disable");
    let out = deskctl()
        .args(["ping", "--database-url", &ok])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(!output_text(&out).contains("right-horse-battery"));
}

#[test]
fn wait_gives_up_on_a_closed_port_in_the_time_asked() {
    let port = free_port();
    let url = format!("postgres://u@127.0.0.1:{port}/d?sslmode=disable");
    let t0 = Instant::now();
    let out = deskctl()
        .args(["ping", "--wait", "1.5", "--database-url", &url])
        .output()
        .unwrap();
    let took = t0.elapsed();
    assert_eq!(out.status.code(), Some(3));
    let text = output_text(&out);
    assert!(text.contains("connection refused"), "{text}");
    assert!(
        took >= Duration::from_millis(1400),
        "gave up too early: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "gave up too late: {took:?}");
    // Without --wait it fails at once.
    let t0 = Instant::now();
    let out = deskctl()
        .args(["ping", "--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(t0.elapsed() < Duration::from_secs(1));
}

#[test]
fn unknown_host_is_named() {
    let out = deskctl()
        .args([
            "ping",
            "--database-url",
            "postgres://u:pw@no-such-host.invalid/d",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = output_text(&out);
    assert!(text.contains("unknown host"), "{text}");
    assert!(!text.contains(":pw@"), "{text}");
}

struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn make_pki(names: &[&str]) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "deskctl test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    Pki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn tls_cluster(pki: &Pki) -> EphemeralCluster {
    let port = free_port();
    let hba = "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n";
    EphemeralCluster::start(ephemeral::Options {
        tcp_port: Some(port),
        data_files: vec![
            ("pg_hba.conf".into(), hba.as_bytes().to_vec(), 0o600),
            ("server.crt".into(), pki.cert_pem.as_bytes().to_vec(), 0o600),
            ("server.key".into(), pki.key_pem.as_bytes().to_vec(), 0o600),
        ],
        settings: vec![("ssl".into(), "on".into())],
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn tls_require_verify_full_and_wrong_host_name() {
    let pki = make_pki(&["localhost"]);
    let c = tls_cluster(&pki);
    let port = c.tcp_port().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ca = ca.display().to_string();

    // require: encrypted, certificate not checked.
    let out = deskctl()
        .args(["ping", "--format", "json", "--database-url"])
        .arg(format!(
            "postgres://postgres@127.0.0.1:{port}/postgres?sslmode=require"
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["tls"]["version"].as_str().unwrap().starts_with("TLSv1."),
        "{v}"
    );
    assert!(!v["tls"]["cipher"].as_str().unwrap().is_empty());

    // sslmode=disable is rejected by pg_hba (hostssl only): proves the previous run really used TLS.
    let out = deskctl()
        .args(["ping", "--database-url"])
        .arg(format!(
            "postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));

    // verify-full against the right name and our CA.
    let out = deskctl()
        .args(["ping", "--format", "json", "--database-url"])
        .arg(format!(
            "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));

    // The same as a key=value string with PGSSLROOTCERT.
    let out = deskctl()
        .args(["ping", "--database-url"])
        .arg(format!(
            "host=localhost port={port} user=postgres dbname=postgres sslmode=verify-full"
        ))
        .env("PGSSLROOTCERT", &ca)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));

    // verify-full with a host name the certificate does not carry fails, exit 3.
    let out = deskctl()
        .args(["ping", "--database-url"])
        .arg(format!(
            "postgres://postgres@127.0.0.1:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = output_text(&out);
    assert!(text.contains("TLS failure"), "{text}");

    // verify-ca accepts that host name (chain only).
    let out = deskctl()
        .args(["ping", "--database-url"])
        .arg(format!(
            "postgres://postgres@127.0.0.1:{port}/postgres?sslmode=verify-ca&sslrootcert={ca}"
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));

    // verify-full without our CA: the system roots do not trust it.
    let out = deskctl()
        .args(["ping", "--database-url"])
        .arg(format!(
            "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full"
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
}

/// A TMPDIR for a deskctl run that the unprivileged server user can reach (when we are root).
fn server_reachable_tmpdir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    tmp
}

fn deskctl_dirs(tmp: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("deskctl-"))
        .collect()
}

fn postgres_running_under(dir: &std::path::Path) -> bool {
    let out = std::process::Command::new("pgrep")
        .args(["-f", &dir.display().to_string()])
        .output()
        .unwrap();
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

#[test]
fn ephemeral_leaves_no_process_and_no_directory() {
    let tmp = server_reachable_tmpdir();
    let out = deskctl()
        .args([
            "ping",
            "--ephemeral",
            "--preset",
            "supabase",
            "--format",
            "json",
        ])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ephemeral"], true);
    assert!(v["supabase_roles"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["exists"] == true));
    assert!(
        deskctl_dirs(tmp.path()).is_empty(),
        "left behind: {:?}",
        deskctl_dirs(tmp.path())
    );
    assert!(!postgres_running_under(tmp.path()));

    // A run that fails after the cluster started (bad config in the preset step is hard to
    // provoke; a killed run is covered by sigterm_stops_and_removes_the_cluster).
}

#[test]
fn sigterm_stops_and_removes_the_cluster() {
    let tmp = server_reachable_tmpdir();
    // A migration that sleeps keeps the cluster up long enough to be signalled.
    let mig = tempfile::tempdir().unwrap();
    std::fs::write(mig.path().join("V1__sleep.sql"), "select pg_sleep(30);\n").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("deskctl");
    let mut child = std::process::Command::new(bin)
        .args(["migrate", "--ephemeral", "--migrations"])
        .arg(mig.path())
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the cluster directory exists and the server is up.
    let t0 = Instant::now();
    while deskctl_dirs(tmp.path()).is_empty() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !deskctl_dirs(tmp.path()).is_empty(),
        "cluster never appeared"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        deskctl_dirs(tmp.path()).is_empty(),
        "left behind: {:?}",
        deskctl_dirs(tmp.path())
    );
    assert!(!postgres_running_under(tmp.path()));
}

#[test]
fn supabase_preset_auth_uid_reads_the_jwt_sub() {
    let db = TestDb::supabase();
    // Idempotent: a second install changes nothing and does not fail.
    db.exec(deskctl::db::supabase::SQL);
    let sub = "3f1c7d4e-0000-4000-8000-0000000000aa";
    let got = db.simple(&format!(
        "begin; set local role authenticated; \
         set local request.jwt.claims = '{{\"sub\":\"{sub}\",\"role\":\"authenticated\",\"email\":\"a@b.c\"}}'; \
         select auth.uid()::text, auth.role()::text, auth.email()::text, current_user::text; rollback"
    ));
    assert_eq!(got[0][3].as_deref(), Some("authenticated"));
    assert_eq!(got[0][0].as_deref(), Some(sub));
    assert_eq!(got[0][1].as_deref(), Some("authenticated"));
    assert_eq!(got[0][2].as_deref(), Some("a@b.c"));
}

#[test]
fn preset_print_writes_the_sql() {
    let out = deskctl()
        .args(["preset", "supabase", "--print"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let sql = String::from_utf8(out.stdout).unwrap();
    assert!(
        sql.contains("create or replace function auth.uid()"),
        "preset SQL lacks auth.uid"
    );
    assert!(sql.contains("supabase_realtime"));
}

#[test]
fn keep_leaves_a_reachable_cluster_and_says_how_to_stop_it() {
    let out = deskctl()
        .args(["ping", "--ephemeral", "--keep"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    // connect: PGPASSFILE=FILE psql 'URL' (the password only in that 0600 file, never printed)
    let (pgpass, url) = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("connect: PGPASSFILE="))
        .and_then(|l| l.split_once(" psql '"))
        .and_then(|(f, u)| Some((f.to_string(), u.strip_suffix('\'')?.to_string())))
        .unwrap_or_else(|| panic!("no connect line in: {err}"));
    let password = std::fs::read_to_string(&pgpass).unwrap();
    let password = password.trim().rsplit(':').next().unwrap().to_string();
    assert!(!err.contains(&password), "the password was printed: {err}");
    let url = url.replacen("postgres@", &format!("postgres:{password}@"), 1);
    let stop = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("stop:"))
        .unwrap_or_else(|| panic!("no stop line in: {err}"))
        .trim()
        .to_string();
    // Still running: connect through the printed URL.
    let out = deskctl()
        .args(["ping", "--format", "json", "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    // The printed stop command stops and removes it.
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(&stop)
        .status()
        .unwrap();
    assert!(st.success(), "stop command failed: {stop}");
    let out = deskctl()
        .args(["ping", "--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn ephemeral_works_for_a_non_root_user() {
    if !nix::unistd::Uid::effective().is_root() {
        // Already unprivileged: the other ephemeral tests prove it.
        let out = deskctl().args(["ping", "--ephemeral"]).output().unwrap();
        assert!(out.status.success(), "{}", output_text(&out));
        return;
    }
    // Run deskctl itself as the unprivileged `postgres` user, with its own HOME and TMPDIR.
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for d in [home.path(), tmp.path()] {
        nix::unistd::chown(
            d,
            Some(nix::unistd::Uid::from_raw(
                nix::unistd::User::from_name("postgres")
                    .unwrap()
                    .unwrap()
                    .uid
                    .as_raw(),
            )),
            None,
        )
        .unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("deskctl");
    let out = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--", "env"])
        .arg(format!("HOME={}", home.path().display()))
        .arg(format!("TMPDIR={}", tmp.path().display()))
        .arg("NO_COLOR=1")
        .arg(&bin)
        .args([
            "ping",
            "--ephemeral",
            "--preset",
            "supabase",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ephemeral"], true);
    assert_eq!(v["user"], "postgres");
    assert!(deskctl_dirs(tmp.path()).is_empty());
}

#[test]
fn a_failing_run_on_an_ephemeral_cluster_leaves_nothing_behind() {
    let tmp = server_reachable_tmpdir();
    let mig = tempfile::tempdir().unwrap();
    std::fs::write(
        mig.path().join("V1__broken.sql"),
        "create tabel oops (id int);\n",
    )
    .unwrap();
    let out = deskctl()
        .args(["migrate", "--ephemeral", "--migrations"])
        .arg(mig.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("syntax error"),
        "{}",
        output_text(&out)
    );
    assert!(
        deskctl_dirs(tmp.path()).is_empty(),
        "left behind: {:?}",
        deskctl_dirs(tmp.path())
    );
    assert!(!postgres_running_under(tmp.path()));
}

#[test]
fn a_server_that_never_answers_times_out_after_connect_timeout() {
    // A loopback listener that accepts and then stays silent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let url = format!("postgres://u@127.0.0.1:{port}/d?sslmode=disable&connect_timeout=2");
    let t0 = Instant::now();
    let out = deskctl()
        .args(["ping", "--database-url", &url])
        .output()
        .unwrap();
    let took = t0.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(text.contains("timed out connecting to 127.0.0.1"), "{text}");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(6),
        "{took:?}"
    );
}

#[test]
fn missing_server_binaries_name_the_packages_to_install() {
    let out = deskctl()
        .args(["ping", "--ephemeral"])
        .env("DESKCTL_PG_BIN", "/nonexistent/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("PostgreSQL server binaries (initdb, postgres) not found"),
        "{text}"
    );
    assert!(text.contains("apt-get install postgresql"), "{text}");
    assert!(text.contains("brew install postgresql@16"), "{text}");
    assert!(
        text.lines().filter(|l| !l.trim().is_empty()).count() <= 4,
        "{text}"
    );
}
