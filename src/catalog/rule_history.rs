//! Rule sets versioned with the schema history.
//!
//! A registry keeps, for each version of a subject, the `metadata` and `ruleSet` it was
//! registered with. On disk, history version N's are in `vN.rules.json` beside `vN.json`: the
//! two fields exactly as Confluent's API carries them, kept as written (so rule types schemactl
//! does not run, and fields it does not know, go back to a registry unchanged). The newest
//! version's rule set is the contract's `[[rules]]` and `[metadata]`, or, when the contract has
//! neither, the newest version's `vN.rules.json` (as `pull` and `init --from-registry` write
//! it); both at once is refused. A version with neither carries no rule set of its own.
//!
//! A change to the rules alone is a new registry version of the same schema; in the history it
//! is a new `vN.json` holding the same schema text, and the rule set it replaces stays beside
//! the earlier file, published and immutable (`check-compat --base` checks it).

use super::CatalogError;
use super::history::version_of;
use super::rules::{Metadata, Rule, RuleSet};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The version number of a rule-set file name (`v3.rules.json` → 3).
pub fn rules_version_of(name: &str) -> Option<u32> {
    name.strip_prefix('v')?
        .strip_suffix(".rules.json")?
        .parse()
        .ok()
        .filter(|&v| v > 0)
}

/// The rule-set file of history version `version` in `dir`.
pub fn rules_path(dir: &Path, version: u32) -> PathBuf {
    dir.join(format!("v{version}.rules.json"))
}

/// The metadata and rule set one history version is registered with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionRules {
    /// The history version.
    pub version: u32,
    /// Where it is written (a `vN.rules.json` or the contract); `None` when nothing is.
    pub source: Option<PathBuf>,
    /// Confluent's `metadata`, as written.
    pub metadata: Option<Value>,
    /// Confluent's `ruleSet`, as written.
    pub rule_set: Option<Value>,
}

impl VersionRules {
    /// Every rule of the set, migration rules first (as Confluent lists them), then domain and
    /// encoding rules; rules that do not read as a `Rule` are left out (they are still sent as
    /// written).
    pub fn rules(&self) -> Vec<Rule> {
        let Some(set) = &self.rule_set else {
            return Vec::new();
        };
        ["migrationRules", "domainRules", "encodingRules"]
            .iter()
            .filter_map(|k| set.get(k)?.as_array())
            .flatten()
            .filter_map(|r| serde_json::from_value(r.clone()).ok())
            .collect()
    }

    /// The metadata as the evaluator reads it (tags), when it reads as such.
    pub fn typed_metadata(&self) -> Option<Metadata> {
        self.metadata
            .as_ref()
            .and_then(|m| serde_json::from_value(m.clone()).ok())
    }

    /// Whether the version carries a rule set or metadata of its own.
    pub fn is_empty(&self) -> bool {
        self.metadata.is_none() && self.rule_set.is_none()
    }

    /// The same rule set and metadata as `other`, compared as Confluent's objects: key order
    /// and the contract's defaults written out or left implicit make no difference.
    pub fn same_as(&self, other: &VersionRules) -> bool {
        normalized(self.rule_set.as_ref()) == normalized(other.rule_set.as_ref())
            && self.metadata.as_ref().filter(|m| !is_empty_object(m))
                == other.metadata.as_ref().filter(|m| !is_empty_object(m))
    }

    /// The file text written for it: the two fields, indented, in Confluent's names.
    pub fn file_text(&self) -> String {
        let mut doc = serde_json::Map::new();
        if let Some(m) = &self.metadata {
            doc.insert("metadata".into(), m.clone());
        }
        if let Some(r) = &self.rule_set {
            doc.insert("ruleSet".into(), r.clone());
        }
        format!(
            "{}\n",
            serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default()
        )
    }

    /// A contract's `[[rules]]` and `[metadata]` as the registry's two fields.
    pub fn from_contract(
        version: u32,
        source: &Path,
        rules: &[Rule],
        metadata: Option<&Metadata>,
    ) -> VersionRules {
        let set = RuleSet::from_rules(rules);
        VersionRules {
            version,
            source: Some(source.to_path_buf()),
            metadata: metadata.map(|m| serde_json::to_value(m).unwrap_or_default()),
            rule_set: (!set.is_empty()).then(|| serde_json::to_value(&set).unwrap_or_default()),
        }
    }
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(serde_json::Map::is_empty)
}

