//! The Supabase compatibility preset: roles, the auth/storage/vault/realtime/supabase_functions/
//! graphql_public/extensions schemas and default privileges, as one idempotent SQL script kept in
//! `src/db/supabase/*.sql` (what is a stand-in: docs/supabase.md); pgTAP into `extensions` on
//! demand; and the words for an extension this server lacks. Must not be installed into a
//! database the user did not ask deskctl to change (see `db::PresetUse`).

use tokio_postgres::Client;

/// The preset's SQL (`deskctl preset supabase --print`).
pub const SQL: &str = concat!(
    include_str!("supabase/header.sql"),
    include_str!("supabase/roles.sql"),
    include_str!("supabase/schemas.sql"),
    include_str!("supabase/auth.sql"),
    include_str!("supabase/storage.sql"),
    include_str!("supabase/vault.sql"),
    include_str!("supabase/realtime.sql"),
    include_str!("supabase/functions.sql"),
    include_str!("supabase/privileges.sql"),
);

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

/// Debian/Ubuntu packages (PGDG and Debian archives) that ship an extension, by extension name;
/// the package is `postgresql-<major>-<suffix>`. Extensions without a Debian package (pg_net,
/// pg_graphql, pgjwt, wrappers, supabase_vault, pgsodium, pg_jsonschema...) are not listed.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("vector", "pgvector"),
    ("http", "http"),
    ("pg_cron", "cron"),
    ("postgis", "postgis-3"),
    ("postgis_topology", "postgis-3"),
    ("postgis_raster", "postgis-3"),
    ("pgrouting", "pgrouting"),
    ("pgtap", "pgtap"),
    ("hypopg", "hypopg"),
    ("plpgsql_check", "plpgsql-check"),
    ("pg_repack", "repack"),
    ("rum", "rum"),
    ("pgaudit", "pgaudit"),
    ("pg_partman", "partman"),
    ("orafce", "orafce"),
    ("ip4r", "ip4r"),
    ("hll", "hll"),
    ("semver", "semver"),
    ("periods", "periods"),
    ("pg_hint_plan", "pg-hint-plan"),
    ("timescaledb", "timescaledb"),
    ("pgroonga", "pgroonga"),
    ("plv8", "plv8"),
    ("pljava", "pljava"),
    ("pg_squeeze", "squeeze"),
    ("wal2json", "wal2json"),
];

/// The extension a PostgreSQL "not available" error names: PG 15 says `could not open extension
/// control file ".../vector.control": No such file or directory`, PG 16+ says
/// `extension "vector" is not available`.
pub fn unavailable_extension(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("could not open extension control file \"") {
        let path = &rest[..rest.find('"')?];
        let file = path.rsplit('/').next()?;
        return file.strip_suffix(".control").map(str::to_string);
    }
    let rest = message.strip_prefix("extension \"")?;
    let (name, tail) = rest.split_once('"')?;
    tail.trim_start()
        .starts_with("is not available")
        .then(|| name.to_string())
}

/// What to tell the user about extension `name`, which this server (major version `major`) lacks.
pub fn missing_extension(name: &str, major: u32) -> String {
    let install = match DEBIAN_PACKAGES.iter().find(|(e, _)| *e == name) {
        Some((_, pkg)) => {
            format!("install it (Debian/Ubuntu: apt-get install postgresql-{major}-{pkg}), or ")
        }
        None => format!("it has no Debian package for PostgreSQL {major}; "),
    };
    format!(
        "this machine's PostgreSQL {major} lacks the extension \"{name}\" (Supabase ships it); \
{install}run against a server that has it with --database-url (e.g. `supabase start`'s database)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_extension_is_read_from_both_wordings() {
        assert_eq!(
            unavailable_extension(
                "could not open extension control file \"/usr/share/postgresql/15/extension/vector.control\": No such file or directory"
            )
            .as_deref(),
            Some("vector")
        );
        assert_eq!(
            unavailable_extension("extension \"pg_net\" is not available").as_deref(),
            Some("pg_net")
        );
        assert_eq!(unavailable_extension("relation \"x\" does not exist"), None);
    }

    #[test]
    fn missing_extension_names_the_package_or_says_there_is_none() {
        let v = missing_extension("vector", 15);
        assert!(v.contains("\"vector\""), "{v}");
        assert!(v.contains("postgresql-15-pgvector"), "{v}");
        assert!(v.contains("--database-url"), "{v}");
        let n = missing_extension("pg_net", 16);
        assert!(n.contains("no Debian package for PostgreSQL 16"), "{n}");
        assert!(!n.contains("apt-get"), "{n}");
    }

    #[test]
    fn the_preset_has_no_statement_that_cannot_run_in_a_transaction() {
        let statements = crate::sqltext::parse(SQL).expect("the preset parses");
        assert!(statements.len() > 100);
        for st in &statements {
            assert!(
                !matches!(
                    st.kind(),
                    crate::sqltext::Kind::TransactionControl(_)
                        | crate::sqltext::Kind::NoTransaction(_)
                ),
                "{}",
                st.text(SQL)
            );
        }
    }
}
