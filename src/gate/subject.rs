//! The gate against a registry subject: the local engine runs on the subject's versions at its
//! configured level, the registry answers its own check, and both verdicts are kept, with any
//! disagreement flagged. A subject that does not exist yet passes ("first version"); a registry
//! that cannot be reached is an error, never a pass.

use super::{GateError, Published, Request, Rule, check, read_metadata, schema_warnings};
use crate::catalog::{self, SchemaFile};
use crate::compat::{Level, Metadata, Policy, Verdict};
use crate::registry::model::{RegisterRequest, SubjectVersion, codes};
use crate::registry::{CompatScope, RegistryClient};
use crate::report::{Case, Report};
use serde::Serialize;
use std::path::Path;

/// How much of each registry message a report shows.
const MESSAGE_WIDTH: usize = 300;

/// A registry check whose local inputs are read and sound, ready to ask the registry.
#[derive(Debug)]
pub struct SubjectCheck {
    subject: String,
    proposal: SchemaFile,
    proposal_meta: Option<Metadata>,
    /// The level to check at locally: `--level`, else the contract's, else the registry's.
    level: Option<Level>,
    /// Whether that level came from `--level` (it names the reason in the report).
    level_from_flag: bool,
    policy: Option<Policy>,
    contract: Option<catalog::Contract>,
    published: Option<Published>,
    replay: Option<super::ReplayRequest>,
}

/// The outcome of checking a proposal against a registry subject.
#[derive(Debug, Serialize)]
pub struct SubjectOutcome {
    /// The proposal's file.
    pub proposal: String,
    /// The registry's URL.
    pub registry: String,
    /// The subject.
    pub subject: String,
    /// Whether the subject had no versions, so the proposal would be its first.
    pub first_version: bool,
    /// Whether the gate passes: both verdicts compatible and no published version changed.
    pub compatible: bool,
    /// Both verdicts, when the subject has versions.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub compared: Option<Compared>,
    /// With a base ref: the published versions and what changed among them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<Published>,
    /// The contract, when one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// What the schema parser warned about, and versions whose references were not followed.
    pub warnings: Vec<String>,
    /// With a replay: what it found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<super::Replayed>,
    #[serde(skip)]
    proposal_file: SchemaFile,
}

/// The local engine's verdict beside the registry's.
#[derive(Debug, Serialize)]
pub struct Compared {
    /// Whether both verdicts say the same.
    pub agree: bool,
    /// The level configured at the registry.
    pub registry_level: Level,
    /// `subject` or `global`: where that level is set.
    pub registry_level_source: &'static str,
    /// The subject's live version numbers.
    pub versions: Vec<i32>,
    /// The local engine's verdict.
    pub local: Verdict,
    /// The registry's verdict.
    pub remote: RemoteVerdict,
    /// The versions the local engine compared against.
    #[serde(skip)]
    compared: Vec<i32>,
    /// The policy the registry applies.
    #[serde(skip)]
    registry_policy: Policy,
    /// Why the local level differs from the registry's, when it does.
    #[serde(skip)]
    level_reason: Option<String>,
}

/// What the registry said about the proposal.
#[derive(Debug, Serialize)]
pub struct RemoteVerdict {
    /// Whether it found the proposal compatible.
    pub is_compatible: bool,
    /// Its reasons, verbatim.
    pub messages: Vec<String>,
    /// What it compared against.
    pub scope: RemoteScope,
}

/// What the registry's check covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RemoteScope {
    /// The subject's level, as registering would check.
    Level,
    /// The latest version only (the server lacks the all-versions check).
    Latest,
    /// It refused the proposal as a schema (42201).
    Invalid,
}