/// A rule set with Confluent's defaults filled in (kind CONDITION, mode WRITEREAD, onFailure
/// ERROR for a condition) and empty lists dropped, for comparing two spellings of one set.
fn normalized(set: Option<&Value>) -> Option<Value> {
    let set = set?.as_object()?;
    let mut out = serde_json::Map::new();
    for (key, list) in set {
        let Some(rules) = list.as_array() else {
            out.insert(key.clone(), list.clone());
            continue;
        };
        if rules.is_empty() {
            continue;
        }
        let rules = rules
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.entry("kind").or_insert_with(|| "CONDITION".into());
                    o.entry("mode").or_insert_with(|| "WRITEREAD".into());
                    if o.get("kind").and_then(Value::as_str) == Some("CONDITION") {
                        o.entry("onFailure").or_insert_with(|| "ERROR".into());
                    }
                    o.entry("disabled").or_insert(Value::Bool(false));
                    o.retain(|_, v| {
                        !(v.is_null()
                            || v.as_array().is_some_and(Vec::is_empty)
                            || v.as_object().is_some_and(serde_json::Map::is_empty))
                    });
                }
                r
            })
            .collect();
        out.insert(key.clone(), Value::Array(rules));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Reads a `vN.rules.json` text: only `metadata` and `ruleSet`, every rule with a name and a
/// type, names unique, CEL rules compiled. Rule types schemactl does not know are kept (a
/// registry may hold them); they are never evaluated.
pub fn parse_rules_text(
    path: &Path,
    text: &str,
    version: u32,
) -> Result<VersionRules, CatalogError> {
    let err = |message: String| CatalogError::Schema {
        path: path.to_path_buf(),
        message,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        err(format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(map) = &doc else {
        return Err(err(
            "a rule-set file is a JSON object with `metadata` and `ruleSet`, as the registry returns them".into(),
        ));
    };
    if let Some(other) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "metadata" | "ruleSet"))
    {
        return Err(err(format!(
            "unknown key \"{other}\"\nhelp: a rule-set file holds `metadata` and `ruleSet` only, as Confluent's API names them"
        )));
    }
    let metadata = map.get("metadata").filter(|v| !v.is_null()).cloned();
    let rule_set = map.get("ruleSet").filter(|v| !v.is_null()).cloned();
    if let Some(m) = &metadata
        && !m.is_object()
    {
        return Err(err("`metadata` must be an object".into()));
    }
    let mut names = BTreeSet::new();
    if let Some(set) = &rule_set {
        let Some(lists) = set.as_object() else {
            return Err(err(
                "`ruleSet` must be an object (domainRules, migrationRules)".into(),
            ));
        };
        for (list, rules) in lists {
            let Some(rules) = rules.as_array() else {
                continue;
            };
            for (i, raw) in rules.iter().enumerate() {
                let rule: Rule = serde_json::from_value(raw.clone()).map_err(|e| {
                    err(format!(
                        "ruleSet.{list}[{i}]: {e}\nhelp: a rule needs at least `name` and `type`"
                    ))
                })?;
                if !names.insert(rule.name.clone()) {
                    return Err(err(format!(
                        "ruleSet.{list}[{i}]: duplicate rule name \"{}\"\nhelp: rule names are unique in a rule set; rename one",
                        rule.name
                    )));
                }
                if matches!(rule.rule_type.as_str(), "CEL" | "CEL_FIELD") && rule.is_evaluated() {
                    crate::validate::rules::compile_check(&rule).map_err(|e| {
                        err(format!(
                            "ruleSet.{list}[{i}]: rule \"{}\": {e}\nhelp: {}",
                            rule.name,
                            e.help()
                        ))
                    })?;
                }
            }
        }
    }
    Ok(VersionRules {
        version,
        source: Some(path.to_path_buf()),
        metadata,
        rule_set,
    })
}

