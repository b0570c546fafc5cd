//! The compatibility engine: pure functions over parsed schemas, knowing nothing of files,
//! HTTP or brokers.
//!
//! [`diff`] reports what changed between two schemas; [`check`] turns diffs against a schema
//! history into a verdict at a compatibility [`Level`], using the per-policy table of
//! [`ChangeType`]s. FORWARD is the diff with its arguments swapped; FULL is both directions.

pub mod change;
pub mod diff;
pub mod explain;
pub mod schema;

pub use change::{ChangeType, Policy};
pub use diff::{Change, diff};
pub use schema::{Draft, ParseError, ResolvedReferences, Schema, SchemaError};

use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A Confluent compatibility level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// No check.
    None,
    /// New readers read data written with the latest version.
    Backward,
    /// New readers read data written with every earlier version.
    BackwardTransitive,
    /// Data written with the new version is read by the latest version's readers.
    Forward,
    /// Data written with the new version is read by every earlier version's readers.
    ForwardTransitive,
    /// Backward and forward against the latest version.
    Full,
    /// Backward and forward against every earlier version.
    FullTransitive,
}

impl Level {
    /// Every level, in Confluent's order.
    pub const ALL: [Level; 7] = [
        Level::None,
        Level::Backward,
        Level::BackwardTransitive,
        Level::Forward,
        Level::ForwardTransitive,
        Level::Full,
        Level::FullTransitive,
    ];

    /// The name as Confluent writes it (`BACKWARD_TRANSITIVE`).
    pub fn name(self) -> &'static str {
        match self {
            Level::None => "NONE",
            Level::Backward => "BACKWARD",
            Level::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Level::Forward => "FORWARD",
            Level::ForwardTransitive => "FORWARD_TRANSITIVE",
            Level::Full => "FULL",
            Level::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether every earlier version is checked, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            Level::BackwardTransitive | Level::ForwardTransitive | Level::FullTransitive
        )
    }

    /// The directions this level checks.
    pub fn directions(self) -> &'static [Direction] {
        match self {
            Level::None => &[],
            Level::Backward | Level::BackwardTransitive => &[Direction::Backward],
            Level::Forward | Level::ForwardTransitive => &[Direction::Forward],
            Level::Full | Level::FullTransitive => &[Direction::Backward, Direction::Forward],
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_uppercase().replace('-', "_");
        Level::ALL
            .into_iter()
            .find(|l| l.name() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown compatibility level \"{s}\" (expected one of {})",
                    Level::ALL.map(Level::name).join(", ")
                )
            })
    }
}

impl<'de> serde::Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which way a check reads data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The new schema reads data written with the old one.
    Backward,
    /// The old schema reads data written with the new one.
    Forward,
}

impl Direction {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Backward => "backward",
            Direction::Forward => "forward",
        }
    }
}

/// Schema metadata that takes part in the check: Confluent's reserved properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Property names listed in `confluent:reserved`.
    pub reserved: BTreeSet<String>,
}

impl Metadata {
    /// Reads `{"properties": {"confluent:reserved": "a,b"}}` (other fields are ignored).
    pub fn from_json(value: &serde_json::Value) -> Result<Metadata, MetadataError> {
        let reserved = match value.pointer("/properties/confluent:reserved") {
            None => BTreeSet::new(),
            Some(serde_json::Value::String(list)) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            Some(_) => return Err(MetadataError::ReservedNotAString),
        };
        Ok(Metadata { reserved })
    }
}

/// Schema metadata that is not Confluent metadata.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// `confluent:reserved` holds something other than a string.
    #[error("properties.confluent:reserved must be a comma-separated string")]
    ReservedNotAString,
}

