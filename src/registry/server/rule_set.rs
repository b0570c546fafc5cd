//! The checks Confluent's registry makes of a registration's `ruleSet` before it stores it
//! (its `RuleSet.validate` and the types its JSON reader insists on). The rules themselves run
//! in the clients; the registry only keeps them, as registered.

use super::error::ApiError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// The longest rule name, in UTF-16 code units as Java counts them.
const NAME_MAX_LENGTH: usize = 256;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleSet {
    migration_rules: Option<Vec<Rule>>,
    domain_rules: Option<Vec<Rule>>,
    encoding_rules: Option<Vec<Rule>>,
    #[allow(dead_code)]
    enable_at: Option<EnableAt>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Rule {
    name: Option<String>,
    doc: Option<String>,
    kind: Option<Kind>,
    mode: Option<Mode>,
    #[serde(rename = "type")]
    rule_type: Option<String>,
    tags: Option<Vec<String>>,
    params: Option<BTreeMap<String, String>>,
    expr: Option<String>,
    on_success: Option<String>,
    on_failure: Option<String>,
    disabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Kind {
    Transform,
    Condition,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Mode {
    Upgrade,
    Downgrade,
    Updown,
    Write,
    Read,
    Writeread,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum EnableAt {
    All,
    Client,
    Gateway,
    Server,
    None,
}

/// Checks a rule set as Confluent does: 422 when a field has the wrong type or an unknown
/// enum value (its JSON reader refuses those), 42210 when `RuleSet.validate` would.
pub fn check(rule_set: &Value) -> Result<(), ApiError> {
    let parsed = RuleSet::deserialize(rule_set)
        .map_err(|e| ApiError::Unprocessable(format!("Invalid request body: ruleSet: {e}")))?;
    let lists = [
        ("migrationRules", &parsed.migration_rules, true),
        ("domainRules", &parsed.domain_rules, false),
        ("encodingRules", &parsed.encoding_rules, false),
    ];
    let mut names = HashSet::new();
    for (list, rules, migration) in lists {
        for rule in rules.iter().flatten() {
            let name = rule.name.as_deref();
            let invalid = |why: String| {
                ApiError::InvalidRuleSet(format!("{list}: rule '{}': {why}", name.unwrap_or("")))
            };
            if !names.insert(name) {
                return Err(invalid("found rule with duplicate name".into()));
            }
            check_name(name).map_err(|e| invalid(e.to_string()))?;
            if rule.rule_type.is_none() {
                return Err(invalid("missing rule type".into()));
            }
            // Confluent's default mode.
            let mode = rule.mode.unwrap_or(Mode::Writeread);
            for action in [&rule.on_success, &rule.on_failure].into_iter().flatten() {
                if !matches!(mode, Mode::Writeread | Mode::Updown) && action.contains(',') {
                    return Err(invalid(
                        "multiple actions are only valid with WRITEREAD and UPDOWN".into(),
                    ));
                }
            }
            let allowed = if migration {
                matches!(mode, Mode::Upgrade | Mode::Downgrade | Mode::Updown)
            } else {
                matches!(mode, Mode::Write | Mode::Read | Mode::Writeread)
            };
            if !allowed {
                return Err(invalid(if migration {
                    "migration rules can only be UPGRADE, DOWNGRADE, UPDOWN".into()
                } else {
                    format!("{list} can only be WRITE, READ, WRITEREAD")
                }));
            }
        }
    }
    Ok(())
}

/// What is wrong with a rule's name, in Confluent's words.
#[derive(Debug, thiserror::Error)]
enum BadName {
    /// No name.
    #[error("missing rule name")]
    Missing,
    /// An empty name.
    #[error("empty rule name")]
    Empty,
    /// Longer than Confluent allows.
    #[error("rule name longer than {NAME_MAX_LENGTH} characters")]
    TooLong,
    /// Not a letter or `_` first.
    #[error("illegal initial character in rule name")]
    IllegalInitial,
    /// Something other than letters, digits, `_` and `-`.
    #[error("illegal character in rule name")]
    Illegal,
}

fn check_name(name: Option<&str>) -> Result<(), BadName> {
    let name = name.ok_or(BadName::Missing)?;
    let mut chars = name.chars();
    let first = chars.next().ok_or(BadName::Empty)?;
    if name.encode_utf16().count() > NAME_MAX_LENGTH {
        return Err(BadName::TooLong);
    }
    if !(first.is_alphabetic() || first == '_') {
        return Err(BadName::IllegalInitial);
    }
    if chars.any(|c| !(c.is_alphanumeric() || c == '_' || c == '-')) {
        return Err(BadName::Illegal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(v: Value) -> Option<i32> {
        check(&v).err().map(|e| e.code())
    }

    #[test]
    fn rule_sets_clients_send_are_accepted() {
        let cel = json!({"name": "fuelNotNegative", "kind": "CONDITION", "mode": "WRITE",
                         "type": "CEL", "expr": "message.fuel >= 0.0", "onFailure": "ERROR"});
        assert_eq!(code(json!({"domainRules": [cel]})), None);
        assert_eq!(code(json!({})), None);
        assert_eq!(
            code(json!({"domainRules": null, "enableAt": "CLIENT"})),
            None
        );
        let migration = json!({"name": "up_1", "mode": "UPGRADE", "type": "JSONATA",
                               "params": {"a": "b"}, "tags": ["PII"], "disabled": true});
        assert_eq!(code(json!({"migrationRules": [migration]})), None);
        // No mode is WRITEREAD, which takes two actions.
        let two = json!({"name": "n", "type": "CEL", "onFailure": "ERROR,NONE"});
        assert_eq!(code(json!({"domainRules": [two]})), None);
    }

    #[test]
    fn what_confluent_refuses_is_42210() {
        let rule = |extra: Value| {
            let mut r = json!({"name": "r", "type": "CEL"});
            r.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            r
        };
        let domain = |r: Value| json!({"domainRules": [r]});
        assert_eq!(code(domain(json!({"type": "CEL"}))), Some(42210), "no name");
        assert_eq!(code(domain(rule(json!({"name": ""})))), Some(42210));
        assert_eq!(code(domain(rule(json!({"name": "1st"})))), Some(42210));
        assert_eq!(code(domain(rule(json!({"name": "a b"})))), Some(42210));
        assert_eq!(
            code(domain(rule(json!({"name": "x".repeat(257)})))),
            Some(42210)
        );
        assert_eq!(code(domain(json!({"name": "r"}))), Some(42210), "no type");
        assert_eq!(code(domain(rule(json!({"mode": "UPGRADE"})))), Some(42210));
        let write = rule(json!({"mode": "WRITE", "onFailure": "ERROR,NONE"}));
        assert_eq!(code(domain(write)), Some(42210));
        assert_eq!(
            code(json!({"migrationRules": [rule(json!({}))]})),
            Some(42210),
            "a migration rule's default mode is WRITEREAD"
        );
        let twice = json!({"domainRules": [rule(json!({}))], "encodingRules": [rule(json!({}))]});
        assert_eq!(code(twice), Some(42210), "a name used twice, across lists");
    }

    #[test]
    fn wrong_types_are_422() {
        assert_eq!(code(json!([])), Some(422));
        assert_eq!(code(json!({"domainRules": {}})), Some(422));
        let kind = json!({"domainRules": [{"name": "r", "type": "CEL", "kind": "CHECK"}]});
        assert_eq!(code(kind), Some(422));
        let params = json!({"domainRules": [{"name": "r", "type": "CEL", "params": {"a": 1}}]});
        assert_eq!(code(params), Some(422));
        assert_eq!(code(json!({"enableAt": "SOMETIMES"})), Some(422));
    }
}