/// Every `vN.rules.json` in `dir`, by version; one without its `vN.json` is refused.
pub fn load_rule_files(dir: &Path) -> Result<BTreeMap<u32, VersionRules>, CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names = BTreeSet::new();
    for entry in entries.flatten() {
        names.insert(entry.file_name().to_string_lossy().into_owned());
    }
    let mut out = BTreeMap::new();
    for name in &names {
        let Some(version) = rules_version_of(name) else {
            continue;
        };
        let path = dir.join(name);
        if !names.contains(&format!("v{version}.json")) {
            return Err(CatalogError::Schema {
                path,
                message: format!(
                    "a rule set for version {version}, which the history does not have (no v{version}.json)"
                ),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
            path: path.clone(),
            source,
        })?;
        out.insert(version, parse_rules_text(&path, &text, version)?);
    }
    Ok(out)
}

/// The newest history version in `dir` (the highest `vN.json`), if any.
pub fn newest_version(dir: &Path) -> Option<u32> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| version_of(&e.file_name().to_string_lossy()))
        .max()
}

/// The rule set of every history version 1..=`newest`: `vN.rules.json` where written, the
/// contract's `[[rules]]`/`[metadata]` for the newest when it has no file.
pub fn rule_sets(
    contract: &super::Contract,
    newest: u32,
) -> Result<Vec<VersionRules>, CatalogError> {
    let mut files = load_rule_files(&contract.schemas)?;
    Ok((1..=newest)
        .map(|v| match files.remove(&v) {
            Some(f) => f,
            None if v == newest => VersionRules::from_contract(
                v,
                &contract.file,
                &contract.rules,
                contract.metadata.as_ref(),
            ),
            None => VersionRules {
                version: v,
                ..VersionRules::default()
            },
        })
        .map(|mut r| {
            if r.is_empty() {
                r.source = None;
            }
            r
        })
        .collect())
}

