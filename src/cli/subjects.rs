//! `schemactl subjects`: flags → [`crate::registry::browse::subjects`] → text or JSON → exit
//! code.

use super::registry::{Session, SessionArgs, TextOrJson, paint, print_json, say, styles};
use super::{Cli, Outcome, Output};
use crate::Exit;
use crate::registry::browse;

/// Arguments of `subjects`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only subjects whose name starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    #[command(flatten)]
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let session = Session::from_args(cli, &args.registry)?;
    let listing = session.run(browse::subjects(&session.client, args.prefix.as_deref()))?;
    let global = listing.global_level;
    let rows = &listing.subjects;
    match args.format {
        TextOrJson::Json => print_json(&listing)?,
        TextOrJson::Text => {
            if rows.is_empty() {
                say!("no subjects at {}; global level {global}", listing.registry);
                return Ok(Exit::Pass);
            }
            let levels: Vec<String> = rows
                .iter()
                .map(|r| {
                    if r.is_global() {
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
                listing.registry
            );
        }
    }
    Ok(Exit::Pass)
}