/// Differences that come from metadata rather than the schema body.
pub fn diff_metadata(update: &Schema, original: &Metadata, updated: &Metadata) -> Vec<Change> {
    let change = |kind, path: String| Change {
        kind,
        path,
        old: None,
        new: None,
    };
    let mut changes: Vec<Change> = original
        .reserved
        .difference(&updated.reserved)
        .map(|p| change(ChangeType::RESERVED_PROPERTY_REMOVED, p.clone()))
        .collect();
    // Confluent looks for a conflict in the document's own top-level `properties` member
    // (`JsonSchema.hasTopLevelField`), not in the schema it resolves: a property reached
    // through a root `$ref` or an `allOf` does not conflict, one beside a root `$ref` does.
    if let Some(serde_json::Value::Object(properties)) = update.document().get("properties") {
        for name in properties.keys() {
            if updated.reserved.contains(name) {
                changes.push(change(
                    ChangeType::RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY,
                    format!("#/properties/{}", schema::escape(name)),
                ));
            }
        }
    }
    changes
}

/// A schema version taking part in a check.
#[derive(Clone, Copy, Debug)]
pub struct Version<'a> {
    /// Its label in reports (a version number or a file name).
    pub label: &'a str,
    /// The parsed schema.
    pub schema: &'a Schema,
    /// Its metadata, if any.
    pub metadata: Option<&'a Metadata>,
}

/// One change found while checking, with where it was found and what it means.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The change.
    #[serde(flatten)]
    pub change: Change,
    /// Whether this change is compatible under the check's policy.
    pub compatible: bool,
    /// The version the proposal was compared against.
    pub against: String,
    /// Which way the data flows for this finding.
    pub direction: Direction,
    /// One sentence for a person.
    pub message: String,
    /// What would make it compatible.
    pub help: &'static str,
}

/// The outcome of a compatibility check.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// Whether the proposal is compatible at the level.
    pub compatible: bool,
    /// The level checked.
    pub level: Level,
    /// The policy used.
    pub policy: Policy,
    /// Every change found, breaking or not.
    #[serde(rename = "changes")]
    pub findings: Vec<Finding>,
}

/// Changes from `original` to `update` including metadata, in Confluent's order.
pub fn diff_versions(original: &Version<'_>, update: &Version<'_>, policy: Policy) -> Vec<Change> {
    let empty = Metadata::default();
    let mut changes = if original.metadata.is_some() || update.metadata.is_some() {
        diff_metadata(
            update.schema,
            original.metadata.unwrap_or(&empty),
            update.metadata.unwrap_or(&empty),
        )
    } else {
        Vec::new()
    };
    changes.extend(diff(original.schema, update.schema, policy));
    changes
}

/// Changes between `old` and `proposal` as `direction` reads them: backward diffs old → proposal
/// (the new schema reads old data), forward the other way round. With `metadata`, the
/// reserved properties are compared too, always proposal against old: Confluent checks the new
/// schema's reservations against the previous version's apart from the level's directions
/// (`AbstractSchemaRegistry.validateReservedFields`), so a reservation added is never a
/// reservation "removed" read forwards. A check asks for them with its first direction only.
fn changes_in(
    direction: Direction,
    old: &Version<'_>,
    proposal: &Version<'_>,
    policy: Policy,
    metadata: bool,
) -> Vec<Change> {
    let mut changes = if metadata && (old.metadata.is_some() || proposal.metadata.is_some()) {
        let empty = Metadata::default();
        diff_metadata(
            proposal.schema,
            old.metadata.unwrap_or(&empty),
            proposal.metadata.unwrap_or(&empty),
        )
    } else {
        Vec::new()
    };
    changes.extend(match direction {
        Direction::Backward => diff(old.schema, proposal.schema, policy),
        Direction::Forward => diff(proposal.schema, old.schema, policy),
    });
    changes
}

