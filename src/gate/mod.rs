//! The CI gate behind `schemactl check-compat`: a proposed schema checked against local files,
//! a contract's history or a registry subject, with published versions held immutable. Each
//! check returns a typed outcome; its JSON form is the `--format json` document and its
//! [`Report`] every other format, so the two cannot drift apart.
//! - [`check_files`]: against `--against` files or a contract's history.
//! - [`SubjectCheck`]: against a registry subject, with the registry's own verdict beside the
//!   local engine's.
//! - [`rules`]: the gate's own finding ids.
//! - [`replay`]: with a [`ReplayRequest`], both checks also replay real payloads against
//!   today's newest version and the proposal.

mod error;
pub mod published;
pub mod replay;
pub mod rules;
mod subject;

pub use error::GateError;
pub use published::Published;
pub use replay::ReplayRequest;
pub use rules::Rule;
pub use subject::{SubjectCheck, SubjectOutcome};

use crate::catalog::{self, Contract, SchemaFile};
use crate::compat::{self, Finding, Level, Metadata, Policy, Verdict, Version};
use crate::report::{Case, Item, Report, Severity};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What to check, as the command line says it.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The proposed schema; with a contract it defaults to the newest version in the history.
    pub proposal: Option<PathBuf>,
    /// Earlier versions to check against, oldest first.
    pub against: Vec<PathBuf>,
    /// A contract whose history, level and policy to check against.
    pub contract: Option<String>,
    /// The level (default: the contract's, else the registry's, else BACKWARD).
    pub level: Option<Level>,
    /// The policy (default: the contract's, else the registry's, else strict).
    pub policy: Option<Policy>,
    /// Metadata of the proposal.
    pub metadata: Option<PathBuf>,
    /// Metadata of the files checked against.
    pub against_metadata: Option<PathBuf>,
    /// A git ref at which the published versions must be unchanged.
    pub base: Option<String>,
    /// The registry subject (default with a contract: the contract's).
    pub subject: Option<String>,
    /// Payloads to replay (needs a contract).
    pub replay: Option<ReplayRequest>,
}

/// The outcome of checking a proposal against files.
#[derive(Debug, Serialize)]
pub struct FilesOutcome {
    /// Whether the gate passes: the proposal is compatible and no published version changed.
    pub compatible: bool,
    /// The level checked.
    pub level: Level,
    /// The policy used.
    pub policy: Policy,
    /// Every change found, breaking or not.
    pub changes: Vec<Finding>,
    /// The proposal's file.
    pub proposal: String,
    /// The files checked against, oldest first.
    pub against: Vec<String>,
    /// What the schema parser warned about, per file.
    pub warnings: Vec<String>,
    /// With a base ref: the published versions and what changed among them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<Published>,
    /// With a contract: its name and subject.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub contract: Option<ContractName>,
    /// With a replay: what it found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replayed>,
    #[serde(skip)]
    verdict: Verdict,
    #[serde(skip)]
    files: Files,
}

/// What a replay (`check-compat --replay`) found, as an outcome carries it: the `replay` object
/// of the JSON document, and its check in the report.
#[derive(Debug, Serialize)]
pub struct Replayed {
    /// The counts in total, per producer, and the first refused payloads.
    #[serde(flatten)]
    pub result: crate::replay::Replay,
    /// The most payloads the proposal may refuse that are accepted today.
    pub max_rejected: u64,
    /// Whether the proposal refuses no more than `max_rejected`.
    pub passed: bool,
    /// The sentences of the text report.
    pub summary: Vec<String>,
    /// Today's newest version (its file, or the registry version).
    pub today: String,
    /// Each file replayed.
    pub files: Vec<ReplayedFile>,
    /// What the readers warned about.
    pub warnings: Vec<String>,
    /// How many rules judged each side.
    pub rules: ReplayRules,
    /// Producers with a payload the proposal refuses.
    pub producers_affected: usize,
    /// The replay's check in the report.
    #[serde(skip)]
    pub case: Case,
}

/// One file a replay read.
#[derive(Debug, Serialize)]
pub struct ReplayedFile {
    /// The file as named.
    pub file: String,
    /// `capture` or `json-lines`.
    pub kind: &'static str,
    /// Payloads replayed from it.
    pub payloads: u64,
}

