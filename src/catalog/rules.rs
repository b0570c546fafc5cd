//! Data-contract rules and metadata in a contract: `[[rules]]` under Confluent's `Rule` field
//! names, and a `[metadata]` table, read with unknown keys refused and every CEL rule compiled
//! (so a rule that cannot run is an error naming the rule, the line and the column).

use crate::validate::rules::{CompileError, compile_check};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Rule types a contract may carry; the first two are evaluated by schemactl.
pub const KNOWN_TYPES: [&str; 5] = ["CEL", "CEL_FIELD", "JSONATA", "ENCRYPT", "ENCRYPT_PAYLOAD"];

/// Whether a rule is a check or rewrites the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum RuleKind {
    /// A check: the message passes or fails.
    #[default]
    CONDITION,
    /// Rewrites the message (never run by schemactl).
    TRANSFORM,
}

/// When Confluent's serializers run a rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum RuleMode {
    /// On produce.
    WRITE,
    /// On consume.
    READ,
    /// On produce and on consume.
    #[default]
    WRITEREAD,
    /// Migration from an older version.
    UPGRADE,
    /// Migration to an older version.
    DOWNGRADE,
    /// Both migrations.
    UPDOWN,
}

impl RuleMode {
    /// Whether the rule is a migration rule (Confluent's `migrationRules`).
    pub fn is_migration(self) -> bool {
        matches!(
            self,
            RuleMode::UPGRADE | RuleMode::DOWNGRADE | RuleMode::UPDOWN
        )
    }
}

/// One rule, as Confluent's `Rule` names its fields (the JSON sent to a registry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The rule's name, unique in its rule set.
    pub name: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// CONDITION or TRANSFORM.
    #[serde(default)]
    pub kind: RuleKind,
    /// When it runs.
    #[serde(default)]
    pub mode: RuleMode,
    /// The executor: CEL, CEL_FIELD, JSONATA, ENCRYPT, ...
    #[serde(rename = "type")]
    pub rule_type: String,
    /// For field rules: the field tags it applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Executor parameters (`dlq.topic`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// The expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// The action on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    /// The action on failure: NONE, ERROR, DLQ (or `write,read` for WRITEREAD and UPDOWN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// A disabled rule is kept but never run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

#[cfg(test)]
impl Rule {
    /// An enabled CONDITION of `rule_type` with `expr`, at the default mode (WRITEREAD) and
    /// with nothing else set: the rule the unit tests build.
    pub(crate) fn condition(name: &str, rule_type: &str, expr: &str) -> Rule {
        Rule {
            name: name.into(),
            doc: None,
            kind: RuleKind::default(),
            mode: RuleMode::default(),
            rule_type: rule_type.into(),
            tags: vec![],
            params: BTreeMap::new(),
            expr: Some(expr.into()),
            on_success: None,
            on_failure: None,
            disabled: false,
        }
    }
}

impl Rule {
    /// Whether schemactl evaluates this rule on payloads (an enabled CEL or CEL_FIELD condition).
    pub fn is_evaluated(&self) -> bool {
        !self.disabled
            && self.kind == RuleKind::CONDITION
            && !self.mode.is_migration()
            && matches!(self.rule_type.as_str(), "CEL" | "CEL_FIELD")
    }
}

/// Confluent's schema `metadata`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// Field path (`message.fuel`, wildcards allowed) → tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, Vec<String>>,
    /// Free-form properties (owner, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Names of properties whose values are secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
}

/// Confluent's `ruleSet`: domain rules and migration rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleSet {
    /// Migration rules (UPGRADE, DOWNGRADE, UPDOWN).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migration_rules: Vec<Rule>,
    /// Domain rules (WRITE, READ, WRITEREAD).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domain_rules: Vec<Rule>,
}

impl RuleSet {
    /// Splits a contract's rules the way Confluent's `ruleSet` holds them, in file order.
    pub fn from_rules(rules: &[Rule]) -> RuleSet {
        let (migration_rules, domain_rules) =
            rules.iter().cloned().partition(|r| r.mode.is_migration());
        RuleSet {
            migration_rules,
            domain_rules,
        }
    }

    /// Whether it holds no rule.
    pub fn is_empty(&self) -> bool {
        self.migration_rules.is_empty() && self.domain_rules.is_empty()
    }
}

/// A `[[rules]]` entry as written in a contract.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawRule {
    name: Spanned<String>,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    kind: RuleKind,
    #[serde(default)]
    mode: RuleMode,
    #[serde(rename = "type", default)]
    rule_type: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    #[serde(default)]
    expr: Option<Spanned<String>>,
    #[serde(default)]
    on_success: Option<Spanned<String>>,
    #[serde(default)]
    on_failure: Option<Spanned<String>>,
    #[serde(default)]
    disabled: bool,
}

