//! `schemactl show`: one registered schema, pretty-printed, with its id and references.

use super::registry::{
    RegistryArgs, Session, TextOrJson, missing, paint, pretty, print_json, say, styles, subject_at,
};
use super::{Cli, Outcome, Output};
use crate::Exit;
use crate::registry::model::VersionRef;
use serde_json::{Value, json};

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  schemactl show emergency_generator-value\n  schemactl show emergency_generator-value@2 --format json"
)]
pub struct Args {
    /// SUBJECT, or SUBJECT@VERSION with a version number or `latest` (the default).
    #[arg(value_name = "SUBJECT[@VERSION]")]
    pub subject: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let (subject, version) = subject_at(&args.subject);
    let session = Session::from_args(cli, &args.registry)?;
    let client = &session.client;
    let wanted = version.unwrap_or(VersionRef::Latest);
    let found = session
        .run(client.version_with_rules(&subject, wanted))
        .map_err(|e| missing(e, client, &subject))?;
    let schema_type = found.schema_type.as_deref().unwrap_or("AVRO");
    match args.format {
        TextOrJson::Json => {
            let schema = serde_json::from_str::<Value>(&found.schema)
                .unwrap_or_else(|_| Value::String(found.schema.clone()));
            print_json(&json!({
                "registry": client.url(),
                "subject": found.subject,
                "version": found.version,
                "id": found.id,
                "schemaType": schema_type,
                "references": found.references,
                "metadata": found.metadata,
                "ruleSet": found.rule_set,
                "schema": schema,
            }))?;
        }
        TextOrJson::Text => {
            let key = |k: &str| paint(out, styles::BOLD, &format!("{k:<11}"));
            say!("{}{}", key("subject"), found.subject);
            let latest = if wanted == VersionRef::Latest {
                " (latest)"
            } else {
                ""
            };
            say!("{}{}{latest}", key("version"), found.version);
            say!("{}{}", key("id"), found.id);
            say!("{}{schema_type}", key("type"));
            if found.references.is_empty() {
                say!("{}none", key("references"));
            }
            for (i, r) in found.references.iter().enumerate() {
                let k = if i == 0 { "references" } else { "" };
                say!("{}{} → {}@{}", key(k), r.name, r.subject, r.version);
            }
            for (i, line) in rule_lines(found.rule_set.as_ref()).iter().enumerate() {
                let k = if i == 0 { "rules" } else { "" };
                say!("{}{line}", key(k));
            }
            say!("{}", pretty(&found.schema));
        }
    }
    Ok(Exit::Pass)
}

/// One line per rule of a registered rule set: name, type, mode, expression, and whether
/// schemactl evaluates it. Rules are kept as the registry holds them, whatever their type.
fn rule_lines(rule_set: Option<&Value>) -> Vec<String> {
    let Some(set) = rule_set else {
        return Vec::new();
    };
    ["domainRules", "migrationRules", "encodingRules"]
        .iter()
        .flat_map(|k| set.get(*k).and_then(Value::as_array).into_iter().flatten())
        .map(|r| {
            let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
            let evaluated = serde_json::from_value::<crate::catalog::Rule>(r.clone())
                .is_ok_and(|rule| rule.is_evaluated());
            format!(
                "{} ({} {}): {}{}",
                text("name"),
                text("type"),
                text("mode"),
                text("expr"),
                if evaluated {
                    ""
                } else {
                    " [not evaluated by schemactl]"
                }
            )
        })
        .collect()
}
