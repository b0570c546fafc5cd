//! Registry publishing, the use case behind `schemactl register`: contracts' schema histories
//! put into a registry, oldest first, referenced contracts before the contracts that reference
//! them.
//!
//! Idempotent: each version is first looked up, and only versions the subject does not hold
//! are posted. The subject's level (and policy, where the registry keeps one) is set from the
//! contract before anything is registered, so the registry checks new versions at the level
//! the contract promises. A dry run changes nothing: each version the subject lacks is put to
//! the registry's own compatibility check instead.
//!
//! [`Plan::read`] reads every contract and history before the registry is touched, so a broken
//! file stops the run before anything is half registered; [`Plan::publish`] returns a
//! [`Publication`], whose JSON form is the `--format json` document.

use super::model::{RegisterRequest, SchemaReference, SubjectVersion, VersionRef, codes};
use super::{CompatScope, RegistryClient, RegistryError};
use crate::Exit;
use crate::catalog::{self, CatalogError, Contract, SchemaFile};
use crate::compat::{Level, Policy};
use crate::validate::portability;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Which contracts to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// One contract, by name (a file stem in `contracts/`).
    Contract(String),
    /// Every contract in `contracts/`.
    All,
}

/// How to publish.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Say what would be registered and which levels set, and change nothing.
    pub dry_run: bool,
    /// Have the registry normalize each schema before looking it up and registering it.
    pub normalize: bool,
}

/// Why publishing stopped before its outcome (a refused version is an outcome, not an error).
#[derive(Debug, Error)]
pub enum PublishError {
    /// A contract, history or rule set could not be read.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// `--all` in a project without contracts.
    #[error("no contracts in {}", .0.display())]
    NoContracts(PathBuf),
    /// The registry failed one step; `what` names the contract (and file).
    #[error("{what}: {error}")]
    Registry {
        /// `contract NAME (subject "S")`, and the version file when there is one.
        what: String,
        /// What the registry said (not a `source`: the message already quotes it).
        error: Box<RegistryError>,
    },
    /// A version references a contract version this run did not register or find.
    #[error(
        "{what}: reference \"{name}\" names contract {contract} v{version}, which this run did not register (it was refused or not reached)"
    )]
    ReferenceNotRegistered {
        /// The contract and file.
        what: String,
        /// The reference's name.
        name: String,
        /// The referenced contract.
        contract: String,
        /// The referenced contract's version.
        version: u32,
    },
}

impl crate::Classified for PublishError {
    /// The exit code: 2 when the input is wrong, the registry error's own otherwise.
    fn exit(&self) -> Exit {
        match self {
            PublishError::Registry { error, .. } => error.exit(),
            _ => Exit::Usage,
        }
    }
}

/// What happened to one version file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The subject already holds it (with the same rule set).
    AlreadyRegistered,
    /// Registered by this run.
    Registered,
    /// A dry run would register it.
    WouldRegister,
    /// A dry run found the registry would refuse it.
    WouldBeRefused,
    /// The registry refused it as incompatible.
    Refused,
    /// Not tried: an earlier version was refused.
    NotAttempted,
}

/// One version file and what became of it.
#[derive(Debug, Serialize)]
pub struct VersionStep {
    /// The file.
    pub file: String,
    /// Its version in the contract's history.
    pub file_version: u32,
    /// What happened.
    pub action: Action,
    /// Its version in the subject (a dry run: the one it would get).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// Its global schema id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i32>,
    /// The registry's reasons for a refusal, as it gave them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// How many data-contract rules were sent with it (the newest version carries them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<usize>,
    /// What a dry run's answer rests on, when it is less than the registration would see.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// In a dry run: the version's rules whose outcome depends on the Confluent client that
    /// runs them (`RULE_NOT_PORTABLE`), with a form both agree on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_portable: Vec<NotPortable>,
}

/// A rule whose outcome depends on the client that runs it.
#[derive(Debug, Serialize)]
pub struct NotPortable {
    /// `RULE_NOT_PORTABLE`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where and why.
    #[serde(flatten)]
    pub finding: portability::Finding,
    /// A form both clients agree on.
    pub help: String,
}

/// What became of the subject's level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelAction {
    /// It was already the contract's.
    Unchanged,
    /// Set to the contract's.
    Set,
    /// A dry run would set it.
    WouldSet,
}

