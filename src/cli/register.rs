//! `schemactl register`: puts contracts' schema histories into the registry, oldest first.
//!
//! Idempotent: each version is first looked up, and only versions the subject does not hold
//! are posted. The subject's level is set from the contract before anything is registered, so
//! the registry checks new versions at the level the contract promises.

use super::registry::{
    RegistryArgs, Session, TextOrJson, failure, paint, print_json, say, shorten, styles,
};
use super::{Classify, Cli, Failure, Outcome, Output};
use crate::Exit;
use crate::catalog::{self, Contract, SchemaFile};
use crate::compat::{Level, Policy};
use crate::registry::model::{RegisterRequest, SchemaReference, codes};
use crate::registry::{CompatScope, RegistryClient, RegistryError};
use anyhow::anyhow;
use serde::Serialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Arguments of `register`.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("which").required(true).args(["contract", "all"])),
    after_long_help = "Examples:\n  schemactl register --contract generator --registry http://localhost:8081\n  SCHEMA_REGISTRY_URL=https://psrc-abc.confluent.cloud SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=KEY:SECRET schemactl register --all --dry-run"
)]
pub struct Args {
    /// Register this contract's history (a file stem in contracts/).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Register every contract in contracts/.
    #[arg(long)]
    pub all: bool,
    /// Say what would be registered and which levels set, and change nothing. Each version the
    /// subject does not hold is put to the registry's own compatibility check
    /// (`POST /compatibility/subjects/S/versions?verbose=true`, which compares against every
    /// version the subject's level names, as registering does); one it would refuse is shown
    /// with the registry's reasons and exits 1.
    #[arg(long)]
    pub dry_run: bool,
    /// Have the registry normalize each schema before looking it up and registering it.
    #[arg(long)]
    pub normalize: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

/// What happened to one version file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    AlreadyRegistered,
    Registered,
    WouldRegister,
    WouldBeRefused,
    Refused,
    NotAttempted,
}

#[derive(Debug, Serialize)]
struct VersionStep {
    file: String,
    file_version: u32,
    action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<String>,
    /// How many data-contract rules were sent with it (the newest version carries them).
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<usize>,
    /// What a dry run's answer rests on, when it is less than the registration would see.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// In a dry run: the version's rules whose outcome depends on the Confluent client that
    /// runs them (`RULE_NOT_PORTABLE`), with a form both agree on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_portable: Vec<NotPortable>,
}

