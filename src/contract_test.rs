//! `schemactl test`: the offline contract test a CI job runs. For every contract: each version
//! of the history is compatible with the earlier ones at the contract's level, its rules give
//! the same verdict in Confluent's clients, must-pass examples validate against the newest
//! version, must-fail examples fail as declared, and a sample of the reference producer's
//! payloads validates. [`run`] returns a typed [`Outcome`]: its serde form is the
//! `--format json` document, and its [`Report`] every other format.

use crate::catalog::{self, CatalogError, Contract, Example};
use crate::compat::{Level, Policy, Schema, Verdict};
use crate::gate::{check as check_files, verdict_items};
use crate::report::{Case, Counts, Item, Render, Report, Severity};
use crate::validate::offline::{engine_for, payload_violations};
use crate::validate::portability;
use crate::validate::{PayloadValidator, Violation};
use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// How many simulator payloads `test` checks per contract.
pub const SIMULATOR_SAMPLE: usize = 1000;

/// Why the contracts could not be tested (a failed check is a finding, not an error).
#[derive(Debug, Error)]
pub enum ContractTestError {
    /// `contracts/` holds no contract.
    #[error("no contracts in {}", .0.display())]
    NoContracts(PathBuf),
    /// A contract, schema or rule set could not be read.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl crate::Classified for ContractTestError {
    /// The exit code: every one of these is the input's fault.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
}

/// The outcome of `test`: whether every check passed, how many did, and each contract's
/// results.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// No check failed (skipped checks fail nothing; `summary.skipped` counts them).
    pub passed: bool,
    /// The checks by outcome.
    pub summary: Counts,
    /// Each contract's results.
    pub contracts: Vec<ContractResult>,
    #[serde(skip)]
    cases: Vec<Case>,
}

/// One contract's results.
#[derive(Debug, Serialize)]
pub struct ContractResult {
    /// The contract.
    pub name: String,
    /// Its registry subject.
    pub subject: String,
    /// Its compatibility level.
    pub level: Level,
    /// Its policy.
    pub policy: Policy,
    /// Each version after the first against the ones before it.
    pub versions: Vec<VersionResult>,
    /// The examples and the simulator sample.
    pub examples: Vec<ExampleResult>,
    /// With rules: the portability lint's findings on the newest version's rules.
    pub portability: Option<Vec<portability::Finding>>,
}

/// One version of a history against the versions before it.
#[derive(Debug, Serialize)]
pub struct VersionResult {
    /// The version.
    pub version: u32,
    /// Its file.
    pub file: String,
    /// The compatibility verdict.
    pub verdict: Verdict,
}

/// An example, or the simulator sample, against the newest version.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ExampleResult {
    /// A must-pass or must-fail example of the contract.
    Example {
        /// The example's name.
        name: String,
        /// Whether it must validate.
        must_pass: bool,
        /// Whether it did what it must.
        passed: bool,
        /// What the checks found.
        violations: Vec<Violation>,
    },
    /// The simulator's payloads, checked.
    Sample {
        /// `simulator sample`.
        name: &'static str,
        /// Always: the reference producer must comply.
        must_pass: bool,
        /// Whether every payload validated.
        passed: bool,
        /// How many payloads were checked.
        payloads: usize,
    },
    /// The newest version does not compile as a payload validator.
    SampleNotCompiled {
        /// `simulator sample`.
        name: &'static str,
        /// Always.
        must_pass: bool,
        /// Never.
        passed: bool,
        /// The compiler's message.
        reason: String,
    },
    /// The simulator cannot produce for this contract: nothing was checked.
    SampleSkipped {
        /// `simulator sample`.
        name: &'static str,
        /// Always.
        skipped: bool,
        /// Why.
        reason: String,
    },
}

const SAMPLE: &str = "simulator sample";

impl Render for Outcome {
    fn report(&self) -> Report {
        Report::new("test", self.cases.clone())
    }

    fn passed(&self) -> bool {
        self.passed
    }
}

