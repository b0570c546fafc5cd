//! The whole registry in memory: schemas, their indexes, subjects, levels, modes and contracts.

use super::*;
use crate::registry::server::store::CorruptData;

/// A version row in memory.
#[derive(Clone, Copy, Debug)]
pub(super) struct Row {
    pub(super) id: i32,
    pub(super) deleted: bool,
}

/// A level and policy, each possibly unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Settings {
    pub(super) level: Option<Level>,
    pub(super) policy: Option<Policy>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) schemas: HashMap<i32, Arc<Stored>>,
    pub(super) by_guid: HashMap<uuid::Uuid, i32>,
    pub(super) by_identity: HashMap<String, i32>,
    pub(super) by_content: HashMap<String, Vec<i32>>,
    pub(super) by_normalized: HashMap<String, Vec<i32>>,
    /// Every (subject, version) row naming an id, live or soft-deleted.
    pub(super) uses: HashMap<i32, BTreeSet<(String, i32)>>,
    pub(super) subjects: BTreeMap<String, BTreeMap<i32, Row>>,
    pub(super) global: Settings,
    pub(super) subject_settings: HashMap<String, Settings>,
    pub(super) global_mode: Option<Mode>,
    pub(super) subject_modes: HashMap<String, Mode>,
    /// Data-contract defaults and overrides: global, and per subject.
    pub(super) global_contract: ConfigContract,
    pub(super) subject_contracts: HashMap<String, ConfigContract>,
}

impl State {
    pub(super) fn load(snapshot: Snapshot) -> Result<State, CorruptData> {
        let mut state = State::default();
        // Rows first: a schema's references are resolved through them.
        for v in snapshot.versions {
            let id = i32::try_from(v.schema_id).map_err(|_| CorruptData::VersionIdOutOfRange)?;
            state.add_row(&v.subject, v.version, id, v.deleted);
        }
        for row in snapshot.schemas {
            let stored = Stored::from_row(row, &state)?;
            state.add_schema(Arc::new(stored));
        }
        for (key, value) in snapshot.global {
            match key.as_str() {
                "contract" => {
                    state.global_contract = serde_json::from_str(&value).unwrap_or_default()
                }
                "compatibility" => state.global.level = value.parse().ok(),
                "policy" => state.global.policy = parse_policy(&value).ok(),
                "mode" => state.global_mode = Mode::parse(&value),
                _ => {}
            }
        }
        for SubjectConfigRow {
            subject,
            compatibility,
            policy,
        } in snapshot.subject_configs
        {
            let settings = Settings {
                level: compatibility.and_then(|c| c.parse().ok()),
                policy: policy.and_then(|p| parse_policy(&p).ok()),
            };
            state.subject_settings.insert(subject, settings);
        }
        for (subject, value) in snapshot.subject_contracts {
            if let Ok(contract) = serde_json::from_str(&value) {
                state.subject_contracts.insert(subject, contract);
            }
        }
        for (subject, mode) in snapshot.subject_modes {
            if let Some(mode) = Mode::parse(&mode) {
                state.subject_modes.insert(subject, mode);
            }
        }
        Ok(state)
    }

    pub(super) fn add_schema(&mut self, stored: Arc<Stored>) {
        self.by_guid.insert(stored.guid, stored.id);
        self.by_identity
            .insert(stored.identity_key.clone(), stored.id);
        self.by_content
            .entry(stored.content_key.clone())
            .or_default()
            .push(stored.id);
        self.by_normalized
            .entry(stored.normalized_key.clone())
            .or_default()
            .push(stored.id);
        self.schemas.insert(stored.id, stored);
    }

    pub(super) fn add_row(&mut self, subject: &str, version: i32, id: i32, deleted: bool) {
        self.subjects
            .entry(subject.to_string())
            .or_default()
            .insert(version, Row { id, deleted });
        self.uses
            .entry(id)
            .or_default()
            .insert((subject.to_string(), version));
    }

