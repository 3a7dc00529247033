//! Promise 8 of issue 10: an ephemeral cluster is private. Other local users cannot reach it
//! (socket directory and socket 0700), nobody gets in without its password (scram-sha-256 for
//! the socket and for 127.0.0.1, no trust line anywhere), every cluster has its own password, the
//! cached template holds none, and the password never appears in deskctl's output.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use deskctl::db::{ephemeral, EphemeralCluster};

use crate::common::{deskctl, free_port, output_text, rt};

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// `psql -w` (never prompts) with a clean environment, optionally as another OS user; returns
/// (success, output).
fn psql(as_user: Option<&str>, conninfo: &str, password: Option<&str>) -> (bool, String) {
    let bin = ephemeral::find_bindir().unwrap().join("psql");
    let mut cmd = match as_user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    cmd.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("PGPASSFILE", "/dev/null")
        .env("HOME", "/")
        .current_dir("/")
        .args(["-w", "-X", "-At", "-c", "select current_user"])
        .arg(conninfo);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), output_text(&out))
}

fn assert_refused(what: &str, (ok, text): (bool, String)) {
    assert!(!ok, "{what}: connected\n{text}");
    assert!(
        text.contains("password")
            || text.contains("Permission denied")
            || text.contains("no pg_hba.conf entry"),
        "{what}: refused for an unexpected reason\n{text}"
    );
}

fn cluster(tcp: bool) -> EphemeralCluster {
    EphemeralCluster::start(ephemeral::Options {
        tcp_port: tcp.then(free_port),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn nobody_gets_in_without_the_password_over_the_socket_or_tcp() {
    let c = cluster(true);
    let dir = c.socket_dir().display().to_string();
    let port = c.port();
    let sock = format!("host={dir} port={port} user=postgres dbname=postgres");
    let tcp = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres");
    let pw = c.password().to_string();

    // The right password works both ways (so the refusals below are about the password).
    let (ok, text) = psql(None, &sock, Some(&pw));
    assert!(ok, "socket with the password: {text}");
    assert_eq!(text.trim(), "postgres");
    let (ok, text) = psql(None, &tcp, Some(&pw));
    assert!(ok, "tcp with the password: {text}");

    // Even root, who may enter the directory, needs it on the socket; everyone needs it on TCP.
    assert_refused("socket, no password", psql(None, &sock, None));
    assert_refused(
        "socket, wrong password",
        psql(None, &sock, Some("wrong-password")),
    );
    assert_refused("tcp, no password", psql(None, &tcp, None));
    assert_refused("tcp, wrong password", psql(None, &tcp, Some(&pw[1..])));
    for user in ["anon", "authenticator", "nobody"] {
        let other = tcp.replace("user=postgres", &format!("user={user}"));
        assert_refused(&format!("tcp as {user}"), psql(None, &other, None));
    }

    if is_root() {
        // Another local user: cannot even reach the socket, and TCP wants the password.
        assert_refused("nobody, socket", psql(Some("nobody"), &sock, None));
        assert_refused(
            "nobody, socket, wrong",
            psql(Some("nobody"), &sock, Some("x")),
        );
        assert_refused("nobody, tcp", psql(Some("nobody"), &tcp, None));
        assert_refused("nobody, tcp, wrong", psql(Some("nobody"), &tcp, Some("x")));
        let (ok, text) = psql(Some("nobody"), &tcp, Some(&pw));
        assert!(ok, "nobody over tcp WITH the password: {text}");
    } else {
        eprintln!("not root: the other-local-user cases need runuser as root; skipped");
    }

    // What the server itself says about its rules.
    let rows = rt().block_on(async {
        let (client, _h) = deskctl::db::connect_target(&c.conn_target("postgres"), None)
            .await
            .unwrap();
        let r = client
            .query_one(
                "select (select count(*) from pg_hba_file_rules
                          where auth_method is distinct from 'scram-sha-256')::int,
                        (select count(*) from pg_hba_file_rules)::int,
                        current_setting('unix_socket_permissions'),
                        current_setting('listen_addresses'),
                        (select rolpassword like 'SCRAM-SHA-256$%' from pg_authid
                          where rolname = 'postgres')",
                &[],
            )
            .await
            .unwrap();
        (
            r.get::<_, i32>(0),
            r.get::<_, i32>(1),
            r.get::<_, String>(2),
            r.get::<_, String>(3),
            r.get::<_, bool>(4),
        )
    });
    assert_eq!(rows.0, 0, "a pg_hba line that is not scram-sha-256");
    assert!(rows.1 >= 2, "hba rules: {}", rows.1);
    assert_eq!(rows.2, "0700");
    assert_eq!(rows.3, "127.0.0.1");
    assert!(rows.4, "the superuser has no scram password");
}

#[test]
fn socket_directory_and_socket_are_0700_owned_by_the_server_user() {
    let c = cluster(false);
    let root = c.socket_dir();
    let meta = std::fs::metadata(root).unwrap();
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o700,
        "{}",
        root.display()
    );
    let sock = root.join(format!(".s.PGSQL.{}", c.port()));
    let smeta = std::fs::metadata(&sock).unwrap();
    assert_eq!(
        smeta.permissions().mode() & 0o777,
        0o700,
        "{}",
        sock.display()
    );
    // The server's user owns both (postgres when we are root, ourselves otherwise).
    let server_uid = if is_root() {
        nix::unistd::User::from_name("postgres")
            .unwrap()
            .unwrap()
            .uid
            .as_raw()
    } else {
        nix::unistd::Uid::effective().as_raw()
    };
    assert_eq!(meta.uid(), server_uid);
    assert_eq!(smeta.uid(), server_uid);
}

/// Every `template-*` directory of the cache deskctl uses here.
fn templates() -> Vec<PathBuf> {
    let cache = std::env::var_os("DESKCTL_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("deskctl")))
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap())
                .join(".cache")
                .join("deskctl")
        });
    std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("template-"))
        })
        .collect()
}

