//! Compatibility checks against a subject's versions, with Confluent's messages.

use super::*;

/// Confluent-style verbose messages for `proposal` against `against` (newest first), stopping
/// at the first incompatible version as Confluent does. Empty means compatible.
pub(super) fn incompatibilities(
    proposal: &compat::Schema,
    proposal_meta: Option<&Metadata>,
    against: &[(i32, Arc<Stored>)],
    level: Level,
    policy: Policy,
) -> Result<Vec<String>, ApiError> {
    let new = Version {
        label: "proposal",
        schema: proposal,
        metadata: proposal_meta,
    };
    for (version, old) in against {
        let label = version.to_string();
        let old_version = Version {
            label: &label,
            schema: old.schema()?,
            metadata: old.compat_metadata.as_ref(),
        };
        if compat::compatible_with(&new, &old_version, level, policy) {
            continue;
        }
        let verdict = compat::check(&new, &[old_version], level, policy);
        let mut messages: Vec<String> = verdict
            .findings
            .iter()
            .filter(|f| !f.compatible)
            .map(|f| {
                let direction = match f.direction {
                    Direction::Backward => "",
                    Direction::Forward => " (forward: old readers, new data)",
                };
                format!(
                    "{{errorType:\"{}\", description:\"{}{direction}\"}}",
                    f.change.kind.name(),
                    f.message
                )
            })
            .collect();
        messages.push(format!("{{oldSchemaVersion: {version}}}"));
        messages.push(format!("{{oldSchema: '{}'}}", old.text));
        messages.push(match policy {
            Policy::Strict => format!("{{compatibility: '{level}'}}"),
            Policy::Lenient => {
                format!("{{compatibility: '{level}', compatibilityPolicy: 'LENIENT'}}")
            }
        });
        return Ok(messages);
    }
    Ok(Vec::new())
}

impl Registry {
    /// `POST /compatibility/subjects/{s}/versions/{v}`: against one version, in the directions of
    /// the subject's level.
    pub fn check_version(
        &self,
        subject: &str,
        spec: VersionRef,
        req: RegisterRequest,
        normalize: bool,
    ) -> Result<CheckOutcome, ApiError> {
        let proposal = Proposal::read(req, normalize)?;
        let state = self.read();
        let (schema, meta) = proposal.parse(&state)?;
        let against = match (state.rows(subject, false), spec) {
            (Err(_), VersionRef::Latest) => Vec::new(),
            (Err(e), VersionRef::Number(_)) => return Err(e),
            (Ok(_), spec) => {
                let (version, row) = state.resolve(subject, spec, false)?;
                vec![(version, state.stored(row.id)?.clone())]
            }
        };
        let (level, policy) = state.settings(subject);
        drop(state);
        let messages = incompatibilities(&schema, meta.as_ref(), &against, level, policy)?;
        Ok(CheckOutcome {
            compatible: messages.is_empty(),
            messages,
        })
    }

    /// `POST /compatibility/subjects/{s}/versions`: exactly the check registration makes.
    pub fn check_all(
        &self,
        subject: &str,
        req: RegisterRequest,
        normalize: bool,
    ) -> Result<CheckOutcome, ApiError> {
        let proposal = Proposal::read(req, normalize)?;
        let (schema, meta, against, level, policy) = {
            let state = self.read();
            let (schema, meta) = proposal.parse(&state)?;
            let (level, policy) = state.settings(subject);
            (schema, meta, state.live_versions(subject), level, policy)
        };
        let against = Self::against(against, level);
        let messages = incompatibilities(&schema, meta.as_ref(), &against, level, policy)?;
        Ok(CheckOutcome {
            compatible: messages.is_empty(),
            messages,
        })
    }

    /// The versions a registration is checked against, newest first: the latest only, or all of
    /// them for transitive levels.
    pub(super) fn against(
        mut live: Vec<(i32, Arc<Stored>)>,
        level: Level,
    ) -> Vec<(i32, Arc<Stored>)> {
        live.reverse();
        if !level.is_transitive() {
            live.truncate(1);
        }
        live
    }
}
