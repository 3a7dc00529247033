//! `deskctl ping`: connect and report who and what we are talking to — server version, database,
//! user, superuser/BYPASSRLS (RLS tests as such a user prove nothing), TLS, Supabase roles.
//! Read-only (`connect` writes nothing to a database given by URL).

use std::process::ExitCode;

use serde::Serialize;

use super::{connect, print_json, print_text};
use crate::config::RunConfig;
use crate::db;

#[derive(Debug, Serialize)]
pub struct PingReport {
    pub target: String,
    pub server_version: String,
    pub server_version_num: i32,
    pub database: String,
    pub user: String,
    pub superuser: bool,
    pub bypass_rls: bool,
    pub tls: Option<TlsInfo>,
    pub supabase_roles: Vec<RolePresence>,
    pub ephemeral: bool,
    pub startup_ms: Option<u128>,
}

#[derive(Debug, Serialize)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
    pub bits: i32,
}

#[derive(Debug, Serialize)]
pub struct RolePresence {
    pub role: String,
    pub exists: bool,
}

const QUERY: &str = "
select current_setting('server_version') as server_version,
       current_setting('server_version_num')::int4 as server_version_num,
       current_database()::text as database, current_user::text as user_name,
       r.rolsuper, r.rolbypassrls,
       coalesce(s.ssl, false) as tls, coalesce(s.version, '') as tls_version,
       coalesce(s.cipher, '') as tls_cipher, coalesce(s.bits, 0) as tls_bits,
       array(select rolname::text from pg_catalog.pg_roles where rolname = any($1::text[]))
         as present_roles
  from pg_catalog.pg_roles r
  left join pg_catalog.pg_stat_ssl s on s.pid = pg_catalog.pg_backend_pid()
 where r.rolname = current_user";

/// Ask the connected server about itself.
pub async fn inspect(client: &tokio_postgres::Client) -> Result<PingReport, tokio_postgres::Error> {
    let roles: Vec<String> = db::supabase::ROLES.iter().map(|s| s.to_string()).collect();
    let row = client.query_one(QUERY, &[&roles]).await?;
    let present: Vec<String> = row.get("present_roles");
    Ok(PingReport {
        target: String::new(),
        server_version: row.get("server_version"),
        server_version_num: row.get("server_version_num"),
        database: row.get("database"),
        user: row.get("user_name"),
        superuser: row.get("rolsuper"),
        bypass_rls: row.get("rolbypassrls"),
        tls: row.get::<_, bool>("tls").then(|| TlsInfo {
            version: row.get("tls_version"),
            cipher: row.get("tls_cipher"),
            bits: row.get("tls_bits"),
        }),
        supabase_roles: db::supabase::ROLES
            .iter()
            .map(|r| RolePresence {
                role: r.to_string(),
                exists: present.iter().any(|p| p == r),
            })
            .collect(),
        ephemeral: false,
        startup_ms: None,
    })
}

pub async fn run(cfg: &RunConfig, json: bool) -> anyhow::Result<ExitCode> {
    let db = connect(cfg).await?;
    let mut report = inspect(&db.client).await?;
    report.target = db.display.clone();
    report.ephemeral = db.cluster.is_some();
    report.startup_ms = db.cluster.as_ref().map(|c| c.startup.as_millis());
    let printed = if json {
        print_json(&report)
    } else {
        print_text(&render(&report))
    };
    db.close().await;
    printed?;
    Ok(super::exit(false))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub fn render(r: &PingReport) -> String {
    let mut s = String::new();
    s.push_str(&format!("target:         {}\n", r.target));
    s.push_str(&format!(
        "server:         PostgreSQL {}\n",
        r.server_version
    ));
    s.push_str(&format!("database:       {}\n", r.database));
    s.push_str(&format!("user:           {}\n", r.user));
    s.push_str(&format!("superuser:      {}\n", yes_no(r.superuser)));
    s.push_str(&format!(
        "bypass RLS:     {}",
        yes_no(r.superuser || r.bypass_rls)
    ));
    if r.superuser || r.bypass_rls {
        s.push_str("  (RLS does not apply to this user: behaviour checks impersonate API roles)");
    }
    s.push('\n');
    match &r.tls {
        Some(t) => s.push_str(&format!(
            "tls:            {} {} ({} bits)\n",
            t.version, t.cipher, t.bits
        )),
        None => s.push_str("tls:            no\n"),
    }
    let roles: Vec<String> = r
        .supabase_roles
        .iter()
        .map(|p| format!("{} {}", p.role, if p.exists { "yes" } else { "MISSING" }))
        .collect();
    s.push_str(&format!("supabase roles: {}\n", roles.join(", ")));
    if let Some(ms) = r.startup_ms {
        s.push_str(&format!("ephemeral:      started in {ms} ms\n"));
    }
    s
}