/// The data-contract rules each side of a replay was judged by.
#[derive(Debug, Serialize)]
pub struct ReplayRules {
    /// Rules of today's newest version.
    pub today: usize,
    /// Rules of the proposal.
    pub proposal: usize,
    /// Where today's rules come from.
    pub today_from: String,
}

/// A contract, as an outcome names it.
#[derive(Clone, Debug, Serialize)]
pub struct ContractName {
    /// The contract's name.
    pub contract: String,
    /// Its registry subject.
    pub subject: String,
}

/// What an outcome was computed from, kept for rendering and the replay.
#[derive(Debug)]
struct Files {
    proposal: SchemaFile,
    history: Vec<SchemaFile>,
    contract: Option<Contract>,
}

/// Checks the proposal against `--against` files or the contract's history under `root`, and
/// replays payloads against today's newest version and the proposal when asked to.
pub fn check_files(root: &Path, request: &Request) -> Result<FilesOutcome, GateError> {
    if request.replay.is_some() && request.contract.is_none() {
        return Err(GateError::ReplayNeedsContract);
    }
    let proposal_meta = request.metadata.as_deref().map(read_metadata).transpose()?;
    let against_meta = request
        .against_metadata
        .as_deref()
        .map(read_metadata)
        .transpose()?;
    let mut published = None;
    let (proposal, history, level, policy, contract) = if let Some(name) = &request.contract {
        let contract = catalog::load_contract(root, name)?;
        let mut history = contract.history()?;
        let proposal = match &request.proposal {
            Some(path) => contract.read_proposal(path)?,
            None => history.pop().ok_or(GateError::EmptyHistory)?,
        };
        if let Some(base) = &request.base {
            published = Some(Published::check(&contract, base)?);
        }
        let level = request.level.unwrap_or(contract.level);
        let policy = request.policy.unwrap_or(contract.policy);
        (proposal, history, level, policy, Some(contract))
    } else {
        let path = request.proposal.as_ref().ok_or(GateError::NoProposal)?;
        if request.against.is_empty() {
            return Err(GateError::NothingToCheckAgainst(path.clone()));
        }
        let proposal = catalog::read_schema_file(path)?;
        let history = request
            .against
            .iter()
            .map(|p| catalog::read_schema_file(p))
            .collect::<Result<Vec<_>, _>>()?;
        (
            proposal,
            history,
            request.level.unwrap_or(Level::Backward),
            request.policy.unwrap_or(Policy::Strict),
            None,
        )
    };
    let verdict = check(
        &proposal,
        proposal_meta.as_ref(),
        &history,
        |_| against_meta.as_ref(),
        level,
        policy,
    );
    let warnings = std::iter::once(&proposal)
        .chain(&history)
        .flat_map(schema_warnings)
        .collect();
    let mut outcome = FilesOutcome {
        compatible: verdict.compatible && published.as_ref().is_none_or(Published::unchanged),
        level: verdict.level,
        policy: verdict.policy,
        changes: verdict.findings.clone(),
        proposal: proposal.path.display().to_string(),
        against: history
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
        warnings,
        published,
        contract: contract.as_ref().map(|c| ContractName {
            contract: c.name.clone(),
            subject: c.subject.clone(),
        }),
        replay: None,
        verdict,
        files: Files {
            proposal,
            history,
            contract,
        },
    };
    if let Some(replay) = &request.replay {
        let (contract, today, proposal) = outcome.replay_inputs()?;
        outcome.replay = Some(replay::against_files(
            contract,
            today,
            proposal,
            request.proposal.is_some(),
            replay,
            outcome.compatible,
        )?);
    }
    Ok(outcome)
}

impl FilesOutcome {
    /// What a replay compares: the contract, today's newest version and the proposal.
    fn replay_inputs(&self) -> Result<(&Contract, &SchemaFile, &SchemaFile), GateError> {
        let contract = self
            .files
            .contract
            .as_ref()
            .ok_or(GateError::ReplayNeedsContract)?;
        let today = self
            .files
            .history
            .last()
            .ok_or(GateError::NothingToReplayAgainst)?;
        Ok((contract, today, &self.files.proposal))
    }