/// For a contract being read: when it has no `[[rules]]` and no `[metadata]`, the newest
/// version's `vN.rules.json` gives them; when it has either and that file exists too, the
/// contract is refused, since one version would have two rule sets.
pub(super) fn newest_from_history(
    schemas: &Path,
    rules: Vec<Rule>,
    metadata: Option<Metadata>,
) -> Result<(Vec<Rule>, Option<Metadata>), CatalogError> {
    let Some(newest) = newest_version(schemas) else {
        return Ok((rules, metadata));
    };
    let path = rules_path(schemas, newest);
    if !path.is_file() {
        return Ok((rules, metadata));
    }
    if !rules.is_empty() || metadata.is_some() {
        return Err(CatalogError::TwoRuleSets {
            path,
            version: newest,
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
        path: path.clone(),
        source,
    })?;
    let found = parse_rules_text(&path, &text, newest)?;
    Ok((found.rules(), found.typed_metadata()))
}

/// A published version whose rule set differs from the one it had at a git ref.
#[derive(Clone, Debug, PartialEq)]
pub struct RewrittenRuleSet {
    /// The history version.
    pub version: u32,
    /// Where its rule set was written at the ref (a `vN.rules.json` or the contract).
    pub was_in: Option<PathBuf>,
    /// Where it is written now.
    pub now_in: Option<PathBuf>,
    /// How many rules it had at the ref.
    pub was: usize,
    /// How many it has now.
    pub now: usize,
}

/// Every version published at `base` whose rule set (or metadata) is not the one it had
/// then: a registered rule set is as immutable as a registered schema. At `base`, the newest
/// version's rule set was the contract's `[[rules]]`/`[metadata]` unless a `vN.rules.json` held
/// it, as today. When newer versions have been added since, that version may leave its rule set
/// to the contract for as long as the contract's rules stay as they were (adding a schema
/// version does not move the rules); once they change, it needs its `vN.rules.json`.
pub fn rewritten_since(
    contract: &super::Contract,
    base: &str,
) -> Result<Vec<RewrittenRuleSet>, CatalogError> {
    let dir = &contract.schemas;
    let published: Vec<u32> = super::git::history_at(dir, base)?
        .iter()
        .map(|p| p.version)
        .collect();
    let Some(&base_newest) = published.iter().max() else {
        return Ok(Vec::new());
    };
    let mut then: BTreeMap<u32, VersionRules> = BTreeMap::new();
    for f in super::git::rule_files_at(dir, base)? {
        let path = rules_path(dir, f.version);
        let shown = PathBuf::from(format!("{} at {base}", path.display()));
        then.insert(f.version, parse_rules_text(&shown, &f.text, f.version)?);
    }
    if !then.contains_key(&base_newest)
        && let Some(text) = super::git::file_at(&contract.file, base)?
    {
        let (rules, metadata) =
            super::rules::rules_in_contract_text(&text).map_err(|e| CatalogError::Contract {
                path: PathBuf::from(format!("{} at {base}", contract.file.display())),
                message: e.to_string(),
            })?;
        then.insert(
            base_newest,
            VersionRules::from_contract(base_newest, &contract.file, &rules, metadata.as_ref()),
        );
    }
    let now_newest = newest_version(dir).unwrap_or(0);
    let now: BTreeMap<u32, VersionRules> = rule_sets(contract, now_newest)?
        .into_iter()
        .map(|r| (r.version, r))
        .collect();
    let mut out = Vec::new();
    for v in published {
        // A deleted version is VERSION_DELETED already.
        let Some(current) = now.get(&v) else {
            continue;
        };
        let old = then.remove(&v).unwrap_or_default();
        // The newest version at the ref took the contract's rules; a newer version now takes
        // them, and that one written nowhere else keeps them as long as they did not change.
        let carried = v == base_newest
            && v < now_newest
            && current.is_empty()
            && !old.is_empty()
            && old.source.as_deref() == Some(contract.file.as_path());
        let current = if carried {
            &VersionRules::from_contract(
                v,
                &contract.file,
                &contract.rules,
                contract.metadata.as_ref(),
            )
        } else {
            current
        };
        if !old.same_as(current) {
            out.push(RewrittenRuleSet {
                version: v,
                was_in: old.source.clone().filter(|_| !old.is_empty()),
                now_in: current.source.clone(),
                was: old.rules().len(),
                now: current.rules().len(),
            });
        }
    }
    Ok(out)
}

/// How a rule differs between two versions' rule sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum RuleChangeKind {
    /// The newer rule set has a rule the older one does not.
    RULE_ADDED,
    /// The older rule set has a rule the newer one does not.
    RULE_REMOVED,
    /// A rule of the same name differs (expression, mode, action, ...).
    RULE_CHANGED,
}

/// One field of a rule that changed: its old and new values as JSON (`null`: absent).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RuleFieldChange {
    /// The field, as Confluent names it (`expr`, `onFailure`, ...).
    pub field: String,
    /// Before.
    pub old: Value,
    /// After.
    pub new: Value,
}

/// A rule added, removed or changed between two rule sets.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RuleChange {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: RuleChangeKind,
    /// The rule's name.
    pub rule: String,
    /// The expression before, if there was one.
    pub old_expr: Option<String>,
    /// The expression after, if there is one.
    pub new_expr: Option<String>,
    /// For a changed rule: every field that differs, `expr` included.
    pub changes: Vec<RuleFieldChange>,
}

