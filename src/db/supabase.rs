//! The Supabase compatibility preset: roles, auth schema and functions, realtime publication and
//! default privileges, as one idempotent SQL script. Must not be installed into a database the
//! user did not ask deskctl to change (see `db::PresetUse`).

use tokio_postgres::Client;

/// The preset's SQL (`deskctl preset supabase --print`).
pub const SQL: &str = include_str!("supabase_preset.sql");

/// The roles whose existence `ping` reports.
pub const ROLES: [&str; 4] = ["anon", "authenticated", "service_role", "authenticator"];

/// Install the preset idempotently, in one transaction. Roles are cluster-wide, so two databases
/// installing at once can race on CREATE ROLE; such conflicts are retried.
pub async fn install(client: &Client) -> Result<(), tokio_postgres::Error> {
    let mut attempt = 0;
    loop {
        let r = client
            .batch_execute(&format!("begin;\n{SQL}\ncommit;"))
            .await;
        match r {
            Ok(()) => return Ok(()),
            Err(e) => {
                let _ = client.batch_execute("rollback").await;
                let retry = e.as_db_error().is_some_and(|d| {
                    matches!(
                        d.code().code(),
                        "23505" | "42710" | "40001" | "40P01" | "XX000"
                    )
                });
                attempt += 1;
                if !retry || attempt >= 8 {
                    return Err(e);
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
        }
    }
}
