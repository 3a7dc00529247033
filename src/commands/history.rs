//! `deskctl history repair` / `rechecksum`: takes the migration lock (never under a running
//! migration), plans the history changes from the files (`migrate::repair::plan`), applies them
//! with a log row each and prints what changed. Thin: the plan and its SQL live in
//! `migrate::repair`.

use std::process::ExitCode;

use crate::config::{RepairOptions, RunConfig};
use crate::db::{self, PresetUse};
use crate::migrate::repair::{apply, log_table, plan};
use crate::migrate::{history, lock, source, MigrateError};

/// `deskctl history repair` / `rechecksum`.
pub async fn run(cfg: &RunConfig, o: RepairOptions) -> anyhow::Result<ExitCode> {
    let sources = source::load(&o.dir)?;
    let db = db::open(cfg, PresetUse::OnlyEphemeral).await?;
    let res = async {
        // Never under a running migration: the lock `migrate` holds, not waited for long.
        let l = lock::acquire(&db.client, &o.history, o.lock_timeout, |_| {}).await?;
        let res = async {
            let (table, _) = history::resolve(&db.client, &o.history).await?;
            let hist = history::read(&db.client, &table).await?;
            let (changes, unchanged) = plan(&o, &sources, &hist)?;
            if !changes.is_empty() {
                apply(&db.client, &table, &changes, o.note.as_deref()).await?;
            }
            Ok::<_, MigrateError>((changes, unchanged, table))
        }
        .await;
        l.release(&db.client).await;
        res
    }
    .await;
    db.close().await;
    let (changes, unchanged, table) = match res {
        Err(MigrateError::LockTimeout { holder, .. }) => {
            anyhow::bail!(MigrateError::History {
                table: o.history.to_string(),
                problem: format!(
                    "refusing to change it while a migration is running{} (the migration lock is held); try again when it ends",
                    holder.map(|p| format!(" (pid {p})")).unwrap_or_default()
                ),
            })
        }
        r => r?,
    };
    if o.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "command": "history",
                "history_table": table.to_string(),
                "log_table": log_table(&table),
                "changes": changes,
                "unchanged": unchanged,
            }))?
        );
    } else {
        for c in &changes {
            println!("{}", c.text);
        }
        for u in &unchanged {
            println!("{u}");
        }
        if !changes.is_empty() {
            println!(
                "recorded {} change(s) in {}",
                changes.len(),
                log_table(&o.history)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