impl RuleChange {
    /// One sentence for a person: the rule, and old → new.
    pub fn message(&self) -> String {
        let expr = |e: &Option<String>| e.clone().unwrap_or_else(|| "(no expr)".into());
        match self.kind {
            RuleChangeKind::RULE_ADDED => {
                format!("rule \"{}\" added: {}", self.rule, expr(&self.new_expr))
            }
            RuleChangeKind::RULE_REMOVED => {
                format!(
                    "rule \"{}\" removed (was {})",
                    self.rule,
                    expr(&self.old_expr)
                )
            }
            RuleChangeKind::RULE_CHANGED => format!(
                "rule \"{}\" changed: {}",
                self.rule,
                self.changes
                    .iter()
                    .map(|c| if c.field == "expr" {
                        format!("expr {} → {}", expr(&self.old_expr), expr(&self.new_expr))
                    } else {
                        format!("{} {} → {}", c.field, c.old, c.new)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// Each rule of a rule set by name, with defaults filled in and the list it is in (`domainRules`,
/// `migrationRules`, ...) as a field, in set order.
fn rules_by_name(set: Option<&Value>) -> Vec<(String, serde_json::Map<String, Value>)> {
    let Some(Value::Object(lists)) = normalized(set) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (list, rules) in &lists {
        for rule in rules.as_array().into_iter().flatten() {
            let Some(mut fields) = rule.as_object().cloned() else {
                continue;
            };
            let name = fields
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default();
            fields.insert("ruleSet list".into(), Value::String(list.clone()));
            out.push((name, fields));
        }
    }
    out
}

/// The rules added, removed and changed from `old` to `new`: removed and changed in the old
/// set's order, then added in the new set's.
pub fn rule_changes(old: &VersionRules, new: &VersionRules) -> Vec<RuleChange> {
    let before = rules_by_name(old.rule_set.as_ref());
    let after = rules_by_name(new.rule_set.as_ref());
    let expr = |m: &serde_json::Map<String, Value>| {
        m.get("expr").and_then(Value::as_str).map(str::to_string)
    };
    let mut out = Vec::new();
    for (name, was) in &before {
        match after.iter().find(|(n, _)| n == name) {
            None => out.push(RuleChange {
                kind: RuleChangeKind::RULE_REMOVED,
                rule: name.clone(),
                old_expr: expr(was),
                new_expr: None,
                changes: Vec::new(),
            }),
            Some((_, now)) if now != was => {
                let keys: BTreeSet<&String> = was.keys().chain(now.keys()).collect();
                // `expr` first: it is what a reader looks for.
                let mut changes: Vec<RuleFieldChange> = keys
                    .into_iter()
                    .filter(|k| was.get(*k) != now.get(*k))
                    .map(|k| RuleFieldChange {
                        field: k.clone(),
                        old: was.get(k).cloned().unwrap_or(Value::Null),
                        new: now.get(k).cloned().unwrap_or(Value::Null),
                    })
                    .collect();
                changes.sort_by_key(|c| c.field != "expr");
                out.push(RuleChange {
                    kind: RuleChangeKind::RULE_CHANGED,
                    rule: name.clone(),
                    old_expr: expr(was),
                    new_expr: expr(now),
                    changes,
                });
            }
            Some(_) => {}
        }
    }
    for (name, now) in &after {
        if !before.iter().any(|(n, _)| n == name) {
            out.push(RuleChange {
                kind: RuleChangeKind::RULE_ADDED,
                rule: name.clone(),
                old_expr: None,
                new_expr: expr(now),
                changes: Vec::new(),
            });
        }
    }
    out
}

/// The rule set a schema file is diffed with: `rules` when given (a `vN.rules.json`, or a
/// contract whose `[[rules]]`/`[metadata]` to take), else the `vN.rules.json` beside
/// `schema_file` if there is one, else none.
pub fn rules_for_file(
    schema_file: &Path,
    rules: Option<&Path>,
) -> Result<VersionRules, CatalogError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    if let Some(path) = rules {
        let text = read(path)?;
        if path.extension().is_some_and(|x| x == "toml") {
            let (rules, metadata) = super::rules::rules_in_contract_text(&text).map_err(|e| {
                CatalogError::Contract {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }
            })?;
            return Ok(VersionRules::from_contract(
                0,
                path,
                &rules,
                metadata.as_ref(),
            ));
        }
        return parse_rules_text(path, &text, 0);
    }
    let beside = schema_file
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".json"))
        .map(|stem| schema_file.with_file_name(format!("{stem}.rules.json")));
    match beside {
        Some(path) if path.is_file() => parse_rules_text(&path, &read(&path)?, 0),
        _ => Ok(VersionRules::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rule_changes_name_each_rule_with_old_and_new() {
        let old = VersionRules {
            rule_set: Some(json!({"domainRules": [
                {"name": "fuel", "type": "CEL", "expr": "message.fuel >= 0"},
                {"name": "gone", "type": "CEL", "expr": "true"},
                {"name": "same", "type": "CEL", "expr": "true", "onFailure": "ERROR"}
            ]})),
            ..VersionRules::default()
        };
        let new = VersionRules {
            rule_set: Some(json!({"domainRules": [
                {"name": "fuel", "type": "CEL", "expr": "message.fuel >= -10", "onFailure": "NONE"},
                {"name": "same", "type": "CEL", "expr": "true"},
                {"name": "new", "type": "CEL", "expr": "message.pressure >= 100"}
            ]})),
            ..VersionRules::default()
        };
        let changes = rule_changes(&old, &new);
        let kinds: Vec<_> = changes.iter().map(|c| (c.kind, c.rule.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (RuleChangeKind::RULE_CHANGED, "fuel"),
                (RuleChangeKind::RULE_REMOVED, "gone"),
                (RuleChangeKind::RULE_ADDED, "new")
            ]
        );
        assert_eq!(
            changes[0].message(),
            "rule \"fuel\" changed: expr message.fuel >= 0 → message.fuel >= -10; onFailure \"ERROR\" → \"NONE\""
        );
        assert!(rule_changes(&old, &old).is_empty());
    }

    #[test]
    fn rule_file_names_carry_their_version() {
        assert_eq!(rules_version_of("v3.rules.json"), Some(3));
        assert_eq!(rules_version_of("v0.rules.json"), None);
        assert_eq!(rules_version_of("v3.json"), None);
        assert_eq!(version_of("v3.rules.json"), None);
    }

    #[test]
    fn two_spellings_of_one_rule_set_are_the_same_and_an_edit_is_not() {
        let written = VersionRules {
            rule_set: Some(
                json!({"domainRules": [{"name": "f", "type": "CEL", "expr": "message.fuel >= 0"}]}),
            ),
            ..VersionRules::default()
        };
        let spelled_out = VersionRules {
            rule_set: Some(
                json!({"domainRules": [{"expr": "message.fuel >= 0", "name": "f", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL", "onFailure": "ERROR", "disabled": false, "tags": []}], "migrationRules": []}),
            ),
            ..VersionRules::default()
        };
        assert!(written.same_as(&spelled_out));
        let edited = VersionRules {
            rule_set: Some(
                json!({"domainRules": [{"name": "f", "type": "CEL", "expr": "message.fuel >= 1"}]}),
            ),
            ..VersionRules::default()
        };
        assert!(!written.same_as(&edited));
        assert!(!written.same_as(&VersionRules::default()));
    }

    #[test]
    fn a_rule_file_keeps_unknown_types_and_fields_as_written() {
        let text = r#"{"ruleSet": {"domainRules": [{"name": "x", "type": "FUTURE_TYPE", "kind": "CONDITION", "mode": "WRITE", "somethingNew": 1}], "encodingRules": [{"name": "e", "type": "ENCRYPT_PAYLOAD", "kind": "TRANSFORM", "mode": "WRITEREAD"}]}}"#;
        let r = parse_rules_text(Path::new("v1.rules.json"), text, 1).unwrap();
        let back: Value = serde_json::from_str(&r.file_text()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(r.rules().len(), 2);
        assert!(r.rules().iter().all(|r| !r.is_evaluated()));
    }

    #[test]
    fn bad_rule_files_name_the_rule() {
        let bad = |text: &str, needle: &str| {
            let e = parse_rules_text(Path::new("v2.rules.json"), text, 2)
                .unwrap_err()
                .to_string();
            assert!(e.contains("v2.rules.json") && e.contains(needle), "{e}");
        };
        bad("{", "line 1");
        bad(r#"{"rules": []}"#, "unknown key \"rules\"");
        bad(
            r#"{"ruleSet": {"domainRules": [{"name": "a", "type": "CEL", "expr": "true"}, {"name": "a", "type": "CEL", "expr": "true"}]}}"#,
            "duplicate rule name \"a\"",
        );
        bad(
            r#"{"ruleSet": {"domainRules": [{"name": "a", "type": "CEL", "expr": "message.fuel >="}]}}"#,
            "rule \"a\"",
        );
        bad(
            r#"{"ruleSet": {"domainRules": [{"type": "CEL", "expr": "true"}]}}"#,
            "domainRules[0]",
        );
    }
}