/// Tests the contract named `only`, or every contract under `root`.
pub fn run(root: &Path, only: Option<&str>) -> Result<Outcome, ContractTestError> {
    let contracts = match only {
        Some(name) => vec![catalog::load_contract(root, name)?],
        None => catalog::load_contracts(root)?,
    };
    if contracts.is_empty() {
        return Err(ContractTestError::NoContracts(root.join("contracts")));
    }
    let mut cases = Vec::new();
    let mut results = Vec::new();
    for contract in &contracts {
        let (mut contract_cases, result) = test_contract(contract)?;
        cases.append(&mut contract_cases);
        results.push(result);
    }
    let report = Report::new("test", cases);
    Ok(Outcome {
        passed: report.passed(),
        summary: report.counts(),
        contracts: results,
        cases: report.cases,
    })
}

fn test_contract(contract: &Contract) -> Result<(Vec<Case>, ContractResult), CatalogError> {
    let history = contract.history()?;
    // Every version's rule set must read, not only the newest one's, before it is registered.
    catalog::rule_history::load_rule_files(&contract.schemas)?;
    let mut cases = Vec::new();
    let mut versions = Vec::new();
    for (i, file) in history.iter().enumerate().skip(1) {
        let verdict = check_files(
            file,
            None,
            &history[..i],
            |_| None,
            contract.level,
            contract.policy,
        );
        cases.push(Case::new(
            format!(
                "{}: v{} is {} compatible ({})",
                contract.name,
                file.version,
                contract.level,
                contract.policy.name()
            ),
            verdict_items(&verdict, file),
        ));
        versions.push(VersionResult {
            version: file.version,
            file: file.path.display().to_string(),
            verdict,
        });
    }
    let newest = history.last().map(|f| (f.version, &f.path, &f.schema));
    let mut examples = Vec::new();
    let mut portable = None;
    if let Some((version, path, schema)) = newest {
        let validator =
            PayloadValidator::new(schema).map_err(|source| CatalogError::DoesNotCompile {
                path: path.clone(),
                source: Box::new(source),
            })?;
        let rules = engine_for(contract, schema.document())?;
        if !rules.not_evaluated().is_empty() {
            cases.extend(rules_not_evaluated(contract, rules.not_evaluated()));
        }
        if !contract.rules.is_empty() {
            let (case, found) = portability_check(contract, version, schema.document());
            cases.push(case);
            portable = Some(found);
        }
        for (example, must_pass) in contract
            .valid
            .iter()
            .map(|e| (e, true))
            .chain(contract.invalid.iter().map(|e| (e, false)))
        {
            let violations = payload_violations(&validator, &rules, &example.payload);
            let items = example_items(contract, example, must_pass, &violations);
            let expectation = if must_pass {
                "validates"
            } else {
                "is rejected"
            };
            examples.push(ExampleResult::Example {
                name: example.name.clone(),
                must_pass,
                passed: items.iter().all(|i| i.severity != Severity::Error),
                violations,
            });
            cases.push(Case::new(
                format!(
                    "{}: example \"{}\" {expectation} by v{version}",
                    contract.name, example.name
                ),
                items,
            ));
        }
    }
    if let Some((version, _, schema)) = newest {
        let (case, sample) = simulator_sample(contract, version, schema);
        cases.push(case);
        examples.push(sample);
    }
    let result = ContractResult {
        name: contract.name.clone(),
        subject: contract.subject.clone(),
        level: contract.level,
        policy: contract.policy,
        versions,
        examples,
        portability: portable,
    };
    Ok((cases, result))
}

