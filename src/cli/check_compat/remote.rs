//! `check-compat` against a registry subject: the local engine runs on the subject's versions at
//! its configured level, the registry answers its own check, and both verdicts are shown, with
//! any disagreement flagged. A subject that does not exist yet passes ("first version"); a
//! registry that cannot be reached never passes (exit 3).

use super::{Args, check_files, immutability, read_metadata, verdict_items};
use crate::catalog::{self, SchemaFile};
use crate::cli::registry::{Session, failure, shorten};
use crate::cli::{Classify, Cli, Outcome, Output};
use crate::compat::{Level, Metadata, Policy, Verdict};
use crate::registry::model::{RegisterRequest, SubjectVersion, codes};
use crate::registry::{CompatScope, RegistryClient, RegistryError};
use crate::report::{Case, Item, Report, Severity};
use anyhow::anyhow;
use serde_json::json;
use std::path::Path;

/// How much of each registry message a report shows.
const MESSAGE_WIDTH: usize = 300;

/// What the registry said about the proposal.
enum RegistryVerdict {
    /// The compatibility endpoint answered.
    Checked {
        compatible: bool,
        messages: Vec<String>,
        scope: CompatScope,
    },
    /// The registry refused the schema itself (42201).
    Invalid(String),
}

impl RegistryVerdict {
    fn compatible(&self) -> bool {
        matches!(
            self,
            RegistryVerdict::Checked {
                compatible: true,
                ..
            }
        )
    }
}

/// Everything read from the registry.
struct Subject {
    level: Level,
    /// The policy the registry applies (strict where it reports none).
    policy: Policy,
    /// `subject` or `global`: where the level comes from.
    level_source: &'static str,
    /// The live version numbers.
    numbers: Vec<i32>,
    /// The versions the local engine compares against, oldest first.
    versions: Vec<SubjectVersion>,
    verdict: RegistryVerdict,
}

/// Reads the subject and asks the registry's verdict; `None` when the subject does not exist.
async fn gather(
    client: &RegistryClient,
    subject: &str,
    proposal: &str,
    level_override: Option<Level>,
) -> Result<Option<Subject>, RegistryError> {
    let settings = client.subject_settings(subject).await?;
    let level = settings.level();
    let level_source = settings.level_source();
    let policy = settings.policy();
    let numbers = match client.versions(subject).await {
        Ok(n) if n.is_empty() => return Ok(None),
        Ok(n) => n,
        Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => return Ok(None),
        Err(e) => return Err(e),
    };
    let wanted: Vec<i32> = if level_override.unwrap_or(level).is_transitive() {
        numbers.clone()
    } else {
        numbers.last().copied().into_iter().collect()
    };
    let versions = client.versions_of(subject, &wanted).await?;
    let request = RegisterRequest {
        schema_type: Some("JSON".into()),
        schema: proposal.to_string(),
        ..RegisterRequest::default()
    };
    let verdict = match client.check_compatibility(subject, &request).await {
        Ok(check) => RegistryVerdict::Checked {
            compatible: check.response.is_compatible,
            messages: check.response.messages,
            scope: check.scope,
        },
        // Deleted between the two calls: nothing left to be compatible with.
        Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => return Ok(None),
        Err(e) if e.is_code(&[codes::INVALID_SCHEMA]) => {
            RegistryVerdict::Invalid(e.message().unwrap_or_default().to_string())
        }
        Err(e) => return Err(e),
    };
    Ok(Some(Subject {
        level,
        policy,
        level_source,
        numbers,
        versions,
        verdict,
    }))
}

