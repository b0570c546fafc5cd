//! `check-compat --replay`: the proposal and today's newest version against real payloads.
//! Today is the newest version before the proposal (files), or the registry subject's newest
//! version with the rules and metadata it carries there.

use super::{GateError, ReplayRules, Replayed, ReplayedFile, label};
use crate::capture::{Entry, Kind, Reader};
use crate::catalog::{self, Contract, Metadata, Rule, SchemaFile};
use crate::registry::RegistryClient;
use crate::registry::model::VersionRef;
use crate::replay::{Judge, Replay, Replayer, UNKNOWN_PRODUCER, thousands};
use crate::report::{Case, Item, LineCol, Severity};
use crate::validate::PayloadValidator;
use crate::validate::rules::RuleEngine;
use std::path::{Path, PathBuf};

/// Refused payloads shown in detail.
const EXAMPLES: usize = 5;
/// Producers named one by one in the text report.
const PRODUCERS_SHOWN: usize = 10;

/// What to replay: the files, and how many payloads the proposal may refuse.
#[derive(Clone, Debug, Default)]
pub struct ReplayRequest {
    /// Captures or plain JSON-lines files.
    pub files: Vec<PathBuf>,
    /// The most payloads the proposal may refuse that are accepted today.
    pub max_rejected: u64,
}

/// The rules of today's newest version: the contract's own (files), or those the registry's
/// newest version carries.
struct TodayRules<'a> {
    rules: &'a [Rule],
    metadata: Option<&'a Metadata>,
    /// Where they come from, for messages.
    origin: String,
}

/// The replay of a check against files: today is the history's newest version before the
/// proposal. When the proposal was named, today's rules are the contract's; when the proposal
/// is the history's newest itself, today's are the rule set today's version was registered
/// with (its vN.rules.json, or none).
pub(super) fn against_files(
    contract: &Contract,
    today: &SchemaFile,
    proposal: &SchemaFile,
    proposal_named: bool,
    request: &ReplayRequest,
    compatible: bool,
) -> Result<Replayed, GateError> {
    if proposal_named {
        let rules = TodayRules {
            rules: &contract.rules,
            metadata: contract.metadata.as_ref(),
            origin: contract.file.display().to_string(),
        };
        return run(contract, today, rules, proposal, request, compatible);
    }
    let set = catalog::rule_history::rule_sets(contract, proposal.version)?
        .into_iter()
        .find(|r| r.version == today.version)
        .unwrap_or_default();
    let (rules, metadata) = (set.rules(), set.typed_metadata());
    let today_rules = TodayRules {
        rules: &rules,
        metadata: metadata.as_ref(),
        origin: set.source.map_or_else(
            || format!("v{} (no rule set)", today.version),
            |p| p.display().to_string(),
        ),
    };
    run(contract, today, today_rules, proposal, request, compatible)
}

/// The replay of a check against a registry subject whose live versions are `versions`: today
/// is the subject's newest version, with the rules and metadata it carries there (which the
/// versions read for the verdict leave out).
pub(super) async fn against_subject(
    client: &RegistryClient,
    subject: &str,
    versions: Option<&[i32]>,
    contract: &Contract,
    proposal: &SchemaFile,
    request: &ReplayRequest,
    compatible: bool,
) -> Result<Replayed, GateError> {
    let Some(versions) = versions else {
        return Err(GateError::NoVersionToReplayAgainst {
            subject: subject.to_string(),
            registry: client.url().to_string(),
        });
    };
    let number = versions
        .last()
        .copied()
        .ok_or_else(|| GateError::NoVersionReturned {
            subject: subject.to_string(),
        })?;
    let newest = client
        .version_with_rules(subject, VersionRef::Number(number))
        .await?;
    let origin = format!("registry subject \"{subject}\" version {}", newest.version);
    let today = catalog::parse_schema_text(
        Path::new(&origin),
        newest.schema.clone(),
        u32::try_from(newest.version).unwrap_or(0),
    )?;
    let rules: Vec<Rule> = match &newest.rule_set {
        Some(set) => {
            serde_json::from_value::<catalog::RuleSet>(set.clone())
                .map_err(|e| GateError::RegistryRuleSet {
                    origin: origin.clone(),
                    message: e.to_string(),
                })?
                .domain_rules
        }
        None => Vec::new(),
    };
    let metadata: Option<Metadata> =
        match &newest.metadata {
            Some(m) => Some(serde_json::from_value(m.clone()).map_err(|e| {
                GateError::RegistryMetadata {
                    origin: origin.clone(),
                    message: e.to_string(),
                }
            })?),
            None => None,
        };
    let today_rules = TodayRules {
        rules: &rules,
        metadata: metadata.as_ref(),
        origin,
    };
    run(contract, &today, today_rules, proposal, request, compatible)
}