impl SubjectCheck {
    /// Reads the local inputs of `request`: the contract, the proposal, its metadata and the
    /// published versions. Everything that can be wrong locally is found before the network.
    pub fn prepare(root: &Path, request: &Request) -> Result<SubjectCheck, GateError> {
        if request.replay.is_some() && request.contract.is_none() {
            return Err(GateError::ReplayNeedsContract);
        }
        let contract = request
            .contract
            .as_deref()
            .map(|name| catalog::load_contract(root, name))
            .transpose()?;
        let subject = request
            .subject
            .clone()
            .or_else(|| contract.as_ref().map(|c| c.subject.clone()))
            .ok_or(GateError::NoSubject)?;
        let proposal = match (&request.proposal, &contract) {
            (Some(path), Some(c)) => c.read_proposal(path)?,
            (Some(path), None) => catalog::read_schema_file(path)?,
            (None, Some(c)) => c.history()?.pop().ok_or(GateError::EmptyHistory)?,
            (None, None) => return Err(GateError::NoRegistryProposal),
        };
        if request.against_metadata.is_some() {
            return Err(GateError::AgainstMetadataWithRegistry);
        }
        let proposal_meta = request.metadata.as_deref().map(read_metadata).transpose()?;
        let published = match (&request.base, &contract) {
            (Some(base), Some(c)) => Some(Published::check(c, base)?),
            _ => None,
        };
        Ok(SubjectCheck {
            subject,
            proposal,
            proposal_meta,
            // The contract's level is its promise; without one, compare like with like.
            level: request.level.or(contract.as_ref().map(|c| c.level)),
            level_from_flag: request.level.is_some(),
            policy: request.policy.or(contract.as_ref().map(|c| c.policy)),
            contract,
            published,
            replay: request.replay.clone(),
        })
    }

    /// Asks the registry and runs the local engine on its versions.
    pub async fn run(self, client: &RegistryClient) -> Result<SubjectOutcome, GateError> {
        let found = gather(client, &self.subject, &self.proposal, self.level).await?;
        let subject = &self.subject;
        let mut warnings: Vec<String> = schema_warnings(&self.proposal).collect();
        let compared = match found {
            None => None,
            Some(remote) => {
                let local_level = self.level.unwrap_or(remote.level);
                let policy = self.policy.unwrap_or(remote.policy);
                let (local, more) = local_verdict(
                    subject,
                    &remote,
                    &self.proposal,
                    self.proposal_meta.as_ref(),
                    local_level,
                    policy,
                )?;
                warnings.extend(more);
                let level_reason = (local_level != remote.level).then(|| {
                    if self.level_from_flag {
                        "--level".to_string()
                    } else {
                        format!(
                            "contract {}; `schemactl register --contract {0}` sets it on the subject",
                            self.contract.as_ref().map_or("", |c| c.name.as_str())
                        )
                    }
                });
                Some(Compared {
                    agree: local.compatible == remote.verdict.is_compatible,
                    registry_level: remote.level,
                    registry_level_source: remote.level_source,
                    versions: remote.numbers,
                    compared: remote.versions.iter().map(|v| v.version).collect(),
                    local,
                    remote: remote.verdict,
                    registry_policy: remote.policy,
                    level_reason,
                })
            }
        };
        let compatible = compared
            .as_ref()
            .is_none_or(|c| c.local.compatible && c.remote.is_compatible)
            && self.published.as_ref().is_none_or(Published::unchanged);
        let replay = match (&self.replay, &self.contract) {
            (Some(request), Some(contract)) => Some(
                super::replay::against_subject(
                    client,
                    subject,
                    compared.as_ref().map(|c| c.versions.as_slice()),
                    contract,
                    &self.proposal,
                    request,
                    compared
                        .as_ref()
                        .is_some_and(|c| c.local.compatible && c.remote.is_compatible),
                )
                .await?,
            ),
            _ => None,
        };
        Ok(SubjectOutcome {
            proposal: self.proposal.path.display().to_string(),
            registry: client.url().to_string(),
            subject: self.subject,
            first_version: compared.is_none(),
            compatible,
            compared,
            published: self.published,
            contract: self.contract.map(|c| c.name),
            warnings,
            replay,
            proposal_file: self.proposal,
        })
    }
}

impl Compared {
    /// Why the verdicts differ, as a `help:` line; `None` when they agree.
    pub fn disagreement(&self) -> Option<String> {
        if self.agree {
            return None;
        }
        let (local_level, registry_level) = (self.local.level, self.registry_level);
        Some(if local_level != registry_level {
            format!(
                "the two checked at different levels ({local_level} here, {registry_level} there); align them with the contract or `schemactl config set-level`"
            )
        } else if self.remote.scope == RemoteScope::Latest && local_level.is_transitive() {
            "the registry compared against the latest version only".to_string()
        } else if self.local.policy != self.registry_policy {
            format!(
                "the two used different policies ({} here, {} there)",
                self.local.policy.name(),
                self.registry_policy.name()
            )
        } else {
            "the engines read this change differently; please report it with both schemas".into()
        })
    }
}

impl SubjectOutcome {
    /// The proposal as read and parsed.
    pub fn proposal_file(&self) -> &SchemaFile {
        &self.proposal_file
    }

