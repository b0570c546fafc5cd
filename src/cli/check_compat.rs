//! `schemactl check-compat`: the CI gate, against local files or a registry subject.

mod remote;
mod replay;

use super::{Classify, Cli, FormatArg, Outcome, Output};
use crate::catalog::{self, SchemaFile};
use crate::compat::{self, Level, Metadata, Policy, Verdict, Version};
use crate::report::{Case, Item, Report, Severity};
use anyhow::anyhow;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Arguments of `check-compat`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  schemactl check-compat new.json --against v1.json --against v2.json --level FULL_TRANSITIVE\n  schemactl check-compat --contract generator\n  schemactl check-compat --contract generator --base origin/main --format github\n  schemactl check-compat new.json --registry http://localhost:8081 --subject emergency_generator-value\n  schemactl check-compat --contract generator --registry    (URL from SCHEMA_REGISTRY_URL or schemactl.toml)\n  schemactl check-compat proposal.json --contract generator --replay captured.jsonl --max-rejected 0"
)]
pub struct Args {
    /// The proposed schema. With --contract it defaults to the newest version in the history.
    pub proposal: Option<PathBuf>,
    /// An earlier version to check against; repeat, oldest first.
    #[arg(long, value_name = "OLD.json")]
    pub against: Vec<PathBuf>,
    /// Check against a contract's schema history, at its level and policy.
    #[arg(long, value_name = "NAME", conflicts_with = "against")]
    pub contract: Option<String>,
    /// Compatibility level: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE,
    /// FULL or FULL_TRANSITIVE (default: the contract's, else BACKWARD).
    #[arg(long, value_parser = parse_level)]
    pub level: Option<Level>,
    /// Compatibility policy (default: the contract's, else strict).
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Metadata of the proposal (JSON with properties."confluent:reserved").
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
    /// Metadata of the versions checked against.
    #[arg(long, value_name = "FILE")]
    pub against_metadata: Option<PathBuf>,
    /// Check against a registry subject instead of files: its versions and level, and the
    /// registry's own verdict. Without a URL, the configured registry ($SCHEMA_REGISTRY_URL,
    /// else url under [registry] in schemactl.toml).
    #[arg(long, value_name = "URL", num_args = 0..=1, conflicts_with = "against")]
    pub registry: Option<Option<String>>,
    /// The registry subject to check against (default with --contract: the contract's).
    #[arg(long, value_name = "SUBJECT", conflicts_with = "against")]
    pub subject: Option<String>,
    /// Seconds one registry request may take [default: 10].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Also fail when a version published at this git ref was edited or deleted.
    #[arg(long, value_name = "REF", requires = "contract")]
    pub base: Option<String>,
    /// Also replay these captures or plain JSON-lines files: count the payloads that the newest
    /// version accepts today and the proposal would refuse, per producer (plain lines: the
    /// producer is at the contract's [identity] pointer).
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "contract")]
    pub replay: Vec<PathBuf>,
    /// With --replay: fail when the proposal refuses more than this many replayed payloads that
    /// are accepted today, even if the schemas are compatible.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "replay")]
    pub max_rejected: u64,
    #[command(flatten)]
    pub format: FormatArg,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

fn read_metadata(path: &Path) -> Result<Metadata, anyhow::Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}: invalid JSON at line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    Metadata::from_json(&value).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn label(file: &SchemaFile) -> String {
    if file.version > 0 {
        format!("v{}", file.version)
    } else {
        file.path.display().to_string()
    }
}

