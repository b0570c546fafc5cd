//! `schemactl validate`: the audit's payload checks, offline, over JSON-lines files (fixtures,
//! captured traffic). One payload per line; blank lines are skipped. [`check_files`] returns a
//! typed [`Outcome`]: its serde form is the `--format json` document, and its [`Report`] every
//! other format.

use super::rules::RuleEngine;
use super::{PayloadValidator, Violation, ViolationKind};
use crate::Exit;
use crate::capture::{Kind, Reader};
use crate::catalog::{self, Contract};
use crate::replay::UNKNOWN_PRODUCER;
use crate::report::location::locate;
use crate::report::{Case, Item, LineCol, Render, Report, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use thiserror::Error;

/// Why the payloads could not be checked (a violation is a finding, not an error).
#[derive(Debug, Error)]
pub enum OfflineError {
    /// A file could not be opened.
    #[error("cannot read {name}")]
    Unreadable {
        /// The file as named on the command line.
        name: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read as JSON lines or a capture.
    #[error("{0}")]
    Input(String),
    /// The contract's newest schema is not JSON.
    #[error("newest schema is not JSON")]
    SchemaNotJson(#[source] serde_json::Error),
    /// The contract's rules do not compile against its newest schema.
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
}

impl crate::Classified for OfflineError {
    /// The exit code: every one of these is the input's fault.
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// What to check the payloads against, and how much to say.
pub struct Request<'a> {
    /// The contract.
    pub contract: &'a Contract,
    /// Its newest schema's version.
    pub version: u32,
    /// Its newest schema's text (the rules compile against it).
    pub schema_text: &'a str,
    /// Its newest schema, compiled.
    pub validator: &'a PayloadValidator,
    /// The JSON-lines files; `-` is standard input.
    pub files: &'a [PathBuf],
    /// At most this many violations in detail (all are counted).
    pub max_findings: usize,
}

/// The outcome of `validate`: the totals, each file's, and the violations shown in detail.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// No payload was invalid.
    pub passed: bool,
    /// The contract checked against.
    pub contract: String,
    /// Its newest version, which the payloads were checked against.
    pub schema_version: u32,
    /// Payloads read.
    pub payloads: u64,
    /// Payloads with a failing violation.
    pub invalid: u64,
    /// Violations by kind.
    pub violations_by_kind: BTreeMap<ViolationKind, u64>,
    /// Rule violations by rule name.
    pub violations_by_rule: BTreeMap<String, u64>,
    /// Rules evaluated on each payload that passed the schema.
    pub rules_evaluated: usize,
    /// Rules kept but not evaluated (not CEL, disabled).
    pub rules_not_evaluated: Vec<String>,
    /// Each file's tallies.
    pub files: Vec<FileTally>,
    /// The violations shown in detail (at most `max_findings`).
    pub violations: Vec<Detail>,
    /// What the readers warned about (stderr, not the document).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// One file's tallies.
#[derive(Debug, Serialize)]
pub struct FileTally {
    /// The file as named.
    pub file: String,
    /// Payloads read.
    pub payloads: u64,
    /// Payloads with a failing violation.
    pub invalid: u64,
    /// Violations by kind.
    pub violations: BTreeMap<ViolationKind, u64>,
    /// Rule violations by rule name.
    pub violations_by_rule: BTreeMap<String, u64>,
    /// For captures: each producer's payloads and invalid payloads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producers: Option<BTreeMap<String, ProducerTally>>,
    /// Its violations among the outcome's `violations` (those shown in detail).
    #[serde(skip)]
    pub shown: std::ops::Range<usize>,
}

/// A producer's payloads in a capture.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ProducerTally {
    /// Payloads it sent.
    pub payloads: u64,
    /// Those with a failing violation.
    pub invalid: u64,
}

/// A violation shown in detail.
#[derive(Debug, Serialize)]
pub struct Detail {
    /// The file.
    pub file: String,
    /// The payload's line, from 1.
    pub line: u64,
    /// The violation's kind.
    pub kind: ViolationKind,
    /// Where in the payload.
    pub pointer: Option<String>,
    /// The keyword that failed.
    pub keyword: Option<String>,
    /// One sentence.
    pub message: String,
    /// For a rule violation: the rule.
    pub rule: Option<Box<super::rules::RuleFailure>>,
    /// The payload's producer, when known.
    pub producer: Option<String>,
    /// Where in the file: the payload's line, and the column of the member `pointer` names.
    #[serde(skip)]
    pub at: LineCol,
}

impl Detail {
    /// Whether it makes the payload fail (a rule with `onFailure = "NONE"` only reports).
    pub fn fails(&self) -> bool {
        self.rule.as_ref().is_none_or(|r| r.action.fails())
    }

    /// The violation as a report item, at its line and column.
    fn item(&self) -> Item {
        let message = match (&self.pointer, &self.keyword) {
            _ if self.rule.is_some() => self.message.clone(),
            (Some(p), Some(k)) => format!("at \"{p}\" ({k}): {}", self.message),
            _ => self.message.clone(),
        };
        Item {
            rule: self.kind.name().to_string(),
            severity: if self.fails() {
                Severity::Error
            } else {
                Severity::Warning
            },
            file: Some(self.file.clone()),
            at: Some(self.at),
            pointer: self.pointer.clone().filter(|p| !p.is_empty()),
            message: message
                + &self
                    .producer
                    .as_ref()
                    .map(|p| format!(" (from {p})"))
                    .unwrap_or_default(),
            help: Some(help(self.kind).into()),
        }
    }
}

#[derive(Default)]
struct Tally {
    payloads: u64,
    invalid: u64,
    by_kind: BTreeMap<ViolationKind, u64>,
    by_rule: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.payloads += other.payloads;
        self.invalid += other.invalid;
        for (k, n) in &other.by_kind {
            *self.by_kind.entry(*k).or_default() += n;
        }
        for (k, n) in &other.by_rule {
            *self.by_rule.entry(k.clone()).or_default() += n;
        }
    }
}

/// The contract's rules, compiled against its newest schema (`schema_text`).
pub fn contract_rules(contract: &Contract, schema_text: &str) -> Result<RuleEngine, OfflineError> {
    let doc: serde_json::Value =
        serde_json::from_str(schema_text).map_err(OfflineError::SchemaNotJson)?;
    Ok(engine_for(contract, &doc)?)
}

/// The contract's rules compiled for the schema document `doc`.
pub fn engine_for(
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
pub fn payload_violations(
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

/// Checks every payload of `request.files` as the audit checks a live message: size, UTF-8,
/// JSON, the newest schema, then the contract's data-contract rules.
pub fn check_files(request: &Request<'_>) -> Result<Outcome, OfflineError> {
    let contract = request.contract;
    let validator = request.validator;
    let rules = contract_rules(contract, request.schema_text)?;
    // Schema and rules in one pass over each payload where they can be; the full checks
    // otherwise, and to say what is wrong.
    let one_pass = rules.one_pass(validator);
    let stdin = [PathBuf::from("-")];
    let inputs = if request.files.is_empty() {
        &stdin[..]
    } else {
        request.files
    };
    let mut files = Vec::new();
    let mut details = Vec::new();
    let mut warnings = Vec::new();
    let mut total = Tally::default();
    for path in inputs {
        let name = path.display().to_string();
        let input: Box<dyn Read> = if name == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(
                std::fs::File::open(path).map_err(|source| OfflineError::Unreadable {
                    name: name.clone(),
                    source,
                })?,
            )
        };
        // Captures (their first line is a header) and plain JSON lines alike.
        let mut reader = Reader::new(input, &name, contract.identity.pointer.as_deref())
            .map_err(OfflineError::Input)?;
        let capture = matches!(reader.kind(), Kind::Capture(_));
        if !capture {
            reader = reader.plain_producers(false);
        }
        let mut producers: BTreeMap<String, ProducerTally> = BTreeMap::new();
        let mut tally = Tally::default();
        let first_shown = details.len();
        while let Some(entry) = reader.next_entry().map_err(OfflineError::Input)? {
            let (number, payload) = (entry.line, entry.payload.as_slice());
            let producer = entry.producer.as_deref();
            let violations = if one_pass.certify(payload) {
                Vec::new()
            } else {
                payload_violations(validator, &rules, payload)
            };
            if capture {
                let row = producers
                    .entry(producer.unwrap_or(UNKNOWN_PRODUCER).to_string())
                    .or_default();
                row.payloads += 1;
                row.invalid += u64::from(violations.iter().any(Violation::fails));
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
                if details.len() >= request.max_findings {
                    break;
                }
                details.push(Detail {
                    file: name.clone(),
                    line: number,
                    at: payload_position(payload, number, v.pointer.as_deref()),
                    kind: v.kind,
                    pointer: v.pointer,
                    keyword: v.keyword,
                    message: v.message,
                    rule: v.rule,
                    producer: producer.map(str::to_string),
                });
            }
        }
        warnings.extend(reader.take_warnings());
        total.add(&tally);
        files.push(FileTally {
            file: name,
            payloads: tally.payloads,
            invalid: tally.invalid,
            violations: tally.by_kind,
            violations_by_rule: tally.by_rule,
            producers: capture.then_some(producers),
            shown: first_shown..details.len(),
        });
    }
    Ok(Outcome {
        passed: total.invalid == 0,
        contract: contract.name.clone(),
        schema_version: request.version,
        payloads: total.payloads,
        invalid: total.invalid,
        violations_by_kind: total.by_kind,
        violations_by_rule: total.by_rule,
        rules_evaluated: rules.len(),
        rules_not_evaluated: rules.not_evaluated().to_vec(),
        files,
        violations: details,
        warnings,
    })
}

impl Render for Outcome {
    /// One check per file: its violations shown in detail, and how many more were counted.
    fn report(&self) -> Report {
        let cases = self
            .files
            .iter()
            .map(|f| {
                let mut items: Vec<Item> = self.violations[f.shown.clone()]
                    .iter()
                    .map(Detail::item)
                    .collect();
                let shown = items.len() as u64;
                let counted: u64 = f.violations.values().sum();
                if counted > shown {
                    items.push(Item {
                        rule: "MORE_VIOLATIONS".into(),
                        severity: Severity::Warning,
                        file: Some(f.file.clone()),
                        pointer: None,
                        at: None,
                        message: format!(
                            "{} more violation(s) not shown (raise --max-findings to see them)",
                            counted - shown
                        ),
                        help: None,
                    });
                }
                Case::new(
                    format!(
                        "{}: {} payload(s), {} invalid against {} v{}",
                        f.file, f.payloads, f.invalid, self.contract, self.schema_version
                    ),
                    items,
                )
            })
            .collect();
        Report::new("validate", cases)
    }

    /// No payload was invalid (the checks shown may be capped by `max_findings`).
    fn passed(&self) -> bool {
        self.passed
    }
}

/// What to do about a violation kind.
pub fn help(kind: ViolationKind) -> &'static str {
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

/// Where a violation is in a JSON-lines file: the payload's line, and the column of the member
/// `pointer` names in it (its key; the payload's first character when that cannot be found).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classified;
    use crate::report::{Format, render};
    use std::path::Path;

    /// The generator contract's newest schema and one file of JSON lines, checked.
    fn checked(lines: &str, max_findings: usize) -> Outcome {
        checked_times(lines, max_findings, 1)
    }

    /// As [`checked`], with the file named `times` times.
    fn checked_times(lines: &str, max_findings: usize, times: usize) -> Outcome {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let contract = catalog::load_contract(root, "generator").unwrap();
        let newest = contract.history().unwrap().pop().unwrap();
        let validator = PayloadValidator::new(&newest.schema).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("captured.jsonl");
        std::fs::write(&file, lines).unwrap();
        check_files(&Request {
            contract: &contract,
            version: newest.version,
            schema_text: &newest.text,
            validator: &validator,
            files: &vec![file; times],
            max_findings,
        })
        .unwrap()
    }

    #[test]
    fn each_file_s_check_holds_its_own_violations() {
        let outcome = checked_times(&format!("{FUEL_AS_STRING}\n"), 100, 2);
        assert_eq!((outcome.payloads, outcome.invalid), (2, 2));
        let report = outcome.report();
        assert_eq!(report.cases.len(), 2);
        for case in &report.cases {
            assert_eq!(case.items.len(), 1, "{case:?}");
            assert!(
                case.name
                    .ends_with(": 1 payload(s), 1 invalid against generator v3")
            );
        }
    }

    const GOOD: &str = r#"{"generatorID":"generator1","lat":40.68066,"lon":-73.47429,"temperature":36,"pressure":500,"fuel":400}"#;
    const FUEL_AS_STRING: &str = r#"{"generatorID":"generator4","lat":29.7604,"lon":-95.3698,"temperature":41,"pressure":612,"fuel":"400"}"#;

    #[test]
    fn the_json_document_and_the_checks_tell_the_same_violation() {
        let outcome = checked(&format!("{GOOD}\n{FUEL_AS_STRING}\n"), 100);
        assert_eq!((outcome.payloads, outcome.invalid), (2, 1));
        assert!(!Render::passed(&outcome));
        let doc = serde_json::to_value(&outcome).unwrap();
        assert_eq!(doc["violations"][0]["line"], 2);
        assert_eq!(doc["violations"][0]["pointer"], "/fuel");
        assert_eq!(doc["files"][0]["violations"]["SCHEMA_VIOLATION"], 1);
        let report = outcome.report();
        let item = &report.cases[0].items[0];
        assert_eq!(item.rule, "SCHEMA_VIOLATION");
        assert_eq!(item.pointer.as_deref(), Some("/fuel"));
        assert_eq!(item.at.map(|at| at.line), Some(2));
        let mut json = Vec::new();
        render(&outcome, Format::Json, false, &mut json).unwrap();
        let rendered: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(rendered, doc, "--format json is the outcome's serde form");
    }

    #[test]
    fn findings_past_the_cap_are_counted_and_still_fail() {
        let outcome = checked(&format!("{FUEL_AS_STRING}\n{FUEL_AS_STRING}\n"), 0);
        assert_eq!(outcome.invalid, 2);
        assert!(outcome.violations.is_empty());
        assert!(
            !Render::passed(&outcome),
            "a cap on detail passes no payload"
        );
        let items = &outcome.report().cases[0].items;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].rule, "MORE_VIOLATIONS");
        assert!(
            items[0].message.starts_with("2 more violation(s)"),
            "{}",
            items[0].message
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let contract = catalog::load_contract(root, "generator").unwrap();
        let newest = contract.history().unwrap().pop().unwrap();
        let validator = PayloadValidator::new(&newest.schema).unwrap();
        let err = check_files(&Request {
            contract: &contract,
            version: newest.version,
            schema_text: &newest.text,
            validator: &validator,
            files: &[PathBuf::from("/nonexistent/captured.jsonl")],
            max_findings: 1,
        })
        .unwrap_err();
        assert_eq!(err.exit(), Exit::Usage);
        assert_eq!(err.to_string(), "cannot read /nonexistent/captured.jsonl");
    }

    #[test]
    fn a_violation_points_at_its_line_and_the_value_s_column() {
        let payload = br#"{"generatorID":"generator1","fuel":"64"}"#;
        let at = payload_position(payload, 7, Some("/fuel"));
        assert_eq!(at.line, 7);
        assert_eq!(
            at.column, 29,
            "the column of the member \"fuel\" in the payload"
        );
        assert_eq!(payload_position(b"not json", 2, None).column, 1);
    }

    #[test]
    fn every_kind_has_help() {
        for kind in ViolationKind::ALL {
            assert!(!help(kind).is_empty(), "{kind:?}");
        }
    }
}