    /// The report: both verdicts as checks, then the replay's check (when one ran), then the
    /// published versions.
    pub fn report(&self) -> Report {
        let subject = &self.subject;
        let name = &self.proposal;
        let mut header = Vec::new();
        let mut cases = Vec::new();
        match &self.compared {
            None => {
                header.push(format!(
                    "subject \"{subject}\" does not exist at {} yet: {name} will be its first version",
                    self.registry
                ));
                cases.push(Case::new(
                    format!("{name} as the first version of \"{subject}\""),
                    vec![Rule::FirstVersion.item(
                        name.clone(),
                        format!(
                            "subject \"{subject}\" has no versions yet; there is nothing to be compatible with"
                        ),
                        None,
                    )],
                ));
            }
            Some(c) => {
                let numbers: Vec<String> = c.versions.iter().map(i32::to_string).collect();
                header.push(format!(
                    "registry {}, subject \"{subject}\": versions {}; level {} ({})",
                    self.registry,
                    numbers.join(", "),
                    c.registry_level,
                    if c.registry_level_source == "subject" {
                        "set on the subject"
                    } else {
                        "the global default"
                    }
                ));
                if let Some(why) = &c.level_reason {
                    header.push(format!(
                        "note: the local engine checks at {} ({why}), the registry at {}",
                        c.local.level, c.registry_level
                    ));
                }
                let compared: Vec<String> = c.compared.iter().map(|v| format!("v{v}")).collect();
                cases.push(Case::new(
                    format!(
                        "local engine: {name} against {} at {} ({})",
                        compared.join(", "),
                        c.local.level,
                        c.local.policy.name()
                    ),
                    super::verdict_items(&c.local, &self.proposal_file),
                ));
                cases.push(self.registry_case(c));
            }
        }
        cases.extend(self.replay.as_ref().map(|r| r.case.clone()));
        cases.extend(self.published.as_ref().map(Published::case));
        Report {
            command: "check-compat",
            header,
            cases,
        }
    }

    fn registry_case(&self, c: &Compared) -> Case {
        let (subject, name) = (&self.subject, &self.proposal);
        let remote = &c.remote;
        let mut items = Vec::new();
        let scope = match remote.scope {
            RemoteScope::Level => format!(
                "\"{subject}\" at {}, as registering would",
                c.registry_level
            ),
            RemoteScope::Latest => format!(
                "the latest version of \"{subject}\" (the server lacks the all-versions check)"
            ),
            RemoteScope::Invalid => format!("\"{subject}\": it refused the schema itself"),
        };
        if remote.scope == RemoteScope::Invalid {
            items.push(Rule::RegistryInvalidSchema.item(
                name.clone(),
                remote.messages.first().cloned().unwrap_or_default(),
                Some("the registry would refuse to register this schema at all".into()),
            ));
        } else if !remote.is_compatible {
            // The registry's own words, shown and never parsed: one finding, as the messages
            // mix reasons with context (the old schema, the level).
            let message = if remote.messages.is_empty() {
                "the registry found the schema incompatible and gave no reasons".into()
            } else {
                let shown: Vec<String> = remote
                    .messages
                    .iter()
                    .map(|m| crate::registry::shorten(m, MESSAGE_WIDTH))
                    .collect();
                format!(
                    "the registry found the schema incompatible:\n      {}",
                    shown.join("\n      ")
                )
            };
            items.push(Rule::RegistryIncompatible.item(name.clone(), message, None));
        }
        if let Some(help) = c.disagreement() {
            let say = |ok: bool| if ok { "compatible" } else { "incompatible" };
            items.push(Rule::VerdictsDisagree.item(
                name.clone(),
                format!(
                    "the local engine says {}, the registry says {}",
                    say(c.local.compatible),
                    say(remote.is_compatible)
                ),
                Some(help),
            ));
        }
        Case::new(format!("registry: {name} against {scope}"), items)
    }
}

/// Everything read from the registry.
struct Remote {
    level: Level,
    /// The policy the registry applies (strict where it reports none).
    policy: Policy,
    /// `subject` or `global`: where the level comes from.
    level_source: &'static str,
    /// The live version numbers.
    numbers: Vec<i32>,
    /// The versions the local engine compares against, oldest first.
    versions: Vec<SubjectVersion>,
    /// The schemas each version's references name, resolved through the registry.
    resolved: Vec<crate::compat::ResolvedReferences>,
    verdict: RemoteVerdict,
}

