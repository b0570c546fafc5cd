//! `schemactl subjects`: the registry's subjects with their versions, ids and levels.

use super::registry::{RegistryArgs, Session, TextOrJson, failure, paint, print_json, say, styles};
use super::{Cli, Outcome, Output};
use crate::Exit;
use crate::compat::Level;
use crate::registry::{RegistryClient, RegistryError};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use serde_json::json;

/// How many subjects are read at once (each reads its versions a few at a time).
const SUBJECTS_AT_ONCE: usize = 4;

/// Arguments of `subjects`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only subjects whose name starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

#[derive(Debug, Serialize)]
struct VersionId {
    version: i32,
    id: i32,
}

#[derive(Debug, Serialize)]
struct SubjectRow {
    subject: String,
    level: Level,
    /// `subject` when the subject has its own level, `global` when it falls back.
    level_source: &'static str,
    versions: Vec<VersionId>,
}

async fn row(
    client: &RegistryClient,
    subject: String,
    global: Level,
) -> Result<SubjectRow, RegistryError> {
    let own = client.subject_level(&subject).await?;
    let numbers = client.versions(&subject).await?;
    let versions = client
        .versions_of(&subject, &numbers)
        .await?
        .into_iter()
        .map(|v| VersionId {
            version: v.version,
            id: v.id,
        })
        .collect();
    Ok(SubjectRow {
        level: own.unwrap_or(global),
        level_source: if own.is_some() { "subject" } else { "global" },
        subject,
        versions,
    })
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let session = Session::from_args(cli, &args.registry)?;
    let client = &session.client;
    let (global, rows) = session
        .run(async {
            let global = client.global_level().await?;
            let mut subjects = client.subjects().await?;
            if let Some(prefix) = &args.prefix {
                subjects.retain(|s| s.starts_with(prefix.as_str()));
            }
            subjects.sort();
            let rows: Vec<SubjectRow> = stream::iter(subjects)
                .map(|s| row(client, s, global))
                .buffered(SUBJECTS_AT_ONCE)
                .try_collect()
                .await?;
            Ok((global, rows))
        })
        .map_err(failure)?;
    match args.format {
        TextOrJson::Json => print_json(&json!({
            "registry": client.url(),
            "global_level": global,
            "subjects": rows,
        }))?,
        TextOrJson::Text => {
            if rows.is_empty() {
                say!("no subjects at {}; global level {global}", client.url());
                return Ok(Exit::Pass);
            }
            let levels: Vec<String> = rows
                .iter()
                .map(|r| {
                    if r.level_source == "global" {
                        format!("{} (global)", r.level)
                    } else {
                        r.level.to_string()
                    }
                })
                .collect();
            // Subjects may hold any character; pad by characters, not bytes.
            let width = rows
                .iter()
                .map(|r| r.subject.chars().count())
                .max()
                .unwrap_or(0)
                .max(7);
            let level_width = levels.iter().map(String::len).max().unwrap_or(0).max(5);
            let heading = format!(
                "{:<width$}  {:<level_width$}  VERSIONS (version:id)",
                "SUBJECT", "LEVEL"
            );
            say!("{}", paint(out, styles::BOLD, &heading));
            for (r, level) in rows.iter().zip(&levels) {
                let versions = r
                    .versions
                    .iter()
                    .map(|v| format!("{}:{}", v.version, v.id))
                    .collect::<Vec<_>>()
                    .join("  ");
                let pad = " ".repeat(width - r.subject.chars().count());
                say!("{}{pad}  {level:<level_width$}  {versions}", r.subject);
            }
            say!(
                "{} subject{} at {}; global level {global}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                client.url()
            );
        }
    }
    Ok(Exit::Pass)
}