/// [`check`]'s verdict against one version, without building findings and stopping at the
/// first direction that breaks. The embedded registry's hot path: a transitive registration is
/// checked against every earlier version, and messages are only needed for one that fails.
pub fn compatible_with(
    proposal: &Version<'_>,
    old: &Version<'_>,
    level: Level,
    policy: Policy,
) -> bool {
    level
        .directions()
        .iter()
        .enumerate()
        .all(|(i, &direction)| {
            changes_in(direction, old, proposal, policy, i == 0)
                .iter()
                .all(|c| c.kind.is_compatible(policy))
        })
}

/// Checks `proposal` against `history` (oldest first) at `level`: the latest version only, or
/// every version for transitive levels, in each direction the level asks for.
pub fn check(
    proposal: &Version<'_>,
    history: &[Version<'_>],
    level: Level,
    policy: Policy,
) -> Verdict {
    let against: &[Version<'_>] = if level.is_transitive() {
        history
    } else {
        history.last().map(std::slice::from_ref).unwrap_or(&[])
    };
    let mut findings = Vec::new();
    for old in against.iter().rev() {
        for (i, &direction) in level.directions().iter().enumerate() {
            let changes = changes_in(direction, old, proposal, policy, i == 0);
            findings.extend(changes.into_iter().map(|change| Finding {
                compatible: change.kind.is_compatible(policy),
                message: explain::message(&change, direction),
                help: explain::help(change.kind, direction),
                change,
                against: old.label.to_string(),
                direction,
            }));
        }
    }
    Verdict {
        compatible: findings.iter().all(|f| f.compatible),
        level,
        policy,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_compared_once_proposal_against_old_at_every_level() {
        let schema =
            Schema::from_json_text(r#"{"type":"object","properties":{"fuel":{"type":"number"}}}"#)
                .unwrap();
        let reserved = |names: &str| Metadata {
            reserved: names.split(',').map(str::to_string).collect(),
        };
        let (rpm, rpm_and_hours) = (reserved("rpm"), reserved("rpm,hours"));
        let version = |metadata| Version {
            label: "v",
            schema: &schema,
            metadata: Some(metadata),
        };
        for level in [Level::Backward, Level::Forward, Level::Full] {
            // Reserving one more name is allowed whichever way the level reads data.
            let added = check(
                &version(&rpm_and_hours),
                &[version(&rpm)],
                level,
                Policy::Strict,
            );
            assert!(added.compatible, "{level}: {:?}", added.findings);
            // Withdrawing one is refused, once.
            let removed = check(
                &version(&rpm),
                &[version(&rpm_and_hours)],
                level,
                Policy::Strict,
            );
            let kinds: Vec<ChangeType> = removed.findings.iter().map(|f| f.change.kind).collect();
            assert_eq!(kinds, [ChangeType::RESERVED_PROPERTY_REMOVED], "{level}");
            assert!(!compatible_with(
                &version(&rpm),
                &version(&rpm_and_hours),
                level,
                Policy::Strict
            ));
        }
    }

    #[test]
    fn compatible_with_agrees_with_check_at_every_level() {
        let schemas = [
            r#"{"type":"object","properties":{"fuel":{"type":"number"}},"additionalProperties":false}"#,
            r#"{"type":"object","properties":{"fuel":{"type":"number"},"rpm":{"type":"integer"}},"additionalProperties":false}"#,
            r#"{"type":"object","properties":{"fuel":{"type":"string"}},"additionalProperties":false}"#,
            r#"{"type":"object","properties":{"fuel":{"type":"number"}},"description":"v4"}"#,
        ]
        .map(|s| Schema::from_json_text(s).unwrap());
        let version = |schema| Version {
            label: "v",
            schema,
            metadata: None,
        };
        for old in &schemas {
            for new in &schemas {
                for level in Level::ALL {
                    for policy in [Policy::Strict, Policy::Lenient] {
                        let (old, new) = (version(old), version(new));
                        assert_eq!(
                            compatible_with(&new, &old, level, policy),
                            check(&new, &[old], level, policy).compatible,
                            "{level} {policy:?}"
                        );
                    }
                }
            }
        }
    }
}