/// The subject's level before and after.
#[derive(Debug, Serialize)]
pub struct LevelStep {
    /// The contract's level.
    pub contract: Level,
    /// The contract's policy.
    pub policy: Policy,
    /// The subject's own level before, if it had one.
    pub subject_level: Option<Level>,
    /// The global level, when the subject had none of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_level: Option<Level>,
    /// The policy the registry applied before (strict when it reports none).
    pub registry_policy: Policy,
    /// What was done.
    pub action: LevelAction,
    /// Something the registry did not take as asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// One contract's publication.
#[derive(Debug, Serialize)]
pub struct ContractOutcome {
    /// The contract.
    pub contract: String,
    /// Its subject.
    pub subject: String,
    /// Its level.
    pub level: LevelStep,
    /// Its versions, oldest first.
    pub versions: Vec<VersionStep>,
}

/// How many versions ended each way.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Registered by this run.
    pub registered: usize,
    /// Already there.
    pub already_registered: usize,
    /// A dry run would register them.
    pub would_register: usize,
    /// A dry run found them refused.
    pub would_be_refused: usize,
    /// Refused by the registry.
    pub refused: usize,
}

/// The outcome of publishing: the `--format json` document of `schemactl register`.
#[derive(Debug, Serialize)]
pub struct Publication {
    /// The registry's URL (never with credentials).
    pub registry: String,
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// Whether the registry normalized the schemas.
    pub normalize: bool,
    /// Each contract, referenced ones first.
    pub contracts: Vec<ContractOutcome>,
    /// The counts.
    pub summary: Summary,
}

impl Publication {
    /// Whether a version was refused, or a dry run found one the registry would refuse.
    pub fn refused(&self) -> bool {
        self.summary.refused + self.summary.would_be_refused > 0
    }

    /// The exit code: findings when anything was (or would be) refused.
    pub fn exit(&self) -> Exit {
        if self.refused() {
            Exit::Findings
        } else {
            Exit::Pass
        }
    }
}

impl Summary {
    fn of(contracts: &[ContractOutcome]) -> Summary {
        let count = |a: Action| {
            contracts
                .iter()
                .flat_map(|r| &r.versions)
                .filter(|v| v.action == a)
                .count()
        };
        Summary {
            registered: count(Action::Registered),
            already_registered: count(Action::AlreadyRegistered),
            would_register: count(Action::WouldRegister),
            would_be_refused: count(Action::WouldBeRefused),
            refused: count(Action::Refused),
        }
    }
}

/// The contracts to publish with their histories, read and ordered, before the registry is
/// touched.
#[derive(Debug)]
pub struct Plan {
    work: Vec<(Contract, Vec<SchemaFile>)>,
}

/// The registry version of each contract version this run registered or found, by contract
/// and history version, and whether a dry run only would register it.
type Registered = HashMap<(String, u32), PublishedAs>;

/// Where a contract version stands in the registry during a run.
#[derive(Clone, Copy, Debug)]
struct PublishedAs {
    /// Its version in the subject.
    version: i32,
    /// Whether only a dry run would register it (so the registry cannot resolve it yet).
    pending: bool,
}

impl Plan {
    /// Reads the selected contracts, every contract they reference, and their histories,
    /// ordered so that a referenced contract comes before the contracts that reference it.
    pub fn read(root: &Path, selection: &Selection) -> Result<Plan, PublishError> {
        let contracts = match selection {
            Selection::Contract(name) => vec![catalog::load_contract(root, name)?],
            Selection::All => catalog::load_contracts(root)?,
        };
        if contracts.is_empty() {
            return Err(PublishError::NoContracts(root.join("contracts")));
        }
        let work = referenced_first(root, contracts)?
            .into_iter()
            .map(|c| {
                let history = c.history()?;
                Ok((c, history))
            })
            .collect::<Result<Vec<_>, CatalogError>>()?;
        Ok(Plan { work })
    }

    /// Publishes every contract of the plan, in order, calling `each` with each contract's
    /// outcome as it is known (so a person sees progress before a later contract fails).
    pub async fn publish(
        &self,
        client: &RegistryClient,
        options: Options,
        mut each: impl FnMut(&ContractOutcome),
    ) -> Result<Publication, PublishError> {
        let mut contracts = Vec::new();
        let mut registered = Registered::new();
        for (contract, history) in &self.work {
            let outcome =
                publish_contract(client, contract, history, options, &mut registered).await?;
            each(&outcome);
            contracts.push(outcome);
        }
        Ok(Publication {
            registry: client.url().to_string(),
            dry_run: options.dry_run,
            normalize: options.normalize,
            summary: Summary::of(&contracts),
            contracts,
        })
    }
}

/// Whether a registered version carries the rule set the request sends (compared as rules,
/// so a registry that spells out defaults still matches); a registry whose lookup ignores
/// rule sets must not make a rule change look registered.
fn same_rules(request: &RegisterRequest, found: &SubjectVersion) -> bool {
    let Some(sent) = &request.rule_set else {
        return true;
    };
    let as_version = |rule_set: Option<&serde_json::Value>| catalog::VersionRules {
        rule_set: rule_set.cloned(),
        ..catalog::VersionRules::default()
    };
    as_version(found.rule_set.as_ref()).same_as(&as_version(Some(sent)))
}

