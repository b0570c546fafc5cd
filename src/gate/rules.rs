//! The gate's own finding ids: what `check-compat` and `test` report beyond the change types of
//! [`crate::compat::ChangeKind`]. One record per id, with its purpose and the fixture folder
//! (`tests/fixtures/gate/<ID>/`) that raises it; a guard test in `tests/gate_rules.rs` fails when
//! an id has no fixture or its fixture does not raise it.

use crate::report::{Item, Severity};

/// A finding of the gate itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The registry subject has no versions yet: nothing to be compatible with.
    FirstVersion,
    /// The registry's own compatibility check refused the proposal.
    RegistryIncompatible,
    /// The registry refused the proposal as a schema (42201): registering would fail.
    RegistryInvalidSchema,
    /// The local engine and the registry reached different verdicts.
    VerdictsDisagree,
    /// A version published at the `--base` ref was deleted.
    VersionDeleted,
    /// A version published at the `--base` ref was edited in place.
    VersionRewritten,
    /// The rule set of a version published at the `--base` ref was changed in place.
    RulesRewritten,
    /// A contract's must-fail example is no longer rejected as it promises (`schemactl test`).
    ExampleNotRejected,
}

impl Rule {
    /// Every rule, in the order they are documented.
    pub const ALL: [Rule; 8] = [
        Rule::FirstVersion,
        Rule::RegistryIncompatible,
        Rule::RegistryInvalidSchema,
        Rule::VerdictsDisagree,
        Rule::VersionDeleted,
        Rule::VersionRewritten,
        Rule::RulesRewritten,
        Rule::ExampleNotRejected,
    ];

    /// The stable SCREAMING_SNAKE id reports carry; also the fixture folder's name.
    pub fn id(self) -> &'static str {
        match self {
            Rule::FirstVersion => "FIRST_VERSION",
            Rule::RegistryIncompatible => "REGISTRY_INCOMPATIBLE",
            Rule::RegistryInvalidSchema => "REGISTRY_INVALID_SCHEMA",
            Rule::VerdictsDisagree => "VERDICTS_DISAGREE",
            Rule::VersionDeleted => "VERSION_DELETED",
            Rule::VersionRewritten => "VERSION_REWRITTEN",
            Rule::RulesRewritten => "RULES_REWRITTEN",
            Rule::ExampleNotRejected => "EXAMPLE_NOT_REJECTED",
        }
    }

    /// One sentence: why the gate reports it.
    pub fn purpose(self) -> &'static str {
        match self {
            Rule::FirstVersion => {
                "the subject does not exist yet, so the proposal passes as its first version"
            }
            Rule::RegistryIncompatible => {
                "the registry, asked as registering would ask it, finds the proposal incompatible"
            }
            Rule::RegistryInvalidSchema => {
                "the registry would refuse to register the proposal at all"
            }
            Rule::VerdictsDisagree => {
                "the local engine and the registry disagree, so one of them checked something else"
            }
            Rule::VersionDeleted => {
                "published versions are immutable: one present at the base ref is gone"
            }
            Rule::VersionRewritten => {
                "published versions are immutable: one present at the base ref was edited"
            }
            Rule::RulesRewritten => {
                "a registered rule set is as immutable as its schema: one published at the base ref changed"
            }
            Rule::ExampleNotRejected => {
                "a must-fail example shows a constraint the contract promises; the schema lost it"
            }
        }
    }

    /// How bad it is when raised.
    pub fn severity(self) -> Severity {
        match self {
            Rule::FirstVersion => Severity::Note,
            Rule::VerdictsDisagree => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// A finding of this rule about `file`, with no pointer into it.
    pub fn item(self, file: impl Into<String>, message: String, help: Option<String>) -> Item {
        Item {
            rule: self.id().to_string(),
            severity: self.severity(),
            file: Some(file.into()),
            pointer: None,
            at: None,
            message,
            help,
        }
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_screaming_snake_and_every_rule_is_listed() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.id()), "{rule} listed twice");
            assert!(
                rule.id()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_'),
                "{rule} is not SCREAMING_SNAKE"
            );
            assert!(!rule.purpose().is_empty());
        }
        assert_eq!(seen.len(), Rule::ALL.len());
    }
}