    pub(super) fn remove_row(&mut self, subject: &str, version: i32) {
        let Some(rows) = self.subjects.get_mut(subject) else {
            return;
        };
        if let Some(row) = rows.remove(&version)
            && let Some(uses) = self.uses.get_mut(&row.id)
        {
            uses.remove(&(subject.to_string(), version));
            if uses.is_empty() {
                self.uses.remove(&row.id);
            }
        }
        if rows.is_empty() {
            self.subjects.remove(subject);
        }
    }

    /// The subject's rows, when it has any this request may see.
    pub(super) fn rows(
        &self,
        subject: &str,
        deleted: bool,
    ) -> Result<&BTreeMap<i32, Row>, ApiError> {
        match self.subjects.get(subject) {
            Some(rows) if deleted || rows.values().any(|r| !r.deleted) => Ok(rows),
            _ => Err(ApiError::SubjectNotFound(subject.to_string())),
        }
    }

    pub(super) fn live_versions(&self, subject: &str) -> Vec<(i32, Arc<Stored>)> {
        self.subjects
            .get(subject)
            .into_iter()
            .flatten()
            .filter(|(_, r)| !r.deleted)
            .filter_map(|(&v, r)| Some((v, self.schemas.get(&r.id)?.clone())))
            .collect()
    }

    /// Resolves a version of a subject; soft-deleted versions only with `deleted`.
    pub(super) fn resolve(
        &self,
        subject: &str,
        spec: VersionRef,
        deleted: bool,
    ) -> Result<(i32, Row), ApiError> {
        let rows = self.rows(subject, deleted)?;
        let found = match spec {
            VersionRef::Latest => rows.iter().rev().find(|(_, r)| !r.deleted),
            VersionRef::Number(n) => rows
                .get_key_value(&n)
                .filter(|(_, r)| deleted || !r.deleted),
        };
        found
            .map(|(&v, &r)| (v, r))
            .ok_or_else(|| ApiError::VersionNotFound(spec.to_string()))
    }

    pub(super) fn stored(&self, id: i32) -> Result<&Arc<Stored>, ApiError> {
        self.schemas
            .get(&id)
            .ok_or_else(|| ApiError::Store(format!("version names missing schema {id}")))
    }

    /// The newest version of `subject` holding a schema matching the proposal.
    pub(super) fn find_in_subject(
        &self,
        subject: &str,
        proposal: &Proposal,
        deleted: bool,
    ) -> Option<(i32, Arc<Stored>)> {
        let index = if proposal.normalize {
            &self.by_normalized
        } else {
            &self.by_content
        };
        let rows = self.subjects.get(subject)?;
        index
            .get(&proposal.key)?
            .iter()
            .filter_map(|id| self.schemas.get(id))
            .filter(|s| proposal.metadata.is_none() || s.metadata == proposal.metadata)
            .filter(|s| proposal.rule_set.is_none() || s.rule_set == proposal.rule_set)
            .flat_map(|s| {
                let uses = self.uses.get(&s.id).into_iter().flatten();
                uses.filter(|(subj, _)| subj == subject)
                    .filter(|(_, v)| deleted || rows.get(v).is_some_and(|r| !r.deleted))
                    .map(|&(_, v)| (v, s.clone()))
            })
            .max_by_key(|(v, _)| *v)
    }

    pub(super) fn settings(&self, subject: &str) -> (Level, Policy) {
        let own = self
            .subject_settings
            .get(subject)
            .copied()
            .unwrap_or_default();
        (
            own.level.or(self.global.level).unwrap_or(Level::Backward),
            own.policy.or(self.global.policy).unwrap_or(Policy::Strict),
        )
    }