/// Runs the local engine on the registry's versions, each with its own metadata.
fn local_verdict(
    subject: &str,
    remote: &Subject,
    proposal: &SchemaFile,
    proposal_meta: Option<&Metadata>,
    level: Level,
    policy: Policy,
) -> Result<(Verdict, Vec<String>), anyhow::Error> {
    let mut files = Vec::new();
    let mut metas = Vec::new();
    for v in &remote.versions {
        if v.schema_type.as_deref() != Some("JSON") {
            return Err(anyhow!(
                "subject \"{subject}\" version {} is a {} schema; schemactl checks JSON Schema only",
                v.version,
                v.schema_type.as_deref().unwrap_or("AVRO")
            ));
        }
        let origin = format!("registry subject \"{subject}\" version {}", v.version);
        let number = u32::try_from(v.version).unwrap_or(0);
        files.push(catalog::parse_schema_text(
            Path::new(&origin),
            v.schema.clone(),
            number,
        )?);
        metas.push(
            v.metadata
                .as_ref()
                .map(Metadata::from_json)
                .transpose()
                .map_err(|e| anyhow!("{origin}: metadata: {e}"))?,
        );
    }
    let verdict = check_files(
        proposal,
        proposal_meta,
        &files,
        |i| metas[i].as_ref(),
        level,
        policy,
    );
    let warnings = remote
        .versions
        .iter()
        .filter(|v| !v.references.is_empty())
        .map(|v| {
            format!(
                "version {} of \"{subject}\" references other subjects; the local engine does not follow them",
                v.version
            )
        })
        .chain(files.iter().flat_map(|f| {
            f.schema
                .warnings
                .iter()
                .map(move |w| format!("{}: {w}", f.path.display()))
        }))
        .collect();
    Ok((verdict, warnings))
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let contract = args
        .contract
        .as_deref()
        .map(|name| catalog::load_contract(&cli.root, name))
        .transpose()
        .input()?;
    let subject = args
        .subject
        .clone()
        .or_else(|| contract.as_ref().map(|c| c.subject.clone()))
        .ok_or_else(|| {
            anyhow!("name the registry subject with --subject SUBJECT, or use --contract NAME")
        })
        .input()?;
    let proposal = match (&args.proposal, &contract) {
        (Some(path), _) => catalog::read_schema_file(path).input()?,
        (None, Some(c)) => catalog::load_history(&c.schemas)
            .input()?
            .pop()
            .ok_or_else(|| anyhow!("empty history"))
            .input()?,
        (None, None) => {
            return Err(anyhow!(
                "name the proposed schema: schemactl check-compat NEW.json --registry URL --subject SUBJECT"
            ))
            .input();
        }
    };
    if args.against_metadata.is_some() {
        return Err(anyhow!(
            "--against-metadata is for files; registry versions carry their own metadata"
        ))
        .input();
    }
    let proposal_meta = args
        .metadata
        .as_deref()
        .map(read_metadata)
        .transpose()
        .input()?;
    let policy_override = args.policy.or(contract.as_ref().map(|c| c.policy));
    // The contract's level is its promise; without one, compare like with like.
    let level_override = args.level.or(contract.as_ref().map(|c| c.level));
    let (published_items, published_json) = match (&args.base, &contract) {
        (Some(base), Some(c)) => {
            let (items, json) = immutability(c, base).input()?;
            (Some(items), Some(json))
        }
        _ => (None, None),
    };

    let url = args.registry.clone().flatten();
    let session = Session::open(cli, url.as_deref(), args.timeout)?;
    let client = &session.client;
    let found = session
        .run(gather(client, &subject, &proposal.text, level_override))
        .map_err(failure)?;

    let proposal_name = proposal.path.display().to_string();
    let mut warnings: Vec<String> = proposal
        .schema
        .warnings
        .iter()
        .map(|w| format!("{proposal_name}: {w}"))
        .collect();
    let mut header = Vec::new();
    let mut cases = Vec::new();
    let mut doc = json!({
        "proposal": proposal_name,
        "registry": client.url(),
        "subject": subject,
    });

    match &found {
        None => {
            header.push(format!(
                "subject \"{subject}\" does not exist at {} yet: {proposal_name} will be its first version",
                client.url()
            ));
            cases.push(Case {
                name: format!("{proposal_name} as the first version of \"{subject}\""),
                items: vec![Item {
                    rule: "FIRST_VERSION".into(),
                    severity: Severity::Note,
                    file: Some(proposal_name.clone()),
                    pointer: None,
                    at: None,
                    message: format!(
                        "subject \"{subject}\" has no versions yet; there is nothing to be compatible with"
                    ),
                    help: None,
                }],
                skipped: None,
            });
            doc["first_version"] = json!(true);
            doc["compatible"] = json!(true);
        }
        Some(remote) => {
            let local_level = level_override.unwrap_or(remote.level);
            let policy = policy_override.unwrap_or(remote.policy);
            let (verdict, more) = local_verdict(
                &subject,
                remote,
                &proposal,
                proposal_meta.as_ref(),
                local_level,
                policy,
            )
            .input()?;
            warnings.extend(more);
            let numbers = remote
                .numbers
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            header.push(format!(
                "registry {}, subject \"{subject}\": versions {numbers}; level {} ({})",
                client.url(),
                remote.level,
                if remote.level_source == "subject" {
                    "set on the subject"
                } else {
                    "the global default"
                }
            ));
            if local_level != remote.level {
                let why = if args.level.is_some() {
                    "--level".to_string()
                } else {
                    format!(
                        "contract {}; `schemactl register --contract {0}` sets it on the subject",
                        args.contract.as_deref().unwrap_or_default()
                    )
                };
                header.push(format!(
                    "note: the local engine checks at {local_level} ({why}), the registry at {}",
                    remote.level
                ));
            }
            let compared: Vec<String> = remote
                .versions
                .iter()
                .map(|v| format!("v{}", v.version))
                .collect();
            cases.push(Case {
                name: format!(
                    "local engine: {proposal_name} against {} at {local_level} ({})",
                    compared.join(", "),
                    policy.name()
                ),
                items: verdict_items(&verdict, &proposal),
                skipped: None,
            });

            let registry_ok = remote.verdict.compatible();
            let mut items = Vec::new();
            let (scope_text, scope_json, messages) = match &remote.verdict {
                RegistryVerdict::Checked {
                    compatible,
                    messages,
                    scope,
                } => {
                    let error = |message: String| Item {
                        rule: "REGISTRY_INCOMPATIBLE".into(),
                        severity: Severity::Error,
                        file: Some(proposal_name.clone()),
                        pointer: None,
                        at: None,
                        message,
                        help: None,
                    };
                    if !compatible {
                        // The registry's own words, shown and never parsed: one finding, as
                        // the messages mix reasons with context (the old schema, the level).
                        items.push(error(if messages.is_empty() {
                            "the registry found the schema incompatible and gave no reasons".into()
                        } else {
                            let shown: Vec<String> =
                                messages.iter().map(|m| shorten(m, MESSAGE_WIDTH)).collect();
                            format!(
                                "the registry found the schema incompatible:\n      {}",
                                shown.join("\n      ")
                            )
                        }));
                    }
                    match scope {
                        CompatScope::Level => (
                            format!("\"{subject}\" at {}, as registering would", remote.level),
                            "level",
                            messages.clone(),
                        ),
                        CompatScope::Latest => (
                            format!(
                                "the latest version of \"{subject}\" (the server lacks the all-versions check)"
                            ),
                            "latest",
                            messages.clone(),
                        ),
                    }
                }
                RegistryVerdict::Invalid(message) => {
                    items.push(Item {
                        rule: "REGISTRY_INVALID_SCHEMA".into(),
                        severity: Severity::Error,
                        file: Some(proposal_name.clone()),
                        pointer: None,
                        at: None,
                        message: message.clone(),
                        help: Some(
                            "the registry would refuse to register this schema at all".into(),
                        ),
                    });
                    (
                        format!("\"{subject}\": it refused the schema itself"),
                        "invalid",
                        vec![message.clone()],
                    )
                }
            };
            if verdict.compatible != registry_ok {
                let help = if local_level != remote.level {
                    format!(
                        "the two checked at different levels ({local_level} here, {} there); align them with the contract or `schemactl config set-level`",
                        remote.level
                    )
                } else if scope_json == "latest" && local_level.is_transitive() {
                    "the registry compared against the latest version only".to_string()
                } else if policy != remote.policy {
                    format!(
                        "the two used different policies ({} here, {} there)",
                        policy.name(),
                        remote.policy.name()
                    )
                } else {
                    "the engines read this change differently; please report it with both schemas"
                        .into()
                };
                let say = |ok: bool| if ok { "compatible" } else { "incompatible" };
                items.push(Item {
                    rule: "VERDICTS_DISAGREE".into(),
                    severity: Severity::Warning,
                    file: Some(proposal_name.clone()),
                    pointer: None,
                    at: None,
                    message: format!(
                        "the local engine says {}, the registry says {}",
                        say(verdict.compatible),
                        say(registry_ok)
                    ),
                    help: Some(help),
                });
            }
            cases.push(Case {
                name: format!("registry: {proposal_name} against {scope_text}"),
                items,
                skipped: None,
            });
            doc["first_version"] = json!(false);
            doc["compatible"] = json!(verdict.compatible && registry_ok);
            doc["agree"] = json!(verdict.compatible == registry_ok);
            doc["registry_level"] = json!(remote.level);
            doc["registry_level_source"] = json!(remote.level_source);
            doc["versions"] = json!(remote.numbers);
            doc["local"] = serde_json::to_value(&verdict).unwrap_or_default();
            doc["remote"] = json!({
                "is_compatible": registry_ok,
                "messages": messages,
                "scope": scope_json,
            });
        }
    }
    if let (Some(items), Some(json)) = (published_items, published_json) {
        if !items.is_empty() {
            doc["compatible"] = json!(false);
        }
        cases.push(Case {
            name: format!(
                "published versions unchanged since {}",
                args.base.as_deref().unwrap_or_default()
            ),
            items,
            skipped: None,
        });
        doc["published"] = json;
    }
    if let Some(c) = &contract {
        doc["contract"] = json!(c.name);
    }
    for w in &warnings {
        crate::report::shell::warn(w);
    }
    doc["warnings"] = json!(warnings);
    let report = Report {
        command: "check-compat",
        header,
        cases,
        json: doc,
    };
    crate::cli::finish(&report, args.format.format, out)
}
