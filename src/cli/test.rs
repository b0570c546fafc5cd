//! `schemactl test`: the offline contract test a CI job runs. For every contract: each version
//! of the history is compatible with the earlier ones at the contract's level, must-pass
//! examples validate against the newest version, and must-fail examples fail as declared.

use super::{Classify, Cli, FormatArg, Outcome, Output};
use crate::catalog::{self, Contract, Example};
use crate::gate::{check as check_files, verdict_items};
use crate::report::{Case, Item, Report, Severity};
use crate::validate::{PayloadValidator, Violation};
use serde_json::{Value, json};

/// Arguments of `test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Test only this contract (default: every contract in `contracts/`).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let contracts = match &args.contract {
        Some(name) => vec![catalog::load_contract(&cli.root, name).input()?],
        None => catalog::load_contracts(&cli.root).input()?,
    };
    if contracts.is_empty() {
        return Err(anyhow::anyhow!(
            "no contracts in {}",
            cli.root.join("contracts").display()
        ))
        .input();
    }
    let mut cases = Vec::new();
    let mut docs = Vec::new();
    for contract in &contracts {
        let (mut contract_cases, doc) = test_contract(contract).input()?;
        cases.append(&mut contract_cases);
        docs.push(doc);
    }
    let mut report = Report {
        command: "test",
        header: vec![],
        cases,
        json: Value::Null,
    };
    // `passed` means no check failed; `summary.skipped` counts the checks that could not run.
    report.json = json!({
        "passed": report.passed(),
        "summary": report.counts(),
        "contracts": docs,
    });
    super::finish(&report, args.format.format, out)
}

fn test_contract(contract: &Contract) -> Result<(Vec<Case>, Value), catalog::CatalogError> {
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
        versions.push(json!({ "version": file.version, "file": file.path.display().to_string(), "verdict": verdict }));
    }
    let newest = history.last().map(|f| (f.version, &f.path, &f.schema));
    let mut examples = Vec::new();
    let mut portable = Value::Null;
    if let Some((version, path, schema)) = newest {
        let validator =
            PayloadValidator::new(schema).map_err(|message| catalog::CatalogError::Schema {
                path: path.clone(),
                message,
            })?;
        let rules = super::validate::engine_for(contract, schema.document())?;
        if !rules.not_evaluated().is_empty() {
            cases.extend(rules_not_evaluated(contract, rules.not_evaluated()));
        }
        if !contract.rules.is_empty() {
            let (case, found) = portability(contract, version, schema.document());
            cases.push(case);
            portable = json!(found);
        }
        for (example, must_pass) in contract
            .valid
            .iter()
            .map(|e| (e, true))
            .chain(contract.invalid.iter().map(|e| (e, false)))
        {
            let violations =
                super::validate::payload_violations(&validator, &rules, &example.payload);
            let items = example_items(contract, example, must_pass, &violations);
            examples.push(json!({
                "name": example.name,
                "must_pass": must_pass,
                "passed": items.iter().all(|i| i.severity != Severity::Error),
                "violations": violations,
            }));
            let expectation = if must_pass {
                "validates"
            } else {
                "is rejected"
            };
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
    let doc = json!({
        "name": contract.name,
        "subject": contract.subject,
        "level": contract.level,
        "policy": contract.policy,
        "versions": versions,
        "examples": examples,
        "portability": portable,
    });
    Ok((cases, doc))
}

/// How many simulator payloads `test` checks per contract.
const SIMULATOR_SAMPLE: usize = 1000;

/// The reference producer must stay compliant as the schema evolves: a seeded sample of its
/// payloads must validate against the newest version.
fn simulator_sample(
    contract: &Contract,
    version: u32,
    schema: &crate::compat::Schema,
) -> (Case, Value) {
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
                json!({ "name": "simulator sample", "must_pass": true, "passed": false, "reason": why }),
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
                json!({ "name": "simulator sample", "skipped": true, "reason": reason }),
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
        json!({ "name": "simulator sample", "must_pass": true, "passed": passed, "payloads": SIMULATOR_SAMPLE }),
    )
}

/// The portability lint on the newest version's rules: a warning per rule whose outcome
/// depends on which Confluent client runs it (`RULE_NOT_PORTABLE`).
fn portability(
    contract: &Contract,
    version: u32,
    schema: &Value,
) -> (Case, Vec<crate::validate::portability::Finding>) {
    use crate::validate::portability;
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