#[derive(Debug, Serialize)]
struct NotPortable {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    finding: crate::validate::portability::Finding,
    help: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum LevelAction {
    Unchanged,
    Set,
    WouldSet,
}

#[derive(Debug, Serialize)]
struct LevelStep {
    /// The contract's level.
    contract: Level,
    /// The contract's policy.
    policy: Policy,
    /// The subject's own level before, if it had one.
    subject_level: Option<Level>,
    /// The global level, when the subject had none of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    global_level: Option<Level>,
    /// The policy the registry applied before (strict when it reports none).
    registry_policy: Policy,
    action: LevelAction,
    /// Something the registry did not take as asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

#[derive(Debug, Serialize)]
struct ContractResult {
    contract: String,
    subject: String,
    level: LevelStep,
    versions: Vec<VersionStep>,
}

/// Whether a registered version carries the rule set the request sends (compared as rules,
/// so a registry that spells out defaults still matches); a registry whose lookup ignores
/// rule sets must not make a rule change look registered.
fn same_rules(request: &RegisterRequest, found: &crate::registry::model::SubjectVersion) -> bool {
    let Some(sent) = &request.rule_set else {
        return true;
    };
    let as_version = |rule_set: Option<&serde_json::Value>| catalog::VersionRules {
        rule_set: rule_set.cloned(),
        ..catalog::VersionRules::default()
    };
    as_version(found.rule_set.as_ref()).same_as(&as_version(Some(sent)))
}

/// The registry version of each contract version this run registered or found, by contract
/// and history version; `true` when a dry run only would register it.
type Registered = HashMap<(String, u32), (i32, bool)>;

/// The contracts in an order that puts every referenced contract before the contracts whose
/// versions reference it (the requested ones, and every contract they reach).
fn referenced_first(
    root: &std::path::Path,
    requested: Vec<Contract>,
) -> Result<Vec<Contract>, catalog::CatalogError> {
    let mut by_name: HashMap<String, Contract> = HashMap::new();
    let mut order = Vec::new();
    let mut placed = HashSet::new();
    let mut names: Vec<String> = requested.iter().map(|c| c.name.clone()).collect();
    for c in requested {
        by_name.insert(c.name.clone(), c);
    }
    // Depth first, post-order, without recursion; a contract on the current path is not
    // entered again (a cycle between versions is refused when the history is read).
    names.reverse();
    let mut stack: Vec<(String, bool)> = names.into_iter().map(|n| (n, false)).collect();
    let mut on_path = HashSet::new();
    while let Some((name, expanded)) = stack.pop() {
        if placed.contains(&name) {
            continue;
        }
        if expanded {
            on_path.remove(&name);
            placed.insert(name.clone());
            order.push(name);
            continue;
        }
        if !on_path.insert(name.clone()) {
            continue;
        }
        if !by_name.contains_key(&name) {
            by_name.insert(name.clone(), catalog::load_contract(root, &name)?);
        }
        stack.push((name.clone(), true));
        let mut targets: Vec<String> = by_name[&name]
            .references
            .values()
            .flatten()
            .map(|r| r.contract.clone())
            .filter(|t| *t != name && !placed.contains(t) && !on_path.contains(t))
            .collect();
        targets.sort();
        targets.dedup();
        stack.extend(targets.into_iter().rev().map(|t| (t, false)));
    }
    Ok(order
        .into_iter()
        .filter_map(|n| by_name.remove(&n))
        .collect())
}

async fn register_contract(
    client: &RegistryClient,
    contract: &Contract,
    history: &[SchemaFile],
    args: &Args,
    registered: &mut Registered,
) -> Result<ContractResult, Failure> {
    let subject = &contract.subject;
    let fail = |e: RegistryError, what: &str| match failure(e) {
        Failure::Input(e) => Failure::Input(e.context(what.to_string())),
        Failure::Infrastructure(e) => Failure::Infrastructure(e.context(what.to_string())),
    };
    let context = format!("contract {} (subject \"{subject}\")", contract.name);

    let settings = client
        .subject_settings(subject)
        .await
        .map_err(|e| fail(e, &context))?;
    let subject_level = settings.own.map(|c| c.level);
    let registry_policy = settings.policy();
    let policy_differs = registry_policy != contract.policy;
    let mut warning = None;
    let action = if subject_level == Some(contract.level) && !policy_differs {
        LevelAction::Unchanged
    } else if args.dry_run {
        LevelAction::WouldSet
    } else {
        let policy = policy_differs.then_some(contract.policy);
        client
            .set_config(Some(subject), contract.level, policy)
            .await
            .map_err(|e| fail(e, &context))?;
        if policy.is_some() {
            // Registries without policies (Confluent's) ignore the field; say so rather than
            // let new versions be judged by a policy the contract does not use.
            let kept = client
                .subject_config(subject)
                .await
                .map_err(|e| fail(e, &context))?
                .and_then(|c| c.policy)
                .unwrap_or(Policy::Strict);
            if kept != contract.policy {
                warning = Some(format!(
                    "the registry keeps no compatibility policy: it judges new versions {}, the contract is {}",
                    kept.name(),
                    contract.policy.name()
                ));
            }
        }
        LevelAction::Set
    };
    let level = LevelStep {
        contract: contract.level,
        policy: contract.policy,
        subject_level,
        global_level: settings.own.is_none().then_some(settings.global.level),
        registry_policy,
        action,
        warning,
    };

    // The version number a dry run's next registration would get.
    let held = if args.dry_run {
        match client.versions(subject).await {
            Ok(numbers) => numbers,
            Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => Vec::new(),
            Err(e) => return Err(fail(e, &context)),
        }
    } else {
        Vec::new()
    };
    let holds_versions = !held.is_empty();
    let mut next_version = held.last().copied().unwrap_or(0) + 1;
    // Set once a dry run has a version it would register: later ones are checked against the
    // registry's versions only, without the earlier ones that are not registered yet.
    let mut pending_before = false;
    let mut versions = Vec::new();
    let mut refused = false;
    // Each version is sent with its own rule set and metadata, as Confluent's register request
    // carries them: the contract's [[rules]] and [metadata] for the newest, vN.rules.json for
    // the others (catalog::rule_history). A change to the rules alone is a new version of the
    // same schema, and each earlier registry version keeps its rule set.
    let newest = history.last().map_or(0, |f| f.version);
    let rule_sets = catalog::rule_history::rule_sets(contract, newest)
        .map_err(|e| Failure::Input(anyhow!(e)))?;
    for file in history {
        let shown = file.path.display().to_string();
        let mut step = VersionStep {
            file: shown.clone(),
            file_version: file.version,
            action: Action::NotAttempted,
            version: None,
            id: None,
            messages: Vec::new(),
            rules: None,
            notes: Vec::new(),
            not_portable: Vec::new(),
        };
        if refused {
            versions.push(step);
            continue;
        }
        let what = format!("{context}, {shown}");
        // Referenced versions were registered (or found) before, so their registry versions
        // are known.
        let mut references = Vec::with_capacity(file.references.len());
        let mut references_pending = false;
        for r in &file.references {
            let Some(&(version, pending)) = registered.get(&(r.contract.clone(), r.version)) else {
                return Err(Failure::Input(anyhow!(
                    "{what}: reference \"{}\" names contract {} v{}, which this run did not register (it was refused or not reached)",
                    r.name,
                    r.contract,
                    r.version
                )));
            };
            references_pending |= pending;
            references.push(SchemaReference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version,
            });
        }
        let own = rule_sets
            .iter()
            .find(|r| r.version == file.version)
            .cloned()
            .unwrap_or_default();
        let own_rules = own.rules();
        let count = own_rules.len();
        if args.dry_run {
            use crate::validate::portability;
            step.not_portable = portability::lint(&own_rules, file.schema.document())
                .into_iter()
                .map(|finding| {
                    let expr = own_rules
                        .iter()
                        .find(|r| r.name == finding.rule)
                        .and_then(|r| r.expr.as_deref())
                        .unwrap_or_default();
                    NotPortable {
                        kind: portability::KIND,
                        help: portability::help(&finding, expr),
                        finding,
                    }
                })
                .collect();
        }
        let request = RegisterRequest {
            schema_type: Some("JSON".into()),
            schema: file.text.clone(),
            references,
            metadata: own.metadata,
            rule_set: own.rule_set,
            ..RegisterRequest::default()
        };
        if count > 0 {
            step.rules = Some(count);
        }
        let mut found = client
            .lookup(subject, &request, args.normalize)
            .await
            .map_err(|e| fail(e, &what))?
            .filter(|found| same_rules(&request, found));
        if found.is_none() && request.rule_set.is_some() {
            found = equivalent_version(client, subject, &request)
                .await
                .map_err(|e| fail(e, &what))?;
        }
        if let Some(found) = found {
            step.action = Action::AlreadyRegistered;
            step.version = Some(found.version);
            step.id = Some(found.id);
        } else if args.dry_run {
            step.version = Some(next_version);
            if references_pending {
                // Its references name versions this dry run has not registered: the
                // registry cannot resolve them yet.
                step.action = Action::WouldRegister;
                step.notes.push(
                    "it references versions this dry run would register first, so the registry cannot check it yet; `schemactl test` checks it offline".into(),
                );
            } else if holds_versions {
                dry_run_check(client, subject, &request, &mut step, &what, &fail).await?;
            } else {
                // Nothing to be compatible with, as for the first registration.
                step.action = Action::WouldRegister;
                if pending_before {
                    step.notes.push(
                        "the registry holds no version to check it against; `schemactl test` checks it against the earlier files".into(),
                    );
                }
            }
            if pending_before && holds_versions {
                step.notes.push(
                    "checked against the versions the registry holds; the earlier files of this dry run are not registered yet".into(),
                );
            }
            let current = level.subject_level.or(level.global_level);
            if holds_versions
                && (current != Some(level.contract) || level.registry_policy != level.policy)
            {
                step.notes.push(format!(
                    "checked at the registry's current setting ({}, {}), not the contract's ({}, {}), which a real run sets first",
                    current.map_or_else(|| "unknown".to_string(), |l| l.to_string()),
                    level.registry_policy.name(),
                    level.contract,
                    level.policy.name()
                ));
            }
            match step.action {
                Action::WouldBeRefused => refused = true,
                _ => {
                    next_version += 1;
                    pending_before = true;
                }
            }
        } else {
            match client.register(subject, &request, args.normalize).await {
                Ok(id) => {
                    step.action = Action::Registered;
                    step.id = Some(id);
                    // The register answer carries only the id; the lookup names the version.
                    step.version = client
                        .lookup(subject, &request, args.normalize)
                        .await
                        .map_err(|e| fail(e, &what))?
                        .map(|v| v.version);
                }
                Err(e) if e.is_incompatible() => {
                    step.action = Action::Refused;
                    step.messages = e.message().map(str::to_string).into_iter().collect();
                    refused = true;
                }
                Err(e) => return Err(fail(e, &what)),
            }
        }
        if let Some(version) = step.version
            && step.action != Action::WouldBeRefused
            && step.action != Action::Refused
        {
            let pending = step.action == Action::WouldRegister;
            registered.insert((contract.name.clone(), file.version), (version, pending));
        }
        versions.push(step);
    }
    Ok(ContractResult {
        contract: contract.name.clone(),
        subject: subject.clone(),
        level,
        versions,
    })
}

/// A registered version with the request's schema and the same rule set and metadata spelled
/// another way (defaults written out or left implicit, keys in another order), as a rule set
/// written by hand in `vN.rules.json` may be: the registry's lookup compares them byte for
/// byte, and registering it again would add a version that changes nothing.
async fn equivalent_version(
    client: &RegistryClient,
    subject: &str,
    request: &RegisterRequest,
) -> Result<Option<crate::registry::model::SubjectVersion>, RegistryError> {
    let numbers = match client.versions(subject).await {
        Ok(n) => n,
        Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => return Ok(None),
        Err(e) => return Err(e),
    };
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    let wanted_schema = parse(&request.schema);
    let wanted = catalog::VersionRules {
        metadata: request.metadata.clone(),
        rule_set: request.rule_set.clone(),
        ..catalog::VersionRules::default()
    };
    for n in numbers.into_iter().rev() {
        let v = client
            .version_with_rules(subject, crate::registry::model::VersionRef::Number(n))
            .await?;
        let held = catalog::VersionRules {
            metadata: v.metadata.clone(),
            rule_set: v.rule_set.clone(),
            ..catalog::VersionRules::default()
        };
        if parse(&v.schema) == wanted_schema && held.same_as(&wanted) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// A dry run's answer for one version the subject does not hold: the registry's own
/// compatibility check, against the versions the subject's level names.
async fn dry_run_check(
    client: &RegistryClient,
    subject: &str,
    request: &RegisterRequest,
    step: &mut VersionStep,
    what: &str,
    fail: &impl Fn(RegistryError, &str) -> Failure,
) -> Result<(), Failure> {
    match client.check_compatibility(subject, request).await {
        Ok(check) => {
            if check.response.is_compatible {
                step.action = Action::WouldRegister;
            } else {
                step.action = Action::WouldBeRefused;
                step.version = None;
                step.messages = check.response.messages;
                if step.messages.is_empty() {
                    step.messages.push(
                        "the registry found the schema incompatible and gave no reasons".into(),
                    );
                }
            }
            if check.scope == CompatScope::Latest {
                step.notes.push(
                    "this registry only checks against the latest version; registering may compare against more".into(),
                );
            }
        }
        // Deleted since the versions were listed: it would be the first version.
        Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => {
            step.action = Action::WouldRegister;
            step.version = Some(1);
        }
        Err(e) if e.is_code(&[codes::INVALID_SCHEMA]) => {
            step.action = Action::WouldBeRefused;
            step.version = None;
            step.messages = e.message().map(str::to_string).into_iter().collect();
        }
        Err(e) => return Err(fail(e, what)),
    }
    Ok(())
}

fn print_text(out: Output, url: &str, result: &ContractResult, dry_run: bool) {
    use styles::*;
    say!(
        "{} {} → subject \"{}\" at {url}{}",
        paint(out, BOLD, "contract"),
        paint(out, BOLD, &result.contract),
        result.subject,
        if dry_run { " (dry run)" } else { "" }
    );
    let level = &result.level;
    let mut before = match (level.subject_level, level.global_level) {
        (Some(l), _) => format!("{l} on the subject"),
        (None, Some(g)) => format!("{g}, the global default"),
        (None, None) => "unknown".into(),
    };
    if level.registry_policy != level.policy {
        before.push_str(&format!(", {}", level.registry_policy.name()));
    }
    let said = match level.action {
        LevelAction::Unchanged => paint(out, DIM, "already set"),
        LevelAction::Set => paint(out, GREEN, &format!("set (was {before})")),
        LevelAction::WouldSet => paint(out, YELLOW, &format!("would set (now {before})")),
    };
    say!(
        "  level {} ({}): {said}",
        level.contract,
        level.policy.name()
    );
    if let Some(w) = &level.warning {
        say!("    {}: {w}", paint(out, YELLOW, "warning"));
    }
    let width = result
        .versions
        .iter()
        .map(|v| file_name(&v.file).chars().count())
        .max()
        .unwrap_or(0);
    for v in &result.versions {
        let name = format!("{:<width$}", file_name(&v.file));
        let at = match (v.version, v.id, v.action) {
            (Some(version), None, Action::WouldRegister) => format!("as version {version}"),
            (Some(version), Some(id), _) => format!("version {version}, id {id}"),
            (None, Some(id), _) => format!("id {id}"),
            _ => String::new(),
        };
        let at = match v.rules {
            Some(n) => format!("{at} (with {n} rule(s))").trim().to_string(),
            None => at,
        };
        let (label, style) = match v.action {
            Action::AlreadyRegistered => ("already registered", DIM),
            Action::Registered => ("registered", GREEN),
            Action::WouldRegister => ("would register", YELLOW),
            Action::WouldBeRefused => ("would be refused:", RED),
            Action::Refused => ("REFUSED as incompatible by the registry", RED),
            Action::NotAttempted => ("not attempted: an earlier version was refused", DIM),
        };
        let said = paint(out, style, &format!("{label:<18}"));
        let line = format!("  {name}  {said}  {at}");
        say!("{}", line.trim_end());
        for m in &v.messages {
            say!("      {}", shorten(m, 300));
        }
        for n in &v.notes {
            say!("      {}: {n}", paint(out, DIM, "note"));
        }
        for p in &v.not_portable {
            say!(
                "      {}: {}: {}",
                paint(out, YELLOW, "warning"),
                p.kind,
                p.finding.message
            );
            say!("        help: {}", p.help);
        }
        if matches!(v.action, Action::Refused | Action::WouldBeRefused) {
            say!(
                "    help: see each change with `schemactl check-compat --contract {} --registry`; \
                 published versions stay, so make the change compatible at {} or choose a new subject",
                result.contract,
                level.contract
            );
        }
    }
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    // Every contract and history is read before the registry is touched, so a broken file
    // stops the run before anything is half registered.
    let contracts = match &args.contract {
        Some(name) => vec![catalog::load_contract(&cli.root, name).input()?],
        None => catalog::load_contracts(&cli.root).input()?,
    };
    if contracts.is_empty() {
        return Err(anyhow!(
            "no contracts in {}",
            cli.root.join("contracts").display()
        ))
        .input();
    }
    // Referenced contracts go first, so that what a version references is registered.
    let contracts = referenced_first(&cli.root, contracts).input()?;
    let work = contracts
        .into_iter()
        .map(|c| {
            let history = c.history()?;
            Ok((c, history))
        })
        .collect::<Result<Vec<_>, catalog::CatalogError>>()
        .input()?;
    let session = Session::from_args(cli, &args.registry)?;
    let url = session.client.url().to_string();
    let mut results = Vec::new();
    let mut registered = Registered::new();
    for (contract, history) in &work {
        let result = session.run(register_contract(
            &session.client,
            contract,
            history,
            args,
            &mut registered,
        ))?;
        if args.format == TextOrJson::Text {
            print_text(out, &url, &result, args.dry_run);
        }
        results.push(result);
    }
    let count = |a: Action| {
        results
            .iter()
            .flat_map(|r| &r.versions)
            .filter(|v| v.action == a)
            .count()
    };
    let would_be_refused = count(Action::WouldBeRefused);
    let refused = count(Action::Refused) + would_be_refused;
    let summary = json!({
        "registered": count(Action::Registered),
        "already_registered": count(Action::AlreadyRegistered),
        "would_register": count(Action::WouldRegister),
        "would_be_refused": would_be_refused,
        "refused": count(Action::Refused),
    });
    match args.format {
        TextOrJson::Json => print_json(&json!({
            "registry": url,
            "dry_run": args.dry_run,
            "normalize": args.normalize,
            "contracts": results,
            "summary": summary,
        }))?,
        TextOrJson::Text => {
            let line = format!(
                "{} registered, {} already registered{}{}",
                summary["registered"],
                summary["already_registered"],
                if args.dry_run {
                    format!(
                        ", {} would register, {would_be_refused} would be refused",
                        summary["would_register"]
                    )
                } else {
                    String::new()
                },
                if count(Action::Refused) > 0 {
                    format!(", {} refused", summary["refused"])
                } else {
                    String::new()
                }
            );
            let style = if refused > 0 {
                styles::RED
            } else {
                styles::GREEN
            };
            say!("{}", paint(out, style, &line));
        }
    }
    Ok(if refused > 0 {
        Exit::Findings
    } else {
        Exit::Pass
    })
}