/// Turns a verdict into report items located in `file`, at the keyword each finding is about.
pub(crate) fn verdict_items(verdict: &Verdict, file: &SchemaFile) -> Vec<Item> {
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

/// Checks `proposal` against `history` and returns the verdict; `history_meta(i)` is the
/// metadata of `history[i]`.
pub(crate) fn check_files<'m>(
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

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    if !args.replay.is_empty() && args.contract.is_none() {
        return Err(anyhow!(
            "--replay needs --contract NAME: the producers' identity pointer and today's newest version come from the contract"
        ))
        .input();
    }
    if args.registry.is_some() || args.subject.is_some() {
        if !args.replay.is_empty() {
            return Err(anyhow!(
                "--replay does not work with --registry yet: replay against the contract's files (drop --registry)"
            ))
            .input();
        }
        return remote::run(cli, args, out);
    }
    let proposal_meta = args
        .metadata
        .as_deref()
        .map(read_metadata)
        .transpose()
        .input()?;
    let against_meta = args
        .against_metadata
        .as_deref()
        .map(read_metadata)
        .transpose()
        .input()?;
    let mut extra_items = Vec::new();
    let mut extra_json = serde_json::Map::new();
    let mut loaded = None;
    let (proposal, history, level, policy) = if let Some(name) = &args.contract {
        let contract = catalog::load_contract(&cli.root, name).input()?;
        let mut history = catalog::load_history(&contract.schemas).input()?;
        let proposal = match &args.proposal {
            Some(path) => catalog::read_schema_file(path).input()?,
            None => history
                .pop()
                .ok_or_else(|| anyhow!("empty history"))
                .input()?,
        };
        if let Some(base) = &args.base {
            let (items, json) = immutability(&contract, base).input()?;
            extra_items = items;
            extra_json.insert("published".into(), json);
        }
        extra_json.insert("contract".into(), json!(contract.name));
        extra_json.insert("subject".into(), json!(contract.subject));
        let level = args.level.unwrap_or(contract.level);
        let policy = args.policy.unwrap_or(contract.policy);
        loaded = Some(contract);
        (proposal, history, level, policy)
    } else {
        let Some(path) = &args.proposal else {
            return Err(anyhow!("name the proposed schema (NEW.json) with --against OLD.json, or use --contract NAME"))
                .input();
        };
        if args.against.is_empty() {
            return Err(anyhow!("nothing to check {} against: pass --against OLD.json (repeat, oldest first) or --contract NAME", path.display())).input();
        }
        let proposal = catalog::read_schema_file(path).input()?;
        let history = args
            .against
            .iter()
            .map(|p| catalog::read_schema_file(p))
            .collect::<Result<Vec<_>, _>>()
            .input()?;
        (
            proposal,
            history,
            args.level.unwrap_or(Level::Backward),
            args.policy.unwrap_or(Policy::Strict),
        )
    };
    let verdict = check_files(
        &proposal,
        proposal_meta.as_ref(),
        &history,
        |_| against_meta.as_ref(),
        level,
        policy,
    );
    let warnings: Vec<String> = std::iter::once(&proposal)
        .chain(&history)
        .flat_map(|f| {
            f.schema
                .warnings
                .iter()
                .map(move |w| format!("{}: {w}", f.path.display()))
        })
        .collect();
    for w in &warnings {
        crate::report::shell::warn(w);
    }
    let published_ok = extra_items.is_empty();
    let replayed = match (&loaded, history.last()) {
        (Some(contract), Some(today)) if !args.replay.is_empty() => Some(replay::run(
            contract,
            today,
            &proposal,
            &args.replay,
            args.max_rejected,
            verdict.compatible && published_ok,
        )?),
        (Some(_), None) if !args.replay.is_empty() => {
            return Err(anyhow!(
                "nothing to replay against: the contract's history has no version before the proposal"
            ))
            .input();
        }
        _ => None,
    };
    let mut doc = serde_json::to_value(&verdict).unwrap_or_default();
    if let Value::Object(map) = &mut doc {
        map.insert(
            "compatible".into(),
            json!(verdict.compatible && published_ok),
        );
        map.insert(
            "proposal".into(),
            json!(proposal.path.display().to_string()),
        );
        map.insert(
            "against".into(),
            json!(
                history
                    .iter()
                    .map(|f| f.path.display().to_string())
                    .collect::<Vec<_>>()
            ),
        );
        map.insert("warnings".into(), json!(warnings));
        map.extend(extra_json);
        if let Some((_, json)) = &replayed {
            map.insert("replay".into(), json.clone());
        }
    }
    let against_names: Vec<String> = history.iter().map(label).collect();
    let scope = if level.is_transitive() {
        against_names.join(", ")
    } else {
        against_names.last().cloned().unwrap_or_default()
    };
    let name = if history.is_empty() {
        format!(
            "{}: first version, nothing to check against",
            proposal.path.display()
        )
    } else {
        format!(
            "{} against {scope} at {level} ({})",
            proposal.path.display(),
            policy.name()
        )
    };
    let mut cases = vec![Case {
        name,
        items: verdict_items(&verdict, &proposal),
        skipped: None,
    }];
    if args.base.is_some() {
        cases.push(Case {
            name: format!(
                "published versions unchanged since {}",
                args.base.as_deref().unwrap_or("")
            ),
            items: extra_items,
            skipped: None,
        });
    }
    if let Some((case, _)) = replayed {
        cases.push(case);
    }
    let report = Report {
        command: "check-compat",
        header: vec![],
        cases,
        json: doc,
    };
    super::finish(&report, args.format.format, out)
}