    /// The data-contract defaults and overrides a registration under `subject` gets: the
    /// subject's config when it has one, else the global config, as Confluent picks the
    /// config in scope.
    pub(super) fn contract_in_scope(&self, subject: &str) -> &ConfigContract {
        if self.subject_settings.contains_key(subject)
            || self.subject_contracts.contains_key(subject)
        {
            self.subject_contracts
                .get(subject)
                .unwrap_or(&EMPTY_CONTRACT)
        } else {
            &self.global_contract
        }
    }

    pub(super) fn mode(&self, subject: &str) -> Mode {
        let global = self.global_mode.unwrap_or(Mode::ReadWrite);
        if global == Mode::ReadOnlyOverride {
            return global;
        }
        self.subject_modes.get(subject).copied().unwrap_or(global)
    }

    /// The schemas `references` name and, in turn, the schemas those name, flattened by
    /// reference name as Confluent hands them to its loader (the first schema to take a name
    /// keeps it). A reference to a version that does not exist, or a name used twice in one
    /// schema's list, is 42201. Each version is read once, so a chain of a thousand references
    /// costs a thousand steps.
    pub(super) fn resolve_references(
        &self,
        references: &[SchemaReference],
    ) -> Result<compat::ResolvedReferences, ApiError> {
        let mut resolved = compat::ResolvedReferences::default();
        let mut seen: HashSet<(&str, i32)> = HashSet::new();
        let mut queue: VecDeque<&[SchemaReference]> = VecDeque::from([references]);
        while let Some(list) = queue.pop_front() {
            let mut names = HashSet::new();
            for r in list {
                if !names.insert(r.name.as_str()) {
                    return Err(ApiError::InvalidSchema(format!(
                        "reference name \"{}\" is used twice in one schema's references; each reference needs its own name",
                        r.name
                    )));
                }
                if !seen.insert((r.subject.as_str(), r.version)) {
                    continue;
                }
                let row = self
                    .subjects
                    .get(&r.subject)
                    .and_then(|rows| rows.get(&r.version))
                    .ok_or_else(|| {
                        ApiError::InvalidSchema(format!(
                            "reference \"{}\" names subject '{}' version {}, which is not registered",
                            r.name, r.subject, r.version
                        ))
                    })?;
                let stored = self.stored(row.id)?;
                let doc: Value = serde_json::from_str(&stored.text).map_err(|e| {
                    ApiError::Store(format!("stored schema {} is not JSON: {e}", stored.id))
                })?;
                resolved.insert(&r.name, doc);
                queue.push_back(&stored.references);
            }
        }
        Ok(resolved)
    }

    /// Ids of schemas in live use that reference `subject` version `version`.
    pub(super) fn referencing(&self, subject: &str, version: i32) -> Vec<i32> {
        let mut ids: Vec<i32> = self
            .schemas
            .values()
            .filter(|s| {
                s.references
                    .iter()
                    .any(|r| r.subject == subject && r.version == version)
            })
            .filter(|s| {
                self.uses.get(&s.id).is_some_and(|uses| {
                    uses.iter().any(|(subj, v)| {
                        self.subjects
                            .get(subj)
                            .and_then(|rows| rows.get(v))
                            .is_some_and(|r| !r.deleted)
                    })
                })
            })
            .map(|s| s.id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

pub(super) fn parse_policy(s: &str) -> Result<Policy, ApiError> {
    match s.trim().to_ascii_uppercase().as_str() {
        "STRICT" => Ok(Policy::Strict),
        "LENIENT" => Ok(Policy::Lenient),
        _ => Err(ApiError::InvalidCompatibility(format!(
            "Invalid compatibility policy {s}. Valid values are: STRICT, LENIENT"
        ))),
    }
}

pub(super) fn parse_level(s: &str) -> Result<Level, ApiError> {
    s.parse().map_err(|_| {
        ApiError::InvalidCompatibility(format!(
            "Invalid compatibility level {s}. Valid values are: {}",
            Level::ALL.map(Level::name).join(", ")
        ))
    })
}

pub(super) fn policy_name(p: Policy) -> String {
    p.name().to_ascii_uppercase()
}