/// The hint for a malformed `[[rules]]` entry or `[metadata]` table.
pub(super) const HINT: &str = "[[rules]] takes name, expr, doc, kind (CONDITION|TRANSFORM), mode (WRITE|READ|WRITEREAD|UPGRADE|DOWNGRADE|UPDOWN), type (CEL|CEL_FIELD|JSONATA|ENCRYPT|ENCRYPT_PAYLOAD), tags, params, onSuccess, onFailure (NONE|ERROR|DLQ), disabled; [metadata] takes properties, tags, sensitive";

/// A contract's `[[rules]]` or `[metadata]` that cannot be used; each names the place in the
/// file ("line L, column C") and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A rule without a name.
    #[error("{at}: a rule's name must not be empty\nhelp: {HINT}")]
    EmptyName {
        /// Where.
        at: String,
    },
    /// Two rules of one name.
    #[error(
        "{at}: duplicate rule name \"{name}\" (first at {first})\nhelp: rule names are unique in a rule set; rename one"
    )]
    DuplicateName {
        /// Where the second one is.
        at: String,
        /// The name.
        name: String,
        /// Where the first one is.
        first: String,
    },
    /// A type Confluent does not know.
    #[error("{at}: rule \"{name}\": unknown rule type \"{rule_type}\"\nhelp: types: {}", KNOWN_TYPES.join(", "))]
    UnknownType {
        /// Where.
        at: String,
        /// The rule.
        name: String,
        /// The type as written.
        rule_type: String,
    },
    /// `onSuccess` or `onFailure` that is not an action.
    #[error(
        "{at}: rule \"{rule}\": {key} = \"{value}\" is not an action\nhelp: use NONE, ERROR or DLQ (or \"write,read\" such as \"ERROR,NONE\" when mode is WRITEREAD or UPDOWN)"
    )]
    NotAnAction {
        /// Where.
        at: String,
        /// The rule.
        rule: String,
        /// `onSuccess` or `onFailure`.
        key: String,
        /// The value as written.
        value: String,
    },
    /// `onFailure = "DLQ"` without `dlq.topic`.
    #[error(
        "{at}: rule \"{name}\": onFailure DLQ needs the topic in params\nhelp: add params = {{ \"dlq.topic\" = \"<topic>\" }}"
    )]
    DlqWithoutTopic {
        /// Where.
        at: String,
        /// The rule.
        name: String,
    },
    /// A rule type that needs an expression, without one.
    #[error("{at}: rule \"{name}\" of type {rule_type} needs an `expr`\nhelp: {HINT}")]
    NeedsExpr {
        /// Where.
        at: String,
        /// The rule.
        name: String,
        /// Its type.
        rule_type: String,
    },
    /// A CEL expression that does not compile.
    #[error("{at}: rule \"{name}\": {error}\nhelp: {help}")]
    DoesNotCompile {
        /// Where in the expression.
        at: String,
        /// The rule.
        name: String,
        /// What the compiler said.
        error: CompileError,
        /// What to do.
        help: String,
    },
    /// `[metadata] sensitive` names a property `[metadata] properties` lacks.
    #[error(
        "[metadata] sensitive names \"{0}\", which is not in [metadata] properties\nhelp: {HINT}"
    )]
    SensitiveNotAProperty(String),
    /// The contract text is not TOML (when read for its rules alone).
    #[error("{0}")]
    NotToml(String),
}

/// "line L, column C" of byte offset `at` in `text`.
pub(super) fn place(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].chars().rev().take_while(|c| *c != '\n').count() + 1;
    format!("line {line}, column {col}")
}

/// The byte offset in the file of byte `offset` of the string value spanning `span`, when the
/// value is written as a one-line literal string (no escapes to shift columns); else the
/// start of the value.
fn offset_in_value(text: &str, span: std::ops::Range<usize>, offset: usize) -> usize {
    let raw = &text[span.clone()];
    let one_line = !raw.starts_with("'''") && !raw.starts_with("\"\"\"");
    let plain = raw.starts_with('\'') || (raw.starts_with('"') && !raw.contains('\\'));
    if one_line && plain {
        span.start + 1 + offset
    } else {
        span.start
    }
}

