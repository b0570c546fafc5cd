//! The registry's rules: registration with compatibility checks through schemactl's engine,
//! lookups, soft and permanent deletes, compatibility levels and modes.
//!
//! The whole registry lives in memory behind a read-write lock, so reads never touch SQLite;
//! every change is written to the [`Db`] first (one transaction, fsynced) and applied in memory
//! after it commits. Writers are serialised by the mutex around the database, so two clients
//! registering the same schema at once get one id and one version.
//!
//! The parts: [`Stored`] schemas and the keys they are found by (`stored`), what a proposal
//! inherits and merges (`proposal`), the in-memory `state`, and the [`Registry`]'s methods in
//! `reads`, `compatibility` and `writes`.

mod compatibility;
mod proposal;
mod reads;
mod state;
mod stored;
#[cfg(test)]
mod tests;
mod writes;

pub use stored::{Stored, normalize};

use super::error::ApiError;
use super::store::{Db, SchemaRow, Snapshot, StoreError, SubjectConfigRow};
use crate::compat::{self, Direction, Level, Metadata, Policy, Version};
use crate::registry::guid::schema_guid;
use crate::registry::model::{
    ConfigContract, ConfigRequest, ConfigResponse, ModeBody, RegisterRequest, SchemaById,
    SchemaReference, SubjectAndVersion, SubjectVersion, VersionRef,
};
use axum::body::Bytes;
use compatibility::incompatibilities;
use proposal::{EMPTY_CONTRACT, Proposal, inherit_from_latest, merge_metadata, merge_rule_sets};
use serde_json::Value;
use state::{Row, Settings, State, parse_level, parse_policy, policy_name};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use stored::{Keys, content_key};

/// The largest schema text accepted, in bytes (larger: 42209).
pub const MAX_SCHEMA_BYTES: usize = 1 << 20;

/// The only schema type this registry serves.
pub const JSON: &str = "JSON";

/// A registry mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Reads and writes.
    ReadWrite,
    /// Reads only.
    ReadOnly,
    /// Reads only, and subject modes cannot relax it (global only).
    ReadOnlyOverride,
    /// Writes keep the ids and versions the client gives; no compatibility checks.
    Import,
}

impl Mode {
    /// The name as Confluent writes it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
        }
    }

    /// Reads a mode name, ignoring case.
    pub fn parse(s: &str) -> Option<Mode> {
        [
            Mode::ReadWrite,
            Mode::ReadOnly,
            Mode::ReadOnlyOverride,
            Mode::Import,
        ]
        .into_iter()
        .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
    }

    fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }
}

/// The filters and paging of `GET /schemas`.
#[derive(Clone, Copy, Debug)]
pub struct SchemaFilter<'a> {
    /// Only subjects starting with this (empty: all).
    pub subject_prefix: &'a str,
    /// Soft-deleted versions too.
    pub deleted: bool,
    /// The newest version of each subject only.
    pub latest_only: bool,
    /// Only schemas whose rule set has a rule of this type.
    pub rule_type: Option<&'a str>,
    /// How many matches to skip.
    pub offset: usize,
    /// How many matches to answer at most.
    pub limit: usize,
}
/// The outcome of a compatibility check endpoint.
#[derive(Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Whether the proposal passes.
    pub compatible: bool,
    /// Confluent-style messages when it does not.
    pub messages: Vec<String>,
}

/// The embedded registry: state in memory, changes through SQLite.
#[derive(Debug)]
pub struct Registry {
    db: Mutex<Db>,
    state: RwLock<State>,
    location: String,
    durable: bool,
}

impl Registry {
    /// Opens the registry stored in `dir`, or an empty in-memory one for `None`.
    pub fn open(dir: Option<&Path>) -> Result<Registry, StoreError> {
        let db = Db::open(dir)?;
        let location = db.location().to_string();
        let snapshot = db.load().map_err(|source| StoreError::Sqlite {
            path: location.clone(),
            source,
        })?;
        let state = State::load(snapshot).map_err(|reason| StoreError::Corrupt {
            path: location.clone(),
            reason,
        })?;
        Ok(Registry {
            durable: db.is_durable(),
            db: Mutex::new(db),
            state: RwLock::new(state),
            location,
        })
    }

    /// Where the data lives (a file, or `:memory:`).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Whether registrations survive the process.
    pub fn is_durable(&self) -> bool {
        self.durable
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