/// Reads the subject and asks the registry's verdict; `None` when the subject does not exist.
async fn gather(
    client: &RegistryClient,
    subject: &str,
    proposal: &SchemaFile,
    level_override: Option<Level>,
) -> Result<Option<Remote>, GateError> {
    let settings = client.subject_settings(subject).await?;
    let level = settings.level();
    let numbers = match client.versions(subject).await {
        Ok(n) if n.is_empty() => return Ok(None),
        Ok(n) => n,
        Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let wanted: Vec<i32> = if level_override.unwrap_or(level).is_transitive() {
        numbers.clone()
    } else {
        numbers.last().copied().into_iter().collect()
    };
    let versions = client.versions_of(subject, &wanted).await?;
    let mut resolved = Vec::with_capacity(versions.len());
    for v in &versions {
        resolved.push(
            crate::validate::resolver::resolve_references(client, &v.references)
                .await
                .map_err(|error| GateError::RegistryReferences {
                    subject: subject.to_string(),
                    version: v.version,
                    error,
                })?,
        );
    }
    // The proposal's references name contract versions: the registry numbers them its way.
    let mut references = Vec::with_capacity(proposal.references.len());
    for r in &proposal.references {
        let lookup = RegisterRequest {
            schema_type: Some("JSON".into()),
            schema: r.text.clone(),
            ..RegisterRequest::default()
        };
        let found = client
            .lookup(&r.subject, &lookup, false)
            .await?
            .ok_or_else(|| GateError::ReferenceNotRegistered {
                name: r.name.clone(),
                version: r.version,
                contract: r.contract.clone(),
                subject: r.subject.clone(),
            })?;
        references.push(crate::registry::model::SchemaReference {
            name: r.name.clone(),
            subject: r.subject.clone(),
            version: found.version,
        });
    }
    let request = RegisterRequest {
        schema_type: Some("JSON".into()),
        schema: proposal.text.clone(),
        references,
        ..RegisterRequest::default()
    };
    let verdict = match client.check_compatibility(subject, &request).await {
        Ok(check) => RemoteVerdict {
            is_compatible: check.response.is_compatible,
            messages: check.response.messages,
            scope: match check.scope {
                CompatScope::Level => RemoteScope::Level,
                CompatScope::Latest => RemoteScope::Latest,
            },
        },
        // Deleted between the two calls: nothing left to be compatible with.
        Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => return Ok(None),
        Err(e) if e.is_code(&[codes::INVALID_SCHEMA]) => RemoteVerdict {
            is_compatible: false,
            messages: vec![e.message().unwrap_or_default().to_string()],
            scope: RemoteScope::Invalid,
        },
        Err(e) => return Err(e.into()),
    };
    Ok(Some(Remote {
        level,
        policy: settings.policy(),
        level_source: settings.level_source().name(),
        numbers,
        versions,
        resolved,
        verdict,
    }))
}

/// Runs the local engine on the registry's versions, each with its own metadata; returns the
/// verdict and the warnings about those versions.
fn local_verdict(
    subject: &str,
    remote: &Remote,
    proposal: &SchemaFile,
    proposal_meta: Option<&Metadata>,
    level: Level,
    policy: Policy,
) -> Result<(Verdict, Vec<String>), GateError> {
    let mut files = Vec::new();
    let mut metas = Vec::new();
    for (v, references) in remote.versions.iter().zip(&remote.resolved) {
        if v.schema_type.as_deref() != Some("JSON") {
            return Err(GateError::NotJsonSchema {
                subject: subject.to_string(),
                version: v.version,
                kind: v.schema_type.as_deref().unwrap_or("AVRO").to_string(),
            });
        }
        let origin = format!("registry subject \"{subject}\" version {}", v.version);
        let number = u32::try_from(v.version).unwrap_or(0);
        files.push(catalog::parse_schema_text_with(
            Path::new(&origin),
            v.schema.clone(),
            number,
            references.clone(),
        )?);
        metas.push(
            v.metadata
                .as_ref()
                .map(Metadata::from_json)
                .transpose()
                .map_err(|e| GateError::RegistryMetadata {
                    origin,
                    message: e.to_string(),
                })?,
        );
    }
    let verdict = check(
        proposal,
        proposal_meta,
        &files,
        |i| metas[i].as_ref(),
        level,
        policy,
    );
    let warnings = files.iter().flat_map(schema_warnings).collect();
    Ok((verdict, warnings))
}

impl crate::report::Render for SubjectOutcome {
    fn report(&self) -> Report {
        SubjectOutcome::report(self)
    }
}