/// Compares the history on disk with the one at `base`: edited or deleted versions are findings.
fn immutability(
    contract: &catalog::Contract,
    base: &str,
) -> Result<(Vec<Item>, Value), catalog::CatalogError> {
    let dir: &Path = &contract.schemas;
    let published = catalog::git::history_at(dir, base)?;
    let mut items = Vec::new();
    let mut checked = Vec::new();
    for old in &published {
        let path = dir.join(format!("v{}.json", old.version));
        let shown = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Err(_) => items.push(Item {
                rule: "VERSION_DELETED".into(),
                severity: Severity::Error,
                file: Some(shown.clone()),
                pointer: None,
                at: None,
                message: format!("version {} was published at {base} and is gone", old.version),
                help: Some("restore the file: published versions are immutable; add a new version instead".into()),
            }),
            Ok(now) if now != old.text => items.push(Item {
                rule: "VERSION_REWRITTEN".into(),
                severity: Severity::Error,
                file: Some(shown.clone()),
                pointer: None,
                at: None,
                message: format!("version {} was published at {base} and has been edited in place", old.version),
                help: Some(format!("restore it (`git checkout {base} -- {shown}`) and put the change in a new version")),
            }),
            Ok(_) => {}
        }
        checked.push(old.version);
    }
    // A registered rule set is published as its schema is: see catalog::rule_history.
    for r in catalog::rule_history::rewritten_since(contract, base)? {
        let shown = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .map_or_else(|| "nowhere".to_string(), |p| p.display().to_string())
        };
        let file = r
            .now_in
            .clone()
            .unwrap_or_else(|| catalog::rule_history::rules_path(dir, r.version));
        items.push(Item {
            rule: "RULES_REWRITTEN".into(),
            severity: Severity::Error,
            file: Some(file.display().to_string()),
            pointer: None,
            at: None,
            message: format!(
                "version {}'s rule set was published at {base} ({} rule(s), in {}) and has been changed in place ({} rule(s), in {})",
                r.version,
                r.was,
                shown(&r.was_in),
                r.now,
                shown(&r.now_in)
            ),
            help: Some(format!(
                "keep v{v}'s rule set as it was (in {}), and put new rules in a new version: copy v{v}.json to the next vN.json and give the contract's [[rules]] to that one",
                catalog::rule_history::rules_path(dir, r.version).display(),
                v = r.version
            )),
        });
    }
    let json = json!({
        "base": base,
        "versions": checked,
        "findings": items.iter().map(|i| json!({"type": i.rule, "file": i.file, "message": i.message})).collect::<Vec<_>>(),
    });
    Ok((items, json))
}
