//! `check-compat --replay`: the proposal and today's newest version against real payloads.

use super::super::{Classify, Failure};
use crate::capture::{Kind, Reader};
use crate::catalog::{Contract, SchemaFile};
use crate::replay::{Replay, Replayer, UNKNOWN_PRODUCER, thousands};
use crate::report::{Case, Item, LineCol, Severity};
use crate::validate::PayloadValidator;
use anyhow::anyhow;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Refused payloads shown in detail.
const EXAMPLES: usize = 5;
/// Producers named one by one in the text report.
const PRODUCERS_SHOWN: usize = 10;

/// Replays `files` against `today` and `proposal`; returns the report case, the JSON `replay`
/// object and the warnings (also printed to stderr).
pub(crate) fn run(
    contract: &Contract,
    today: &SchemaFile,
    proposal: &SchemaFile,
    files: &[PathBuf],
    max_rejected: u64,
    compatible: bool,
) -> Result<(Case, Value), Failure> {
    let compile = |f: &SchemaFile| {
        PayloadValidator::new(&f.schema)
            .map_err(|e| anyhow!("{}: {e}", f.path.display()))
            .input()
    };
    let (today_v, proposal_v) = (compile(today)?, compile(proposal)?);
    let pointer = contract.identity.pointer.as_deref();
    let mut replayer = Replayer::new(&today_v, &proposal_v, EXAMPLES);
    let mut warnings = Vec::new();
    let mut files_json = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let file = std::fs::File::open(path)
            .map_err(|e| anyhow!("cannot read replay file {name}: {e}"))
            .input()?;
        let mut reader = Reader::new(file, &name, pointer)
            .map_err(anyhow::Error::msg)
            .input()?;
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
        while let Some(entry) = reader.next_entry().map_err(anyhow::Error::msg).input()? {
            replayer.replay(&name, &entry);
        }
        warnings.extend(reader.take_warnings());
        files_json
            .push(json!({"file": name, "kind": kind, "payloads": replayer.payloads() - before}));
    }
    if replayer.payloads() == 0 {
        warnings.push(
            "no payload was replayed: the replay files are empty, so they are no evidence either way"
                .into(),
        );
    }
    for w in &warnings {
        crate::report::shell::warn(w);
    }
    let result = replayer.finish();
    let case = case(&result, today, proposal, files, max_rejected, compatible);
    let mut doc = serde_json::to_value(&result).unwrap_or_default();
    if let Value::Object(map) = &mut doc {
        map.insert("max_rejected".into(), json!(max_rejected));
        map.insert(
            "passed".into(),
            json!(result.total.rejected <= max_rejected),
        );
        map.insert("summary".into(), json!(result.sentences()));
        map.insert("today".into(), json!(today.path.display().to_string()));
        map.insert("files".into(), json!(files_json));
        map.insert("warnings".into(), json!(warnings));
        map.insert(
            "producers_affected".into(),
            json!(
                result
                    .by_producer
                    .values()
                    .filter(|c| c.rejected > 0)
                    .count()
            ),
        );
    }
    Ok((case, doc))
}

fn case(
    result: &Replay,
    today: &SchemaFile,
    proposal: &SchemaFile,
    files: &[PathBuf],
    max_rejected: u64,
    compatible: bool,
) -> Case {
    let t = &result.total;
    let over = t.rejected > max_rejected;
    let mut items = Vec::new();
    let sentences = result.sentences();
    let affected = sentences.len();
    for sentence in &sentences {
        if items.len() >= PRODUCERS_SHOWN {
            break;
        }
        items.push(Item {
            rule: "REPLAY_REJECTED".into(),
            severity: if over {
                Severity::Error
            } else {
                Severity::Warning
            },
            file: None,
            pointer: None,
            at: None,
            message: sentence.clone(),
            help: None,
        });
    }
    if affected > PRODUCERS_SHOWN {
        items.push(Item {
            rule: "REPLAY_REJECTED".into(),
            severity: Severity::Note,
            file: None,
            pointer: None,
            at: None,
            message: format!(
                "and {} more producer(s) (--format json lists them all)",
                affected - PRODUCERS_SHOWN
            ),
            help: None,
        });
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
        items.push(Item {
            rule: "REPLAY_NEWLY_ACCEPTED".into(),
            severity: Severity::Note,
            file: None,
            pointer: None,
            at: None,
            message: format!(
                "the proposal accepts {} replayed payload(s) that {} refuses",
                thousands(t.newly_accepted),
                label(today)
            ),
            help: None,
        });
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

fn label(file: &SchemaFile) -> String {
    super::label(file)
}