/// Replays the request's files against `today` and `proposal`; returns what the replay found
/// (the JSON `replay` object, its warnings, and the report's check). The proposal is judged by
/// the contract's rules, today's version by `today_rules`.
fn run(
    contract: &Contract,
    today: &SchemaFile,
    today_rules: TodayRules<'_>,
    proposal: &SchemaFile,
    request: &ReplayRequest,
    compatible: bool,
) -> Result<Replayed, GateError> {
    let (files, max_rejected) = (&request.files, request.max_rejected);
    let compile = |f: &SchemaFile| {
        PayloadValidator::new(&f.schema).map_err(|e| GateError::ReplaySchema {
            path: f.path.clone(),
            message: e.to_string(),
        })
    };
    let (today_v, proposal_v) = (compile(today)?, compile(proposal)?);
    let engine = |rules: &[Rule], metadata: Option<&Metadata>, f: &SchemaFile, origin: &str| {
        RuleEngine::new(rules, f.schema.document(), metadata).map_err(|(name, e)| {
            GateError::ReplayRule {
                origin: origin.to_string(),
                rule: name.to_string(),
                message: e.to_string(),
            }
        })
    };
    let proposal_rules = engine(
        &contract.rules,
        contract.metadata.as_ref(),
        proposal,
        &contract.file.display().to_string(),
    )?;
    // The same rules, none of them reading fields the schema declares: one engine serves both
    // versions, and each payload's rules run once.
    let shared = today_rules.rules == contract.rules.as_slice()
        && today_rules.metadata == contract.metadata.as_ref()
        && !contract.rules.iter().any(|r| r.rule_type == "CEL_FIELD");
    let today_engine = if shared {
        None
    } else {
        Some(engine(
            today_rules.rules,
            today_rules.metadata,
            today,
            &today_rules.origin,
        )?)
    };
    let today_judge = Judge::with_rules(&today_v, today_engine.as_ref().unwrap_or(&proposal_rules));
    let proposal_judge = Judge::with_rules(&proposal_v, &proposal_rules);
    let rules = ReplayRules {
        today: today_judge.rules.map_or(0, RuleEngine::len),
        proposal: proposal_judge.rules.map_or(0, RuleEngine::len),
        today_from: today_rules.origin,
    };
    let pointer = contract.identity.pointer.as_deref();
    // Plain lines' producers are found by the replayer, as today's version checks each one.
    let mut replayer =
        Replayer::judging(today_judge, proposal_judge, EXAMPLES).with_identity(pointer);
    let mut warnings = Vec::new();
    let mut files_read = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|reason| GateError::ReplayFile {
            path: path.clone(),
            reason,
        })?;
        let mut reader = Reader::new(file, &name, pointer)
            .map_err(|e| GateError::ReplayInput(e.to_string()))?
            .plain_producers(false);
        let kind = match reader.kind() {
            Kind::Capture(h) => {
                if h.contract != contract.name {
                    warnings.push(format!(
                        "{name}: this capture was taken for contract \"{}\", and is replayed against contract \"{}\"",
                        h.contract, contract.name
                    ));
                }
                "capture"
            }
            Kind::Lines => {
                if pointer.is_none() {
                    warnings.push(format!(
                        "{name}: plain JSON lines, and contract \"{}\" has no [identity] pointer: producers are unknown, all payloads are counted as {UNKNOWN_PRODUCER}",
                        contract.name
                    ));
                }
                "json-lines"
            }
        };
        let before = replayer.payloads();
        let mut entry = Entry {
            line: 0,
            producer: None,
            payload: Vec::new(),
        };
        while reader
            .read_into(&mut entry)
            .map_err(|e| GateError::ReplayInput(e.to_string()))?
        {
            replayer.replay(&name, &entry);
        }
        warnings.extend(reader.take_warnings());
        files_read.push(ReplayedFile {
            file: name,
            kind,
            payloads: replayer.payloads() - before,
        });
    }
    if replayer.payloads() == 0 {
        warnings.push(
            "no payload was replayed: the replay files are empty, so they are no evidence either way"
                .into(),
        );
    }
    let result = replayer.finish();
    let rule_counts = (
        today_judge.rules.map_or(0, RuleEngine::len),
        proposal_judge.rules.map_or(0, RuleEngine::len),
    );
    let case = case(
        &result,
        today,
        proposal,
        files,
        max_rejected,
        compatible,
        rule_counts,
    );
    Ok(Replayed {
        max_rejected,
        passed: result.total.rejected <= max_rejected,
        summary: result.sentences(),
        today: today.path.display().to_string(),
        files: files_read,
        warnings,
        rules,
        producers_affected: result
            .by_producer
            .values()
            .filter(|c| c.rejected > 0)
            .count(),
        result,
        case,
    })
}