/// pg_authid's heap file holds the stored password verifiers.
fn authid_has_password(data: &Path) -> bool {
    let bytes = std::fs::read(data.join("global").join("1260")).unwrap();
    bytes.windows(14).any(|w| w == b"SCRAM-SHA-256$") || bytes.windows(3).any(|w| w == b"md5")
}

#[test]
fn every_cluster_has_its_own_password_and_the_template_holds_none() {
    let a = cluster(true);
    let b = cluster(true);
    assert_ne!(a.password(), b.password());
    assert_eq!(a.password().len(), 64, "32 random bytes as hex");
    let b_tcp = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        b.port()
    );
    assert_refused(
        "b with a's password",
        psql(None, &b_tcp, Some(a.password())),
    );
    assert!(psql(None, &b_tcp, Some(b.password())).0);
    // The cluster's own pg_authid holds its verifier (the scan below can see one)...
    assert!(authid_has_password(&a.root().join("data")));
    // ...and no cached template holds any.
    let t = templates();
    assert!(!t.is_empty(), "no template found (cache dir moved?)");
    for dir in t {
        assert!(
            !authid_has_password(&dir),
            "{} holds a password",
            dir.display()
        );
    }
}

#[test]
fn the_url_deskctl_builds_is_masked_and_connects() {
    let c = cluster(false);
    let url = c.url("postgres");
    assert!(url.contains(c.password()));
    let masked = deskctl::db::conninfo::mask_password(&url);
    assert!(!masked.contains(c.password()), "{masked}");
    let out = deskctl()
        .args(["ping", "-vvv", "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(!output_text(&out).contains(c.password()));
    // A Debug print of the cluster does not show it either.
    assert!(!format!("{c:?}").contains(c.password()));
}

/// Run deskctl with --keep (so the password can be read back from the pgpass file afterwards),
/// return (output, password), stopping the kept cluster.
fn kept_run(args: &[&str]) -> (std::process::Output, String) {
    let out = deskctl()
        .args(args)
        .args(["--ephemeral", "--keep", "-vvv"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let pgpass = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("connect: PGPASSFILE="))
        .and_then(|l| l.split_once(' '))
        .map(|(f, _)| f.to_string())
        .unwrap_or_else(|| panic!("no connect line: {}", output_text(&out)));
    let meta = std::fs::metadata(&pgpass).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{pgpass}");
    let line = std::fs::read_to_string(&pgpass).unwrap();
    let password = line.trim().rsplit(':').next().unwrap().to_string();
    assert_eq!(password.len(), 64, "{pgpass}");
    let stop = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("stop:"))
        .unwrap()
        .trim()
        .to_string();
    let st = Command::new("sh").arg("-c").arg(&stop).output().unwrap();
    assert!(st.status.success(), "{stop}: {}", output_text(&st));
    (out, password)
}

#[test]
fn the_password_never_appears_in_ping_status_json_or_errors() {
    let mig = tempfile::tempdir().unwrap();
    std::fs::write(mig.path().join("V1__t.sql"), "create table t (id int);\n").unwrap();
    let m = mig.path().display().to_string();
    let checks = tempfile::tempdir().unwrap();
    let c = checks.path().join("c.toml");
    std::fs::write(&c, "[[rls]]\ntables = [\"no_such_table\"]\n").unwrap();
    let c = c.display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["ping"],
        vec!["ping", "--format", "json"],
        vec!["status", "--migrations", &m],
        vec!["status", "--migrations", &m, "--format", "json"],
        vec!["verify", "--migrations", &m, &c],
        vec!["verify", "--migrations", &m, "--format", "json", &c],
    ];
    for args in runs {
        let (out, password) = kept_run(&args);
        let text = output_text(&out);
        assert!(
            !text.contains(&password),
            "{args:?} printed the password:\n{text}"
        );
        assert!(!text.contains(&password[..16]), "{args:?}:\n{text}");
    }
}

#[test]
fn deskctl_as_a_normal_user_runs_its_own_private_cluster() {
    if !is_root() {
        eprintln!("skipped: needs root to run deskctl as another user (runuser)");
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let pg = nix::unistd::User::from_name("postgres").unwrap().unwrap();
    nix::unistd::chown(cache.path(), Some(pg.uid), Some(pg.gid)).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("deskctl");
    let port = free_port();
    for no_template in ["", "1"] {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&exe)
            .args([
                "ping",
                "--ephemeral",
                "--format",
                "json",
                "--ephemeral-port",
            ])
            .arg(port.to_string())
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", &pg.dir)
            .env("DESKCTL_CACHE_DIR", cache.path())
            .env("DESKCTL_NO_TEMPLATE", no_template)
            .env("NO_COLOR", "1")
            .current_dir("/")
            .output()
            .unwrap();
        let text = output_text(&out);
        assert!(
            out.status.success(),
            "as postgres (no_template={no_template:?}): {text}"
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["ephemeral"], true, "{text}");
        assert_eq!(v["superuser"], true, "{text}");
    }
    // The template it built as that user holds no password either.
    let t: Vec<PathBuf> = std::fs::read_dir(cache.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("template-")
        })
        .collect();
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(!authid_has_password(&t[0]));
}