/// The contracts in an order that puts every referenced contract before the contracts whose
/// versions reference it (the requested ones, and every contract they reach).
fn referenced_first(root: &Path, requested: Vec<Contract>) -> Result<Vec<Contract>, CatalogError> {
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

/// A registry error in the step `what` names.
fn at(what: &str) -> impl Fn(RegistryError) -> PublishError + '_ {
    move |error| PublishError::Registry {
        what: what.to_string(),
        error: Box::new(error),
    }
}

/// Sets the subject's level (and policy) to the contract's, or says a dry run would.
async fn level_step(
    client: &RegistryClient,
    contract: &Contract,
    dry_run: bool,
    what: &str,
) -> Result<LevelStep, PublishError> {
    let subject = &contract.subject;
    let settings = client.subject_settings(subject).await.map_err(at(what))?;
    let subject_level = settings.own.map(|c| c.level);
    let registry_policy = settings.policy();
    let policy_differs = registry_policy != contract.policy;
    let mut warning = None;
    let action = if subject_level == Some(contract.level) && !policy_differs {
        LevelAction::Unchanged
    } else if dry_run {
        LevelAction::WouldSet
    } else {
        let policy = policy_differs.then_some(contract.policy);
        client
            .set_config(Some(subject), contract.level, policy)
            .await
            .map_err(at(what))?;
        if policy.is_some() {
            // Registries without policies (Confluent's) ignore the field; say so rather than
            // let new versions be judged by a policy the contract does not use.
            let kept = client
                .subject_config(subject)
                .await
                .map_err(at(what))?
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
    Ok(LevelStep {
        contract: contract.level,
        policy: contract.policy,
        subject_level,
        global_level: settings.own.is_none().then_some(settings.global.level),
        registry_policy,
        action,
        warning,
    })
}

/// The rules of a version whose outcome depends on the Confluent client that runs them.
fn not_portable(rules: &[catalog::Rule], schema: &serde_json::Value) -> Vec<NotPortable> {
    portability::lint(rules, schema)
        .into_iter()
        .map(|finding| {
            let expr = rules
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
        .collect()
}

async fn publish_contract(
    client: &RegistryClient,
    contract: &Contract,
    history: &[SchemaFile],
    options: Options,
    registered: &mut Registered,
) -> Result<ContractOutcome, PublishError> {
    let subject = &contract.subject;
    let dry_run = options.dry_run;
    let context = format!("contract {} (subject \"{subject}\")", contract.name);
    let level = level_step(client, contract, dry_run, &context).await?;

    // The version number a dry run's next registration would get.
    let held = if dry_run {
        match client.versions(subject).await {
            Ok(numbers) => numbers,
            Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => Vec::new(),
            Err(e) => return Err(at(&context)(e)),
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
    let rule_sets = catalog::rule_history::rule_sets(contract, newest)?;
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
            let Some(&found) = registered.get(&(r.contract.clone(), r.version)) else {
                return Err(PublishError::ReferenceNotRegistered {
                    what,
                    name: r.name.clone(),
                    contract: r.contract.clone(),
                    version: r.version,
                });
            };
            references_pending |= found.pending;
            references.push(SchemaReference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: found.version,
            });
        }
        let own = rule_sets
            .iter()
            .find(|r| r.version == file.version)
            .cloned()
            .unwrap_or_default();
        let own_rules = own.rules();
        let count = own_rules.len();
        if dry_run {
            step.not_portable = not_portable(&own_rules, file.schema.document());
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
            .lookup(subject, &request, options.normalize)
            .await
            .map_err(at(&what))?
            .filter(|found| same_rules(&request, found));
        if found.is_none() && request.rule_set.is_some() {
            found = equivalent_version(client, subject, &request)
                .await
                .map_err(at(&what))?;
        }
        if let Some(found) = found {
            step.action = Action::AlreadyRegistered;
            step.version = Some(found.version);
            step.id = Some(found.id);
        } else if dry_run {
            step.version = Some(next_version);
            if references_pending {
                // Its references name versions this dry run has not registered: the
                // registry cannot resolve them yet.
                step.action = Action::WouldRegister;
                step.notes.push(
                    "it references versions this dry run would register first, so the registry cannot check it yet; `schemactl test` checks it offline".into(),
                );
            } else if holds_versions {
                dry_run_check(client, subject, &request, &mut step)
                    .await
                    .map_err(at(&what))?;
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
            match client.register(subject, &request, options.normalize).await {
                Ok(id) => {
                    step.action = Action::Registered;
                    step.id = Some(id);
                    // The register answer carries only the id; the lookup names the version.
                    step.version = client
                        .lookup(subject, &request, options.normalize)
                        .await
                        .map_err(at(&what))?
                        .map(|v| v.version);
                }
                Err(e) if e.is_incompatible() => {
                    step.action = Action::Refused;
                    step.messages = e.message().map(str::to_string).into_iter().collect();
                    refused = true;
                }
                Err(e) => return Err(at(&what)(e)),
            }
        }
        if let Some(version) = step.version
            && step.action != Action::WouldBeRefused
            && step.action != Action::Refused
        {
            let pending = step.action == Action::WouldRegister;
            registered.insert(
                (contract.name.clone(), file.version),
                PublishedAs { version, pending },
            );
        }
        versions.push(step);
    }
    Ok(ContractOutcome {
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
) -> Result<Option<SubjectVersion>, RegistryError> {
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
            .version_with_rules(subject, VersionRef::Number(n))
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
) -> Result<(), RegistryError> {
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
        Err(e) => return Err(e),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classified;

    fn step(action: Action) -> VersionStep {
        VersionStep {
            file: "schemas/generator/v1.json".into(),
            file_version: 1,
            action,
            version: None,
            id: None,
            messages: Vec::new(),
            rules: None,
            notes: Vec::new(),
            not_portable: Vec::new(),
        }
    }

    fn contract(versions: Vec<VersionStep>) -> ContractOutcome {
        ContractOutcome {
            contract: "generator".into(),
            subject: "emergency_generator-value".into(),
            level: LevelStep {
                contract: Level::BackwardTransitive,
                policy: Policy::Lenient,
                subject_level: None,
                global_level: Some(Level::Backward),
                registry_policy: Policy::Strict,
                action: LevelAction::WouldSet,
                warning: None,
            },
            versions,
        }
    }

    #[test]
    fn a_refusal_or_a_would_be_refusal_is_a_finding() {
        let publication = |versions| {
            let contracts = vec![contract(versions)];
            Publication {
                registry: "http://127.0.0.1:1".into(),
                dry_run: true,
                normalize: false,
                summary: Summary::of(&contracts),
                contracts,
            }
        };
        let fine = publication(vec![
            step(Action::AlreadyRegistered),
            step(Action::WouldRegister),
        ]);
        assert_eq!(fine.exit(), Exit::Pass);
        assert_eq!(fine.summary.already_registered, 1);
        assert_eq!(fine.summary.would_register, 1);
        let refused = publication(vec![
            step(Action::WouldBeRefused),
            step(Action::NotAttempted),
        ]);
        assert_eq!(refused.exit(), Exit::Findings);
        assert_eq!(refused.summary.would_be_refused, 1);
        assert_eq!(refused.summary.refused, 0);
    }

    #[test]
    fn the_json_document_keeps_the_order_and_names_of_the_register_output() {
        let contracts = vec![contract(vec![step(Action::Registered)])];
        let doc = serde_json::to_value(Publication {
            registry: "http://127.0.0.1:1".into(),
            dry_run: false,
            normalize: false,
            summary: Summary::of(&contracts),
            contracts,
        })
        .unwrap();
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["registry", "dry_run", "normalize", "contracts", "summary"]
        );
        assert_eq!(doc["summary"]["registered"], 1);
        assert_eq!(doc["contracts"][0]["versions"][0]["action"], "registered");
        assert_eq!(doc["contracts"][0]["level"]["action"], "would_set");
        // Absent optional fields stay out, as before.
        assert!(doc["contracts"][0]["versions"][0].get("id").is_none());
    }

    #[test]
    fn a_registry_failure_keeps_its_exit_code_and_names_the_contract() {
        let e = PublishError::Registry {
            what: "contract generator (subject \"s\")".into(),
            error: Box::new(RegistryError::NotConfigured),
        };
        assert_eq!(e.exit(), Exit::Usage);
        assert!(
            e.to_string()
                .starts_with("contract generator (subject \"s\"): no schema registry configured")
        );
        let down = PublishError::Registry {
            what: "contract generator (subject \"s\")".into(),
            error: Box::new(RegistryError::Timeout {
                url: "http://127.0.0.1:1".into(),
                op: "GET /config".into(),
                secs: 1.0,
            }),
        };
        assert_eq!(down.exit(), Exit::Infrastructure);
        assert_eq!(
            PublishError::NoContracts("contracts".into()).to_string(),
            "no contracts in contracts"
        );
    }
}