fn case(
    result: &Replay,
    today: &SchemaFile,
    proposal: &SchemaFile,
    files: &[PathBuf],
    max_rejected: u64,
    compatible: bool,
    (today_rules, proposal_rules): (usize, usize),
) -> Case {
    let t = &result.total;
    let over = t.rejected > max_rejected;
    let mut items = Vec::new();
    if today_rules + proposal_rules > 0 {
        let message = format!(
            "each payload is judged by the schema, then by the data-contract rules ({today_rules} for {}, {proposal_rules} for the proposal): a payload a rule refuses counts as refused",
            label(today)
        );
        items.push(Item::new("REPLAY_RULES", Severity::Note, message));
    }
    let sentences = result.sentences();
    let affected = sentences.len();
    for sentence in sentences.iter().take(PRODUCERS_SHOWN) {
        items.push(Item::new(
            "REPLAY_REJECTED",
            if over {
                Severity::Error
            } else {
                Severity::Warning
            },
            sentence.clone(),
        ));
    }
    if affected > PRODUCERS_SHOWN {
        items.push(Item::new(
            "REPLAY_REJECTED",
            Severity::Note,
            format!(
                "and {} more producer(s) (--format json lists them all)",
                affected - PRODUCERS_SHOWN
            ),
        ));
    }
    for e in &result.examples {
        // `e.at` is `file:line`: the file for the annotation, the line for its place in it.
        let (file, at) = match e.at.rsplit_once(':') {
            Some((file, line)) => match line.parse() {
                Ok(line) => (file, Some(LineCol { line, column: 1 })),
                Err(_) => (e.at.as_str(), None),
            },
            None => (e.at.as_str(), None),
        };
        items.push(Item {
            rule: "REPLAY_EXAMPLE".into(),
            severity: Severity::Note,
            file: Some(file.to_string()),
            pointer: e.pointer.clone().filter(|p| !p.is_empty()),
            at,
            message: format!(
                "{} at {} ({}): {}",
                e.producer,
                e.at,
                e.keyword.as_deref().unwrap_or("refused"),
                e.reason()
            ),
            help: None,
        });
    }
    let total = if t.rejected > 0 {
        format!(
            "in total the proposal refuses {} of {} replayed payloads ({:.1}%) that {} accepts, from {affected} producer(s); --max-rejected is {max_rejected}",
            thousands(t.rejected),
            thousands(t.payloads),
            100.0 * t.rejected as f64 / t.payloads.max(1) as f64,
            label(today),
        )
    } else if compatible {
        format!(
            "the proposal refuses none of the {} replayed payloads that {} accepts",
            thousands(t.payloads),
            label(today)
        )
    } else {
        format!(
            "the evidence shows no producer affected: the proposal refuses none of the {} replayed payloads that {} accepts; the gate still fails on the incompatible change above, so decide whether to accept it",
            thousands(t.payloads),
            label(today)
        )
    };
    items.push(Item {
        rule: "REPLAY_TOTAL".into(),
        severity: if over {
            Severity::Error
        } else {
            Severity::Note
        },
        file: None,
        pointer: None,
        at: None,
        message: total,
        help: over.then(|| {
            "keep the old bound or type for the readings producers send, or raise --max-rejected if refusing them is intended".into()
        }),
    });
    if t.newly_accepted > 0 {
        items.push(Item::new(
            "REPLAY_NEWLY_ACCEPTED",
            Severity::Note,
            format!(
                "the proposal accepts {} replayed payload(s) that {} refuses",
                thousands(t.newly_accepted),
                label(today)
            ),
        ));
    }
    Case {
        name: format!(
            "replay of {} payload(s) from {} against {} and {}",
            thousands(t.payloads),
            files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            proposal.path.display(),
            label(today),
        ),
        items,
        skipped: None,
    }
}