/// The reference producer must stay compliant as the schema evolves: a seeded sample of its
/// payloads must validate against the newest version.
fn simulator_sample(contract: &Contract, version: u32, schema: &Schema) -> (Case, ExampleResult) {
    use crate::simulate::{FaultPlan, fleet::Fleet};
    use crate::transport::TransportKind;
    let name = format!(
        "{}: a sample of {SIMULATOR_SAMPLE} simulator payloads validates against v{version}",
        contract.name
    );
    let file = Some(contract.file.display().to_string());
    let validator = match PayloadValidator::new(schema) {
        Ok(v) => v,
        Err(why) => {
            let item = Item {
                rule: "SCHEMA_NOT_COMPILED".into(),
                severity: Severity::Error,
                file,
                pointer: None,
                at: None,
                message: format!("v{version} does not compile as a payload validator: {why}"),
                help: Some("fix the schema so payloads can be validated against it".into()),
            };
            return (
                Case::new(name, vec![item]),
                ExampleResult::SampleNotCompiled {
                    name: SAMPLE,
                    must_pass: true,
                    passed: false,
                    reason: why.to_string(),
                },
            );
        }
    };
    let made = match &contract.simulator {
        Some(model) => Fleet::new(model, schema, 10, 0, &FaultPlan { rules: vec![] }, 1 << 20),
        None => Err(crate::simulate::fleet::FleetError::NoReadingModel),
    };
    let mut fleet = match made {
        Ok(f) => f,
        Err(why) => {
            // Not a pass: nothing was checked. Reported as skipped with the reason.
            let reason = format!(
                "SIMULATOR_NOT_APPLICABLE: the simulator cannot produce for this contract: {why}"
            );
            return (
                Case::skipped(name, reason.clone()),
                ExampleResult::SampleSkipped {
                    name: SAMPLE,
                    skipped: true,
                    reason,
                },
            );
        }
    };
    let mut items = Vec::new();
    for n in 0..SIMULATOR_SAMPLE {
        let reading = fleet.read(n % fleet.len());
        let bytes = fleet
            .apply(&reading, TransportKind::Mqtt, Default::default())
            .bytes;
        if let Some(v) = validator.check(&bytes).into_iter().next() {
            items.push(Item {
                rule: v.kind.name().to_string(),
                severity: Severity::Error,
                file: file.clone(),
                pointer: v.pointer.clone(),
                at: None,
                message: format!(
                    "simulator payload {} fails v{version}: {} ({})",
                    n + 1,
                    v.message,
                    String::from_utf8_lossy(&bytes)
                ),
                help: Some(
                    "update the contract's [simulator] reading model so the reference producer stays compliant"
                        .into(),
                ),
            });
            break;
        }
    }
    let passed = items.is_empty();
    (
        Case::new(name, items),
        ExampleResult::Sample {
            name: SAMPLE,
            must_pass: true,
            passed,
            payloads: SIMULATOR_SAMPLE,
        },
    )
}

/// The portability lint on the newest version's rules: a warning per rule whose outcome
/// depends on which Confluent client runs it (`RULE_NOT_PORTABLE`).
fn portability_check(
    contract: &Contract,
    version: u32,
    schema: &serde_json::Value,
) -> (Case, Vec<portability::Finding>) {
    let found = portability::lint(&contract.rules, schema);
    let items = found
        .iter()
        .map(|f| {
            let expr = contract
                .rules
                .iter()
                .find(|r| r.name == f.rule)
                .and_then(|r| r.expr.as_deref())
                .unwrap_or_default();
            Item {
                rule: portability::KIND.into(),
                severity: Severity::Warning,
                file: Some(contract.file.display().to_string()),
                pointer: None,
                at: None,
                message: f.message.clone(),
                help: Some(portability::help(f, expr)),
            }
        })
        .collect();
    (
        Case::new(
            format!(
                "{}: v{version}'s rules give the same verdict in Confluent's Python and JavaScript clients",
                contract.name
            ),
            items,
        ),
        found,
    )
}

/// One skipped check per rule `test` keeps but does not evaluate.
fn rules_not_evaluated(contract: &Contract, names: &[String]) -> Vec<Case> {
    names
        .iter()
        .map(|name| {
            Case::skipped(
                format!("{}: rule \"{name}\"", contract.name),
                "not evaluated: kept and registered, but schemactl evaluates only enabled CEL and CEL_FIELD conditions (not JSONATA, ENCRYPT, TRANSFORM, migration or disabled rules)",
            )
        })
        .collect()
}

