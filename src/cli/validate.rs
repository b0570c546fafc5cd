//! `schemactl validate`: the audit's payload checks, offline, over JSON lines (fixtures,
//! captured traffic). One payload per line; blank lines are skipped.

use super::{Classify, Cli, FormatArg, Outcome, Output};
use crate::Exit;
use crate::capture::{Kind, Reader};
use crate::catalog::{self, Catalog, Contract, NewestSchema};
use crate::replay::UNKNOWN_PRODUCER;
use crate::report::location::locate;
use crate::report::{Case, Item, LineCol, Report, Severity, render};
use crate::validate::rules::RuleEngine;
use crate::validate::{DEFAULT_MAX_PAYLOAD, PayloadValidator, Violation, ViolationKind};
use anyhow::Context;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Each line of each file is one payload, checked as the audit checks a live message: size, UTF-8, \
JSON, then the contract's newest schema, then the contract's data-contract rules ([[rules]]: \
CEL conditions, RULE_VIOLATION) on each payload that passed the schema.

Examples:
  schemactl validate captured.jsonl --contract generator
  mosquitto_sub -t emergency_generator | schemactl validate - --format json")]
pub struct Args {
    /// JSON-lines files; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The contract whose newest schema payloads must satisfy (default: the only contract).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Payloads larger than this many bytes are OVERSIZE.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_PAYLOAD)]
    pub max_payload: usize,
    /// Report at most this many violations in detail (all are counted).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_findings: usize,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The contract's rules, compiled against its newest schema (`schema_text`).
pub(crate) fn contract_rules(
    contract: &Contract,
    schema_text: &str,
) -> Result<RuleEngine, super::Failure> {
    let doc: serde_json::Value = serde_json::from_str(schema_text)
        .context("newest schema is not JSON")
        .input()?;
    engine_for(contract, &doc).input()
}

/// The contract's rules compiled for the schema document `doc`.
pub(crate) fn engine_for(
    contract: &Contract,
    doc: &serde_json::Value,
) -> Result<RuleEngine, catalog::CatalogError> {
    RuleEngine::new(&contract.rules, doc, contract.metadata.as_ref()).map_err(|(name, e)| {
        catalog::CatalogError::Contract {
            path: contract.file.clone(),
            message: format!("rule \"{name}\": {e}"),
        }
    })
}

/// The violations of one payload: the schema's, or (when it passed) the rules'.
pub(crate) fn payload_violations(
    validator: &PayloadValidator,
    rules: &RuleEngine,
    payload: &[u8],
) -> Vec<Violation> {
    if validator.is_valid(payload) {
        if rules.passes(payload) {
            return Vec::new();
        }
        return match serde_json::from_slice::<serde_json::Value>(payload) {
            Ok(record) => rules
                .check(&record)
                .into_iter()
                .map(Violation::rule)
                .collect(),
            Err(_) => Vec::new(),
        };
    }
    validator.check(payload)
}

#[derive(Default)]
struct Tally {
    payloads: u64,
    invalid: u64,
    by_kind: BTreeMap<ViolationKind, u64>,
    by_rule: BTreeMap<String, u64>,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let contract = Catalog::at(&cli.root)
        .contract(args.contract.as_deref())
        .input()?;
    let NewestSchema {
        version,
        text: schema_text,
        validator,
    } = contract.newest(args.max_payload).input()?;
    let rules = contract_rules(&contract, &schema_text)?;
    // Schema and rules in one pass over each payload where they can be; the full checks
    // otherwise, and to say what is wrong.
    let one_pass = rules.one_pass(&validator);
    let inputs: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let mut cases = Vec::new();
    let mut files_json = Vec::new();
    let mut details = Vec::new();
    let mut total = Tally::default();
    for path in &inputs {
        let name = path.display().to_string();
        let reader: Box<dyn Read> = if name == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(
                std::fs::File::open(path)
                    .with_context(|| format!("cannot read {name}"))
                    .input()?,
            )
        };
        // Captures (their first line is a header) and plain JSON lines alike.
        let mut reader = Reader::new(reader, &name, contract.identity.pointer.as_deref())
            .map_err(anyhow::Error::msg)
            .input()?;
        let capture = matches!(reader.kind(), Kind::Capture(_));
        if !capture {
            reader = reader.plain_producers(false);
        }
        let mut producers: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut tally = Tally::default();
        let mut items = Vec::new();
        while let Some(entry) = reader.next_entry().map_err(anyhow::Error::msg).input()? {
            let (number, payload) = (entry.line, entry.payload.as_slice());
            let producer = entry.producer.as_deref();
            let violations = if one_pass.certify(payload) {
                Vec::new()
            } else {
                payload_violations(&validator, &rules, payload)
            };
            if capture {
                let row = producers
                    .entry(producer.unwrap_or(UNKNOWN_PRODUCER).to_string())
                    .or_default();
                row.0 += 1;
                row.1 += u64::from(violations.iter().any(Violation::fails));
            }
            tally.payloads += 1;
            if violations.is_empty() {
                continue;
            }
            if violations.iter().any(Violation::fails) {
                tally.invalid += 1;
            }
            for v in &violations {
                *tally.by_kind.entry(v.kind).or_default() += 1;
                if let Some(r) = &v.rule {
                    *tally.by_rule.entry(r.rule.clone()).or_default() += 1;
                }
            }
            for v in violations {
                if details.len() >= args.max_findings {
                    break;
                }
                details.push(json!({
                    "file": name, "line": number, "kind": v.kind, "pointer": v.pointer,
                    "keyword": v.keyword, "message": v.message, "rule": v.rule,
                    "producer": producer,
                }));
                items.push(Item {
                    rule: v.kind.name().to_string(),
                    severity: if v.fails() {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    file: Some(name.clone()),
                    at: Some(payload_position(payload, number, v.pointer.as_deref())),
                    pointer: v.pointer.clone().filter(|p| !p.is_empty()),
                    message: match (&v.pointer, &v.keyword) {
                        _ if v.rule.is_some() => v.message,
                        (Some(p), Some(k)) => format!("at \"{p}\" ({k}): {}", v.message),
                        _ => v.message,
                    } + &producer.map(|p| format!(" (from {p})")).unwrap_or_default(),
                    help: Some(help(v.kind).into()),
                });
            }
        }
        for w in reader.take_warnings() {
            crate::report::shell::warn(w);
        }
        let shown = items.len() as u64;
        let counted: u64 = tally.by_kind.values().sum();
        if counted > shown {
            items.push(Item {
                rule: "MORE_VIOLATIONS".into(),
                severity: Severity::Warning,
                file: Some(name.clone()),
                pointer: None,
                at: None,
                message: format!(
                    "{} more violation(s) not shown (raise --max-findings to see them)",
                    counted - shown
                ),
                help: None,
            });
        }
        cases.push(Case {
            name: format!(
                "{name}: {} payload(s), {} invalid against {} v{version}",
                tally.payloads, tally.invalid, contract.name
            ),
            items,
            skipped: None,
        });
        let mut file_json = json!({
            "file": name, "payloads": tally.payloads, "invalid": tally.invalid,
            "violations": tally.by_kind, "violations_by_rule": tally.by_rule,
        });
        if capture {
            file_json["producers"] = json!(
                producers
                    .iter()
                    .map(|(p, (n, bad))| (p.clone(), json!({"payloads": n, "invalid": bad})))
                    .collect::<serde_json::Map<_, _>>()
            );
        }
        files_json.push(file_json);
        total.payloads += tally.payloads;
        total.invalid += tally.invalid;
        for (k, n) in tally.by_kind {
            *total.by_kind.entry(k).or_default() += n;
        }
        for (k, n) in tally.by_rule {
            *total.by_rule.entry(k).or_default() += n;
        }
    }
    let passed = total.invalid == 0;
    let report = Report {
        command: "validate",
        header: vec![],
        cases,
        json: json!({
            "passed": passed,
            "contract": contract.name,
            "schema_version": version,
            "payloads": total.payloads,
            "invalid": total.invalid,
            "violations_by_kind": total.by_kind,
            "violations_by_rule": total.by_rule,
            "rules_evaluated": rules.len(),
            "rules_not_evaluated": rules.not_evaluated(),
            "files": files_json,
            "violations": details,
        }),
    };
    render(&report, args.format.format, out.color, &mut out.stdout()).input()?;
    Ok(if passed { Exit::Pass } else { Exit::Findings })
}

/// What to do about a violation kind.
pub(crate) fn help(kind: ViolationKind) -> &'static str {
    match kind {
        ViolationKind::NOT_UTF8 => "the producer sends binary data; find it by its topic or key",
        ViolationKind::NOT_JSON => {
            "the producer does not send JSON, or a bridge cut the payload short"
        }
        ViolationKind::SCHEMA_VIOLATION => {
            "fix the producer, or evolve the schema if this is what producers really send"
        }
        ViolationKind::MISSING_WIRE_HEADER => {
            "produce with Confluent's JSONSerializer (or prefix 0x00 and the schema id)"
        }
        ViolationKind::UNKNOWN_SCHEMA_ID => {
            "the producer uses a schema id this registry never issued: check its registry URL"
        }
        ViolationKind::WRONG_SUBJECT => {
            "the producer serialises with another subject's schema: check its subject name strategy"
        }
        ViolationKind::IDENTITY_MISMATCH => {
            "the payload names another producer than its topic or key: check the producer's id"
        }
        ViolationKind::KEY_NOT_UUID => {
            "the contract says each Kafka key is a random UUID (str(uuid4())); this producer keys its records otherwise: fix the producer, or say the key's kind in the contract's [kafka] key"
        }
        ViolationKind::OVERSIZE => "raise --max-payload if this size is expected",
        ViolationKind::UNRESOLVED => {
            "the registry could not be asked about this schema id: check that it is reachable"
        }
        ViolationKind::UNGOVERNED_SCHEMA => {
            "add this schema to the contract's history (schemas/…) through review, or stop the producer auto-registering (auto.register.schemas=false)"
        }
        ViolationKind::NO_TRAFFIC => {
            "check the topic names and that the producers run; pass --allow-empty for a deliberately quiet window"
        }
        ViolationKind::RULE_VIOLATION => {
            "the payload keeps the schema but breaks a data-contract rule: fix the producer, or the rule if it is wrong"
        }
    }
}

/// Where a violation is in a JSON-lines file: the payload's line, and the column of the value
/// `pointer` names in it (the payload's first character when that cannot be found).
fn payload_position(payload: &[u8], line: u64, pointer: Option<&str>) -> LineCol {
    let column = std::str::from_utf8(payload)
        .ok()
        .and_then(|text| locate(text, pointer.unwrap_or("")))
        .map_or(1, |at| at.column);
    LineCol {
        line: usize::try_from(line).unwrap_or(usize::MAX),
        column,
    }
}