fn check_action(
    text: &str,
    rule: &str,
    mode: RuleMode,
    key: &str,
    value: &Spanned<String>,
) -> Result<(), RuleError> {
    let parts: Vec<&str> = value.get_ref().split(',').map(str::trim).collect();
    let pair_ok = matches!(mode, RuleMode::WRITEREAD | RuleMode::UPDOWN);
    let ok = (parts.len() == 1 || (parts.len() == 2 && pair_ok))
        && parts.iter().all(|p| matches!(*p, "NONE" | "ERROR" | "DLQ"));
    if ok {
        return Ok(());
    }
    Err(RuleError::NotAnAction {
        at: place(text, value.span().start),
        rule: rule.to_string(),
        key: key.to_string(),
        value: value.get_ref().clone(),
    })
}

/// Checks a contract's `[[rules]]` (names unique, types known, actions valid, CEL compiled) and
/// returns them with the contract defaults filled in. `text` is the contract file, for places.
pub(super) fn check_rules(text: &str, raw: Vec<RawRule>) -> Result<Vec<Rule>, RuleError> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut rules = Vec::with_capacity(raw.len());
    for r in raw {
        let name = r.name.get_ref().trim().to_string();
        let at = place(text, r.name.span().start);
        if name.is_empty() {
            return Err(RuleError::EmptyName { at });
        }
        if let Some(first) = seen.insert(name.clone(), r.name.span().start) {
            return Err(RuleError::DuplicateName {
                at,
                name,
                first: place(text, first),
            });
        }
        let rule_type = r
            .rule_type
            .as_ref()
            .map_or_else(|| "CEL".to_string(), |t| t.get_ref().clone());
        if !KNOWN_TYPES.contains(&rule_type.as_str()) {
            let span = r.rule_type.as_ref().map_or(0, |t| t.span().start);
            return Err(RuleError::UnknownType {
                at: place(text, span),
                name,
                rule_type,
            });
        }
        for (key, value) in [("onSuccess", &r.on_success), ("onFailure", &r.on_failure)] {
            if let Some(v) = value {
                check_action(text, &name, r.mode, key, v)?;
            }
        }
        let on_failure = r
            .on_failure
            .as_ref()
            .map_or_else(|| "ERROR".to_string(), |v| v.get_ref().clone());
        if on_failure.contains("DLQ") && !r.params.contains_key("dlq.topic") {
            return Err(RuleError::DlqWithoutTopic { at, name });
        }
        let needs_expr = matches!(rule_type.as_str(), "CEL" | "CEL_FIELD" | "JSONATA");
        if needs_expr && r.expr.is_none() {
            return Err(RuleError::NeedsExpr {
                at,
                name,
                rule_type,
            });
        }
        let rule = Rule {
            name: name.clone(),
            doc: r.doc,
            kind: r.kind,
            mode: r.mode,
            rule_type,
            tags: r.tags,
            params: r.params,
            expr: r.expr.as_ref().map(|e| e.get_ref().clone()),
            on_success: r.on_success.map(Spanned::into_inner),
            on_failure: Some(on_failure),
            disabled: r.disabled,
        };
        if matches!(rule.rule_type.as_str(), "CEL" | "CEL_FIELD")
            && let Some(expr) = &r.expr
        {
            compile_check(&rule).map_err(|e| {
                let where_ = match &e {
                    CompileError::Parse { offset, .. } => {
                        offset_in_value(text, expr.span(), *offset)
                    }
                    _ => expr.span().start,
                };
                RuleError::DoesNotCompile {
                    at: place(text, where_),
                    name: name.clone(),
                    help: e.help(),
                    error: e,
                }
            })?;
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// Checks `[metadata]`: every `sensitive` name is a property.
pub(super) fn check_metadata(metadata: &Metadata) -> Result<(), RuleError> {
    let props: BTreeSet<&str> = metadata.properties.keys().map(String::as_str).collect();
    if let Some(missing) = metadata
        .sensitive
        .iter()
        .find(|s| !props.contains(s.as_str()))
    {
        return Err(RuleError::SensitiveNotAProperty(missing.clone()));
    }
    Ok(())
}

/// A contract text's `[[rules]]` and `[metadata]` alone (the rest of the file is not read), as
/// `check-compat --base` reads the contract as it stood at a git ref.
pub fn rules_in_contract_text(text: &str) -> Result<(Vec<Rule>, Option<Metadata>), RuleError> {
    #[derive(Deserialize)]
    struct Only {
        #[serde(default)]
        rules: Vec<RawRule>,
        metadata: Option<Metadata>,
    }
    let only: Only =
        toml::from_str(text).map_err(|e| RuleError::NotToml(e.message().to_string()))?;
    Ok((check_rules(text, only.rules)?, only.metadata))
}
