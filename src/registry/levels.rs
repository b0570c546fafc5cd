//! Compatibility levels, global or per subject: the use cases behind `schemactl config get`
//! and `schemactl config set-level`.

use super::{LevelSource, RegistryClient, RegistryError};
use crate::compat::{Level, Policy};
use serde::Serialize;

/// The level that applies: the `--format json` document of `schemactl config get`.
#[derive(Debug, Serialize)]
pub struct Applied {
    /// The registry's URL.
    pub registry: String,
    /// The subject; `None` for the global level.
    pub subject: Option<String>,
    /// The level the registry applies.
    pub level: Level,
    /// The policy, where the registry reports one (only schemactl's does).
    pub policy: Option<Policy>,
    /// `subject` when the subject has a level of its own, else `global`.
    pub source: LevelSource,
}

/// A level set: the `--format json` document of `schemactl config set-level`.
#[derive(Debug, Serialize)]
pub struct Changed {
    /// The registry's URL.
    pub registry: String,
    /// The subject; `None` for the global level.
    pub subject: Option<String>,
    /// The level now set.
    pub level: Level,
    /// The level that applied before.
    pub previous: Level,
    /// Where the previous level came from: `subject` or `global`.
    pub previous_source: LevelSource,
}

/// The level (and policy) that applies to `subject`, falling back to the global one; the
/// global level without a subject.
pub async fn applied(
    client: &RegistryClient,
    subject: Option<&str>,
) -> Result<Applied, RegistryError> {
    let (level, policy, source) = match subject {
        Some(s) => {
            let settings = client.subject_settings(s).await?;
            (
                settings.level(),
                settings.reported_policy(),
                settings.level_source(),
            )
        }
        None => {
            let global = client.global_config().await?;
            (global.level, global.policy, LevelSource::Global)
        }
    };
    Ok(Applied {
        registry: client.url().to_string(),
        subject: subject.map(str::to_string),
        level,
        policy,
        source,
    })
}

/// Sets `subject`'s level, or the global one, and says what applied before.
pub async fn set(
    client: &RegistryClient,
    subject: Option<&str>,
    level: Level,
) -> Result<Changed, RegistryError> {
    let (previous, previous_source) = match subject {
        Some(s) => {
            let settings = client.subject_settings(s).await?;
            (settings.level(), settings.level_source())
        }
        None => (client.global_level().await?, LevelSource::Global),
    };
    client.set_level(subject, level).await?;
    Ok(Changed {
        registry: client.url().to_string(),
        subject: subject.map(str::to_string),
        level,
        previous,
        previous_source,
    })
}
