//! The typed answers of the calls that the wire types do not cover: the registry's own
//! compatibility check, and the levels and policies that apply to a subject.

use super::super::model::CompatibilityResponse;
use crate::compat::{Level, Policy};
use serde::Serialize;

/// Where the level that applies to a subject comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelSource {
    /// The subject has a level of its own.
    Subject,
    /// The subject falls back to the global level.
    Global,
}

impl LevelSource {
    /// `subject` or `global`, as the JSON outputs name it.
    pub fn name(self) -> &'static str {
        match self {
            LevelSource::Subject => "subject",
            LevelSource::Global => "global",
        }
    }
}

/// Which versions the registry's own compatibility check compared against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompatScope {
    /// Every version the subject's level asks for, as registering would
    /// (`POST /compatibility/subjects/{s}/versions`).
    Level,
    /// Only the latest version: the server lacks the all-versions form.
    Latest,
}

/// The registry's answer to a compatibility check.
#[derive(Clone, Debug)]
pub struct CompatCheck {
    /// The verdict and its messages (shown, never parsed).
    pub response: CompatibilityResponse,
    /// What was compared.
    pub scope: CompatScope,
}

/// A subject's or the global compatibility settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelConfig {
    /// The level.
    pub level: Level,
    /// The policy, where the registry has one (schemactl's does, when set).
    pub policy: Option<Policy>,
}

/// What applies to a subject: its own settings, and the global ones it falls back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubjectSettings {
    /// The subject's own level and policy, if it has a level of its own.
    pub own: Option<LevelConfig>,
    /// The global level and policy.
    pub global: LevelConfig,
}

impl SubjectSettings {
    /// The level the registry applies.
    pub fn level(&self) -> Level {
        self.own.map_or(self.global.level, |c| c.level)
    }

    /// Where the level comes from: the subject when it has one of its own, else global.
    pub fn level_source(&self) -> LevelSource {
        if self.own.is_some() {
            LevelSource::Subject
        } else {
            LevelSource::Global
        }
    }

    /// The policy the registry reports for the subject: its own, else the global one. Only
    /// schemactl's registry has policies.
    pub fn reported_policy(&self) -> Option<Policy> {
        self.own.and_then(|c| c.policy).or(self.global.policy)
    }

    /// The policy the registry applies: the reported one, else strict.
    pub fn policy(&self) -> Policy {
        self.reported_policy().unwrap_or(Policy::Strict)
    }
}