fn example_items(
    contract: &Contract,
    example: &Example,
    must_pass: bool,
    violations: &[Violation],
) -> Vec<Item> {
    let file = Some(contract.file.display().to_string());
    let describe = |v: &Violation| match (&v.pointer, &v.keyword) {
        (Some(p), Some(k)) => format!("{} at \"{p}\" ({k}): {}", v.kind, v.message),
        _ => format!("{}: {}", v.kind, v.message),
    };
    if must_pass {
        return violations
            .iter()
            .map(|v| Item {
                rule: v.kind.name().to_string(),
                severity: if v.fails() {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                file: file.clone(),
                pointer: v.pointer.clone(),
                at: None,
                message: format!(
                    "must-pass example \"{}\" fails: {}",
                    example.name,
                    describe(v)
                ),
                help: Some(
                    "fix the example, or the schema if the example is what producers really send"
                        .into(),
                ),
            })
            .collect();
    }
    let Some(expected) = &example.violation else {
        return Vec::new();
    };
    let matches = |v: &Violation| {
        v.kind.name() == expected.kind
            && expected
                .pointer
                .as_ref()
                .is_none_or(|p| v.pointer.as_ref() == Some(p))
            && expected
                .keyword
                .as_ref()
                .is_none_or(|k| v.keyword.as_ref() == Some(k))
    };
    if violations.iter().any(matches) {
        return Vec::new();
    }
    let wanted = format!(
        "{}{}{}",
        expected.kind,
        expected
            .pointer
            .as_ref()
            .map(|p| format!(" at \"{p}\""))
            .unwrap_or_default(),
        expected
            .keyword
            .as_ref()
            .map(|k| format!(" ({k})"))
            .unwrap_or_default()
    );
    let found = if violations.is_empty() {
        "it validates".to_string()
    } else {
        violations
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join("; ")
    };
    vec![Item {
        rule: crate::gate::Rule::ExampleNotRejected.id().into(),
        severity: Severity::Error,
        file,
        pointer: None,
        at: None,
        message: format!("must-fail example \"{}\" should be rejected with {wanted}, but {found}", example.name),
        help: Some("the schema no longer rejects this payload as the contract promises: restore the constraint or update the example".into()),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classified;
    use crate::report::{Format, render};

    #[test]
    fn the_generator_contract_passes_and_every_format_counts_the_same_checks() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let outcome = run(root, Some("generator")).unwrap();
        assert!(Render::passed(&outcome));
        let report = outcome.report();
        assert_eq!(outcome.summary, report.counts());
        assert_eq!(outcome.summary.checks, report.cases.len());
        let contract = &outcome.contracts[0];
        // v2 and v3, each against the versions before it.
        assert_eq!(
            contract
                .versions
                .iter()
                .map(|v| v.version)
                .collect::<Vec<_>>(),
            [2, 3]
        );
        let doc = serde_json::to_value(&outcome).unwrap();
        assert_eq!(doc["summary"]["checks"], report.cases.len());
        let sample = doc["contracts"][0]["examples"]
            .as_array()
            .unwrap()
            .last()
            .unwrap();
        assert_eq!(sample["name"], "simulator sample");
        assert_eq!(sample["payloads"], SIMULATOR_SAMPLE);
        let mut text = Vec::new();
        render(&outcome, Format::Text, false, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.ends_with(&format!(
                "{} checks, {0} passed, 0 failed, 0 errors\n",
                report.cases.len()
            )),
            "{text}"
        );
    }

    #[test]
    fn an_empty_contracts_folder_is_an_input_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("contracts")).unwrap();
        let err = run(dir.path(), None).unwrap_err();
        assert_eq!(err.exit(), crate::Exit::Usage);
        assert!(err.to_string().starts_with("no contracts in "), "{err}");
    }
}