    /// The report: the verdict, the published versions, then the replay's check (when one
    /// ran).
    pub fn report(&self) -> Report {
        let proposal = &self.files.proposal;
        let history = &self.files.history;
        let against: Vec<String> = history.iter().map(label).collect();
        let scope = if self.level.is_transitive() {
            against.join(", ")
        } else {
            against.last().cloned().unwrap_or_default()
        };
        let name = if history.is_empty() {
            format!("{}: first version, nothing to check against", self.proposal)
        } else {
            format!(
                "{} against {scope} at {} ({})",
                self.proposal,
                self.level,
                self.policy.name()
            )
        };
        let mut cases = vec![Case::new(name, verdict_items(&self.verdict, proposal))];
        cases.extend(self.published.as_ref().map(Published::case));
        cases.extend(self.replay.as_ref().map(|r| r.case.clone()));
        Report::new("check-compat", cases)
    }
}

impl crate::report::Render for FilesOutcome {
    fn report(&self) -> Report {
        FilesOutcome::report(self)
    }
}

/// How a report names a schema file: `vN` for a history version, else its path.
pub fn label(file: &SchemaFile) -> String {
    if file.version > 0 {
        format!("v{}", file.version)
    } else {
        file.path.display().to_string()
    }
}

/// Checks `proposal` against `history` and returns the verdict; `history_meta(i)` is the
/// metadata of `history[i]`.
pub fn check<'m>(
    proposal: &SchemaFile,
    proposal_meta: Option<&Metadata>,
    history: &[SchemaFile],
    history_meta: impl Fn(usize) -> Option<&'m Metadata>,
    level: Level,
    policy: Policy,
) -> Verdict {
    let labels: Vec<String> = history.iter().map(label).collect();
    let versions: Vec<Version<'_>> = history
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (f, l))| Version {
            label: l,
            schema: &f.schema,
            metadata: history_meta(i),
        })
        .collect();
    let proposal_label = label(proposal);
    let new = Version {
        label: &proposal_label,
        schema: &proposal.schema,
        metadata: proposal_meta,
    };
    compat::check(&new, &versions, level, policy)
}

/// Turns a verdict into report items located in `file`, at the keyword each finding is about.
pub fn verdict_items(verdict: &Verdict, file: &SchemaFile) -> Vec<Item> {
    verdict
        .findings
        .iter()
        .map(|f| {
            // Compatible for the registry yet still failing old payloads: a warning with why.
            let caveat =
                crate::compat::explain::caveat(f.change.kind, f.direction).filter(|_| f.compatible);
            Item {
                rule: f.change.kind.name().to_string(),
                severity: match (f.compatible, caveat) {
                    (false, _) => Severity::Error,
                    (true, Some(_)) => Severity::Warning,
                    (true, None) => Severity::Note,
                },
                file: Some(file.path.display().to_string()),
                pointer: Some(f.change.path.clone()),
                at: crate::report::location::locate(&file.text, &f.change.path),
                message: format!(
                    "{} (against {}, {})",
                    f.message,
                    f.against,
                    f.direction.name()
                ),
                help: if f.compatible {
                    caveat.map(str::to_string)
                } else {
                    Some(f.help.to_string())
                },
            }
        })
        .collect()
}

/// The schema parser's warnings about `file`, each prefixed with its path.
fn schema_warnings(file: &SchemaFile) -> impl Iterator<Item = String> + '_ {
    file.schema
        .warnings
        .iter()
        .map(move |w| format!("{}: {w}", file.path.display()))
}

fn read_metadata(path: &Path) -> Result<Metadata, GateError> {
    let text = std::fs::read_to_string(path).map_err(|reason| GateError::MetadataUnreadable {
        path: path.to_path_buf(),
        reason,
    })?;
    let message = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(value) => match Metadata::from_json(&value) {
            Ok(metadata) => return Ok(metadata),
            Err(e) => e.to_string(),
        },
        Err(e) => format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    };
    Err(GateError::Metadata {
        path: path.to_path_buf(),
        message,
    })
}
