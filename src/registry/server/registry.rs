//! The registry's rules: registration with compatibility checks through schemactl's engine,
//! lookups, soft and permanent deletes, compatibility levels and modes.
//!
//! The whole registry lives in memory behind a read-write lock, so reads never touch SQLite;
//! every change is written to the [`Db`] first (one transaction, fsynced) and applied in memory
//! after it commits. Writers are serialised by the mutex around the database, so two clients
//! registering the same schema at once get one id and one version.

use super::error::ApiError;
use super::store::{Db, SchemaRow, Snapshot, StoreError, SubjectConfigRow};
use crate::compat::{self, Direction, Level, Metadata, Policy, Version};
use crate::registry::guid::schema_guid;
use crate::registry::model::{
    ConfigContract, ConfigRequest, ConfigResponse, ModeBody, RegisterRequest, SchemaById,
    SchemaReference, SubjectAndVersion, SubjectVersion, VersionRef,
};
use axum::body::Bytes;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

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

/// A registered schema, with everything derived from it once.
#[derive(Debug)]
pub struct Stored {
    /// The global id.
    pub id: i32,
    /// The schema type (`JSON`).
    pub schema_type: String,
    /// The schema text as served (compact; sorted keys when registered with `normalize`).
    pub text: String,
    /// References.
    pub references: Vec<SchemaReference>,
    /// Metadata as registered.
    pub metadata: Option<Value>,
    /// Rule set as registered.
    pub rule_set: Option<Value>,
    parsed: Result<compat::Schema, String>,
    compat_metadata: Option<Metadata>,
    content_key: String,
    normalized_key: String,
    identity_key: String,
    /// The GUID (Confluent 8): the MD5 of the content, as Confluent derives it.
    pub guid: uuid::Uuid,
    /// The body of `GET /schemas/ids/{id}` and `GET /schemas/guids/{guid}`, serialised once.
    pub by_id_body: Bytes,
}

impl Stored {
    fn from_row(row: SchemaRow, state: &State) -> Result<Stored, String> {
        let id = i32::try_from(row.id).map_err(|_| format!("schema id {} out of range", row.id))?;
        let references: Vec<SchemaReference> = serde_json::from_str(&row.refs)
            .map_err(|e| format!("schema {id}: bad references: {e}"))?;
        let json = |t: Option<String>| {
            t.map(|t| serde_json::from_str::<Value>(&t))
                .transpose()
                .map_err(|e| format!("schema {id}: bad metadata or rule set: {e}"))
        };
        let metadata = json(row.metadata)?;
        let rule_set = json(row.rule_set)?;
        let doc: Value = serde_json::from_str(&row.schema)
            .map_err(|e| format!("schema {id}: stored text is not JSON: {e}"))?;
        let keys = Keys::new(&row.schema_type, &references, &row.schema, &doc);
        // Referenced schemas have lower ids, so they are loaded already.
        let parsed = state
            .resolve_references(&references)
            .map_err(|e| e.to_string())
            .and_then(|refs| {
                compat::Schema::parse_with_references(doc, refs).map_err(|e| e.to_string())
            });
        let compat_metadata = metadata
            .as_ref()
            .map(Metadata::from_json)
            .transpose()
            .unwrap_or_default();
        Ok(Stored::new(
            id,
            row.schema_type,
            row.schema,
            references,
            metadata,
            rule_set,
            parsed,
            compat_metadata,
            keys,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        id: i32,
        schema_type: String,
        text: String,
        references: Vec<SchemaReference>,
        metadata: Option<Value>,
        rule_set: Option<Value>,
        parsed: Result<compat::Schema, String>,
        compat_metadata: Option<Metadata>,
        keys: Keys,
    ) -> Stored {
        let identity_key = keys.identity(&metadata, &rule_set);
        let guid = schema_guid(&text, &references, metadata.as_ref(), rule_set.as_ref());
        let by_id_body = Bytes::from(
            serde_json::to_vec(&SchemaById {
                schema_type: Some(schema_type.clone()),
                schema: text.clone(),
                references: references.clone(),
                metadata: metadata.clone(),
                rule_set: rule_set.clone(),
                guid: Some(guid.to_string()),
            })
            .unwrap_or_default(),
        );
        Stored {
            id,
            schema_type,
            text,
            references,
            metadata,
            rule_set,
            parsed,
            compat_metadata,
            content_key: keys.content,
            normalized_key: keys.normalized,
            identity_key,
            guid,
            by_id_body,
        }
    }

    fn schema(&self) -> Result<&compat::Schema, ApiError> {
        self.parsed.as_ref().map_err(|e| {
            ApiError::Store(format!("stored schema {} no longer parses: {e}", self.id))
        })
    }

    fn record(&self, subject: &str, version: i32) -> SubjectVersion {
        SubjectVersion {
            subject: subject.to_string(),
            version,
            id: self.id,
            schema_type: Some(self.schema_type.clone()),
            schema: self.text.clone(),
            references: self.references.clone(),
            metadata: self.metadata.clone(),
            rule_set: self.rule_set.clone(),
            guid: Some(self.guid.to_string()),
        }
    }
}

/// The strings a schema is matched by: its content (type, references, text as given), its
/// normalised content, and its identity (content plus metadata and rule set), which picks the id.
struct Keys {
    content: String,
    normalized: String,
}

/// The content key: type, references and text.
fn content_key(schema_type: &str, references: &[SchemaReference], text: &str) -> String {
    let refs = serde_json::to_string(references).unwrap_or_default();
    format!("{schema_type}\n{refs}\n{text}")
}

impl Keys {
    fn new(schema_type: &str, references: &[SchemaReference], text: &str, doc: &Value) -> Keys {
        Keys {
            content: content_key(schema_type, references, text),
            normalized: content_key(schema_type, references, &normalize(doc).to_string()),
        }
    }

    fn identity(&self, metadata: &Option<Value>, rule_set: &Option<Value>) -> String {
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
        format!("{}\n{}\n{}", self.content, text(metadata), text(rule_set))
    }
}

/// The document with every object's keys sorted: what `?normalize=true` compares and stores.
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), normalize(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// A schema proposed for registration, lookup or a compatibility check, read and keyed.
struct Proposal {
    schema_type: String,
    text: String,
    doc: Value,
    /// The content key of `text`; with `normalize`, `text` is normalised, so this is also the
    /// key of the normalised index.
    key: String,
    references: Vec<SchemaReference>,
    metadata: Option<Value>,
    rule_set: Option<Value>,
    normalize: bool,
}

impl Proposal {
    fn read(req: RegisterRequest, normalize: bool) -> Result<Proposal, ApiError> {
        if req.schema.len() > MAX_SCHEMA_BYTES {
            return Err(ApiError::SchemaTooLarge {
                size: req.schema.len(),
                limit: MAX_SCHEMA_BYTES,
            });
        }
        let schema_type = req
            .schema_type
            .as_deref()
            .unwrap_or("AVRO")
            .to_ascii_uppercase();
        if schema_type != JSON {
            return Err(ApiError::InvalidSchema(format!(
                "schema type {schema_type} is not supported: this registry serves JSON Schemas only (send \"schemaType\": \"JSON\"; a missing schemaType means AVRO)"
            )));
        }
        let doc: Value = serde_json::from_str(&req.schema)
            .map_err(|e| ApiError::InvalidSchema(format!("invalid JSON: {e}")))?;
        let doc = if normalize {
            self::normalize(&doc)
        } else {
            doc
        };
        let text = doc.to_string();
        let key = content_key(&schema_type, &req.references, &text);
        Ok(Proposal {
            schema_type,
            text,
            doc,
            key,
            references: req.references,
            metadata: req.metadata,
            rule_set: req.rule_set,
            normalize,
        })
    }

    /// Parses the schema with the engine, its references resolved in `state`; its message is
    /// the 42201 message.
    fn parse(&self, state: &State) -> Result<(compat::Schema, Option<Metadata>), ApiError> {
        let references = state.resolve_references(&self.references)?;
        let schema = compat::Schema::parse_with_references(self.doc.clone(), references)
            .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
        let metadata = self
            .metadata
            .as_ref()
            .map(Metadata::from_json)
            .transpose()
            .map_err(|e| ApiError::InvalidSchema(format!("metadata: {e}")))?;
        Ok((schema, metadata))
    }
}

/// A registration without `metadata` or without `ruleSet` keeps those of the subject's latest
/// live version, as Confluent's registry does (outside IMPORT mode): a data contract's rules
/// stay in force when a client registers a new version without them.
fn inherit_from_latest(
    state: &State,
    subject: &str,
    proposal: &mut Proposal,
    meta: &mut Option<Metadata>,
) {
    let Some((_, latest)) = state.live_versions(subject).pop() else {
        return;
    };
    if proposal.metadata.is_none() && latest.metadata.is_some() {
        proposal.metadata = latest.metadata.clone();
        *meta = latest.compat_metadata.clone();
    }
    if proposal.rule_set.is_none() {
        proposal.rule_set = latest.rule_set.clone();
    }
}

static EMPTY_CONTRACT: ConfigContract = ConfigContract {
    default_metadata: None,
    override_metadata: None,
    default_rule_set: None,
    override_rule_set: None,
};

/// Merges metadata as Confluent's `Metadata.mergeMetadata` does: `tags` and `properties` are
/// maps where `new`'s keys win, `sensitive` is the union, sorted.
fn merge_metadata(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    let (old, new) = match (old, new) {
        (None, new) => return new.cloned(),
        (old, None) => return old.cloned(),
        (Some(o), Some(n)) => (o, n),
    };
    let mut out = serde_json::Map::new();
    for key in ["tags", "properties"] {
        let o = old
            .get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty());
        let n = new
            .get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty());
        let merged = match (o, n) {
            (None, None) => continue,
            (Some(m), None) | (None, Some(m)) => m.clone(),
            (Some(o), Some(n)) => {
                let mut sorted: BTreeMap<String, Value> = o.clone().into_iter().collect();
                sorted.extend(n.clone());
                sorted.into_iter().collect()
            }
        };
        out.insert(key.into(), Value::Object(merged));
    }
    let mut sensitive: BTreeSet<String> = BTreeSet::new();
    for m in [old, new] {
        if let Some(list) = m.get("sensitive").and_then(Value::as_array) {
            sensitive.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    if !sensitive.is_empty() {
        out.insert("sensitive".into(), sensitive.into_iter().collect());
    }
    Some(Value::Object(out))
}

/// Merges rule sets as Confluent's `RuleSet.mergeRuleSets` does: per list, `old`'s rules whose
/// name `new` does not use, then `new`'s.
fn merge_rule_sets(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    let (old, new) = match (old, new) {
        (None, new) => return new.cloned(),
        (old, None) => return old.cloned(),
        (Some(o), Some(n)) => (o, n),
    };
    let mut out = serde_json::Map::new();
    for key in ["migrationRules", "domainRules", "encodingRules"] {
        let list = |v: &Value| {
            v.get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (o, n) = (list(old), list(new));
        let merged = if o.is_empty() {
            n
        } else if n.is_empty() {
            o
        } else {
            let name = |r: &Value| r.get("name").cloned();
            let names: Vec<Option<Value>> = n.iter().map(name).collect();
            o.into_iter()
                .filter(|r| !names.contains(&name(r)))
                .chain(n)
                .collect()
        };
        if !merged.is_empty() {
            out.insert(key.into(), Value::Array(merged));
        }
    }
    Some(Value::Object(out))
}

/// A version row in memory.
#[derive(Clone, Copy, Debug)]
struct Row {
    id: i32,
    deleted: bool,
}

/// A level and policy, each possibly unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Settings {
    level: Option<Level>,
    policy: Option<Policy>,
}

#[derive(Debug, Default)]
struct State {
    schemas: HashMap<i32, Arc<Stored>>,
    by_guid: HashMap<uuid::Uuid, i32>,
    by_identity: HashMap<String, i32>,
    by_content: HashMap<String, Vec<i32>>,
    by_normalized: HashMap<String, Vec<i32>>,
    /// Every (subject, version) row naming an id, live or soft-deleted.
    uses: HashMap<i32, BTreeSet<(String, i32)>>,
    subjects: BTreeMap<String, BTreeMap<i32, Row>>,
    global: Settings,
    subject_settings: HashMap<String, Settings>,
    global_mode: Option<Mode>,
    subject_modes: HashMap<String, Mode>,
    /// Data-contract defaults and overrides: global, and per subject.
    global_contract: ConfigContract,
    subject_contracts: HashMap<String, ConfigContract>,
}

impl State {
    fn load(snapshot: Snapshot) -> Result<State, String> {
        let mut state = State::default();
        // Rows first: a schema's references are resolved through them.
        for v in snapshot.versions {
            let id = i32::try_from(v.schema_id).map_err(|_| "schema id out of range")?;
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

    fn add_schema(&mut self, stored: Arc<Stored>) {
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

    fn add_row(&mut self, subject: &str, version: i32, id: i32, deleted: bool) {
        self.subjects
            .entry(subject.to_string())
            .or_default()
            .insert(version, Row { id, deleted });
        self.uses
            .entry(id)
            .or_default()
            .insert((subject.to_string(), version));
    }

    fn remove_row(&mut self, subject: &str, version: i32) {
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
    fn rows(&self, subject: &str, deleted: bool) -> Result<&BTreeMap<i32, Row>, ApiError> {
        match self.subjects.get(subject) {
            Some(rows) if deleted || rows.values().any(|r| !r.deleted) => Ok(rows),
            _ => Err(ApiError::SubjectNotFound(subject.to_string())),
        }
    }

    fn live_versions(&self, subject: &str) -> Vec<(i32, Arc<Stored>)> {
        self.subjects
            .get(subject)
            .into_iter()
            .flatten()
            .filter(|(_, r)| !r.deleted)
            .filter_map(|(&v, r)| Some((v, self.schemas.get(&r.id)?.clone())))
            .collect()
    }

    /// Resolves a version of a subject; soft-deleted versions only with `deleted`.
    fn resolve(
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

    fn stored(&self, id: i32) -> Result<&Arc<Stored>, ApiError> {
        self.schemas
            .get(&id)
            .ok_or_else(|| ApiError::Store(format!("version names missing schema {id}")))
    }

    /// The newest version of `subject` holding a schema matching the proposal.
    fn find_in_subject(
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

    fn settings(&self, subject: &str) -> (Level, Policy) {
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
    fn contract_in_scope(&self, subject: &str) -> &ConfigContract {
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

    fn mode(&self, subject: &str) -> Mode {
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
    fn resolve_references(
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
    fn referencing(&self, subject: &str, version: i32) -> Vec<i32> {
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

fn parse_policy(s: &str) -> Result<Policy, ApiError> {
    match s.trim().to_ascii_uppercase().as_str() {
        "STRICT" => Ok(Policy::Strict),
        "LENIENT" => Ok(Policy::Lenient),
        _ => Err(ApiError::InvalidCompatibility(format!(
            "Invalid compatibility policy {s}. Valid values are: STRICT, LENIENT"
        ))),
    }
}

fn parse_level(s: &str) -> Result<Level, ApiError> {
    s.parse().map_err(|_| {
        ApiError::InvalidCompatibility(format!(
            "Invalid compatibility level {s}. Valid values are: {}",
            Level::ALL.map(Level::name).join(", ")
        ))
    })
}

fn policy_name(p: Policy) -> String {
    p.name().to_ascii_uppercase()
}

/// Confluent-style verbose messages for `proposal` against `against` (newest first), stopping
/// at the first incompatible version as Confluent does. Empty means compatible.
fn incompatibilities(
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

/// Whether a rule set has a rule of `rule_type` among its migration, domain or encoding rules.
fn has_rule_of_type(rule_set: Option<&Value>, rule_type: &str) -> bool {
    let Some(rule_set) = rule_set else {
        return false;
    };
    ["migrationRules", "domainRules", "encodingRules"]
        .iter()
        .filter_map(|list| rule_set.get(list)?.as_array())
        .flatten()
        .any(|rule| rule.get("type").and_then(Value::as_str) == Some(rule_type))
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

    // ---- reads ----

    /// `GET /subjects`.
    pub fn subjects(&self, deleted: bool, prefix: Option<&str>) -> Vec<String> {
        let state = self.read();
        state
            .subjects
            .iter()
            .filter(|(s, _)| prefix.is_none_or(|p| s.starts_with(p)))
            .filter(|(_, rows)| deleted || rows.values().any(|r| !r.deleted))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// `GET /schemas`: every version of the subjects starting with `filter.subject_prefix`, by
    /// subject then version (the newest one of each subject only with `latest_only`), then
    /// paged. As in Confluent, `latest_only` with `deleted` may pick a soft-deleted version.
    pub fn list_schemas(&self, filter: &SchemaFilter<'_>) -> Vec<SubjectVersion> {
        let state = self.read();
        let mut out = Vec::new();
        let subjects = state
            .subjects
            .iter()
            .filter(|(s, _)| s.starts_with(filter.subject_prefix));
        for (subject, rows) in subjects {
            let mut visible = rows.iter().filter(|(_, r)| filter.deleted || !r.deleted);
            let picked: Vec<(&i32, &Row)> = if filter.latest_only {
                visible.next_back().into_iter().collect()
            } else {
                visible.collect()
            };
            for (&version, row) in picked {
                let Some(stored) = state.schemas.get(&row.id) else {
                    continue;
                };
                if filter
                    .rule_type
                    .is_some_and(|t| !has_rule_of_type(stored.rule_set.as_ref(), t))
                {
                    continue;
                }
                out.push(stored.record(subject, version));
            }
        }
        out.into_iter()
            .skip(filter.offset)
            .take(filter.limit)
            .collect()
    }

    /// `GET /subjects/{s}/metadata`: the newest version whose `metadata.properties` hold every
    /// `wanted` pair; 40401 without versions, 40403 when none matches, as Confluent answers.
    pub fn latest_with_metadata(
        &self,
        subject: &str,
        wanted: &BTreeMap<String, String>,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let state = self.read();
        let rows = state.rows(subject, deleted)?;
        let holds = |stored: &Stored| {
            let properties = stored
                .metadata
                .as_ref()
                .and_then(|m| m.get("properties"))
                .and_then(Value::as_object);
            properties.is_some_and(|p| {
                wanted
                    .iter()
                    .all(|(k, v)| p.get(k).and_then(Value::as_str) == Some(v.as_str()))
            })
        };
        rows.iter()
            .rev()
            .filter(|(_, r)| deleted || !r.deleted)
            .filter_map(|(&v, r)| Some((v, state.schemas.get(&r.id)?)))
            .find(|(_, stored)| holds(stored))
            .map(|(v, stored)| stored.record(subject, v))
            .ok_or(ApiError::SchemaNotUnderSubject)
    }

    /// `GET /subjects/{s}/versions`.
    pub fn versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>, ApiError> {
        let state = self.read();
        let rows = state.rows(subject, deleted)?;
        Ok(rows
            .iter()
            .filter(|(_, r)| deleted || !r.deleted)
            .map(|(&v, _)| v)
            .collect())
    }

    /// `GET /subjects/{s}/versions/{v}`.
    pub fn version(
        &self,
        subject: &str,
        spec: VersionRef,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let state = self.read();
        let (version, row) = state.resolve(subject, spec, deleted)?;
        Ok(state.stored(row.id)?.record(subject, version))
    }

    /// `GET /schemas/ids/{id}`: a schema used by at least one version, live or soft-deleted.
    pub fn schema(&self, id: i64) -> Result<Arc<Stored>, ApiError> {
        let state = self.read();
        i32::try_from(id)
            .ok()
            .filter(|id| state.uses.contains_key(id))
            .and_then(|id| state.schemas.get(&id).cloned())
            .ok_or_else(|| ApiError::SchemaNotFound(id.to_string()))
    }

    /// `GET /schemas/guids/{guid}`: the schema with that content, used by at least one version,
    /// live or soft-deleted. Anything that is not a GUID is not found, as with ids.
    pub fn schema_by_guid(&self, guid: &str) -> Result<Arc<Stored>, ApiError> {
        let state = self.read();
        uuid::Uuid::parse_str(guid)
            .ok()
            .and_then(|g| state.by_guid.get(&g))
            .filter(|id| state.uses.contains_key(id))
            .and_then(|id| state.schemas.get(id).cloned())
            .ok_or_else(|| ApiError::SchemaNotFound(guid.to_string()))
    }

    /// `GET /schemas/ids/{id}/versions`.
    pub fn schema_versions(
        &self,
        id: i64,
        deleted: bool,
    ) -> Result<Vec<SubjectAndVersion>, ApiError> {
        let state = self.read();
        let uses = i32::try_from(id)
            .ok()
            .and_then(|id| state.uses.get(&id))
            .ok_or_else(|| ApiError::SchemaNotFound(id.to_string()))?;
        Ok(uses
            .iter()
            .filter(|(s, v)| {
                deleted
                    || state
                        .subjects
                        .get(s)
                        .and_then(|rows| rows.get(v))
                        .is_some_and(|r| !r.deleted)
            })
            .map(|(s, v)| SubjectAndVersion {
                subject: s.clone(),
                version: *v,
            })
            .collect())
    }

    /// `GET /schemas/ids/{id}/subjects`.
    pub fn schema_subjects(&self, id: i64, deleted: bool) -> Result<Vec<String>, ApiError> {
        let mut subjects: Vec<String> = self
            .schema_versions(id, deleted)?
            .into_iter()
            .map(|sv| sv.subject)
            .collect();
        subjects.dedup();
        Ok(subjects)
    }

    /// `GET /subjects/{s}/versions/{v}/referencedby`.
    pub fn referenced_by(&self, subject: &str, spec: VersionRef) -> Result<Vec<i32>, ApiError> {
        let state = self.read();
        let (version, _) = state.resolve(subject, spec, false)?;
        Ok(state.referencing(subject, version))
    }

    /// `POST /subjects/{s}`: the version of `subject` holding this schema.
    pub fn lookup(
        &self,
        subject: &str,
        req: RegisterRequest,
        normalize: bool,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let proposal = Proposal::read(req, normalize)?;
        let state = self.read();
        state.rows(subject, deleted)?;
        let (version, stored) = state
            .find_in_subject(subject, &proposal, deleted)
            .ok_or(ApiError::SchemaNotUnderSubject)?;
        Ok(stored.record(subject, version))
    }

    /// `GET /config[/{s}]`; 40408 when the subject has no settings of its own.
    pub fn config(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ConfigResponse, ApiError> {
        let state = self.read();
        let global = || {
            (
                state.global.level,
                state.global.policy,
                state.global_contract.clone(),
            )
        };
        let (level, policy, contract) = match subject {
            None => global(),
            Some(s) => {
                let own = state.subject_settings.get(s);
                let contract = state.subject_contracts.get(s);
                match (own, contract) {
                    (None, None) if default_to_global => global(),
                    (None, None) => return Err(ApiError::NoSubjectConfig(s.to_string())),
                    (own, contract) => {
                        let own = own.copied().unwrap_or_default();
                        (own.level, own.policy, contract.cloned().unwrap_or_default())
                    }
                }
            }
        };
        Ok(ConfigResponse {
            compatibility_level: level
                .or(state.global.level)
                .unwrap_or(Level::Backward)
                .to_string(),
            compatibility_policy: policy.map(policy_name),
            contract,
        })
    }

    /// `GET /mode[/{s}]`.
    pub fn mode(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ModeBody, ApiError> {
        let state = self.read();
        let global = state.global_mode.unwrap_or(Mode::ReadWrite);
        let mode = match subject {
            None => global,
            Some(s) => match state.subject_modes.get(s) {
                Some(&m) => m,
                None if default_to_global => global,
                None => return Err(ApiError::NoSubjectMode(s.to_string())),
            },
        };
        Ok(ModeBody {
            mode: mode.name().to_string(),
        })
    }

    // ---- compatibility ----

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
    fn against(mut live: Vec<(i32, Arc<Stored>)>, level: Level) -> Vec<(i32, Arc<Stored>)> {
        live.reverse();
        if !level.is_transitive() {
            live.truncate(1);
        }
        live
    }

    // ---- writes ----

    /// `POST /subjects/{s}/versions`: returns the id, new or existing.
    pub fn register(
        &self,
        subject: &str,
        req: RegisterRequest,
        normalize: bool,
    ) -> Result<i32, ApiError> {
        if let Some(rule_set) = &req.rule_set {
            super::rule_set::check(rule_set)?;
        }
        let wanted_id = req.id.filter(|&id| id > 0);
        let wanted_version = req.version.filter(|&v| v > 0);
        let mut proposal = Proposal::read(req, normalize)?;
        let mut db = self.db();
        let state = self.read();
        let (schema, mut meta) = proposal.parse(&state)?;
        Self::writable(&state, subject)?;
        let import = state.mode(subject) == Mode::Import;
        let already = |proposal: &Proposal| -> Result<Option<i32>, ApiError> {
            let Some((_, existing)) = state.find_in_subject(subject, proposal, false) else {
                return Ok(None);
            };
            if wanted_id.is_some_and(|id| id != existing.id) {
                return Err(ApiError::NotPermitted(format!(
                    "Schema already registered with id {} instead of input id {}",
                    existing.id,
                    wanted_id.unwrap_or_default()
                )));
            }
            Ok(Some(existing.id))
        };
        // As Confluent's registerOrForward does, the schema as sent is looked up first: a
        // producer that auto-registers the schema of an older version, with no rules of its
        // own, gets that version back rather than a new one carrying the latest version's rules.
        if let Some(id) = already(&proposal)? {
            return Ok(id);
        }
        if !import {
            inherit_from_latest(&state, subject, &mut proposal, &mut meta);
            let contract = state.contract_in_scope(subject);
            if !contract.is_empty() {
                let metadata = merge_metadata(
                    merge_metadata(
                        contract.default_metadata.as_ref(),
                        proposal.metadata.as_ref(),
                    )
                    .as_ref(),
                    contract.override_metadata.as_ref(),
                );
                if metadata != proposal.metadata {
                    meta = metadata
                        .as_ref()
                        .map(Metadata::from_json)
                        .transpose()
                        .map_err(|e| ApiError::InvalidSchema(format!("metadata: {e}")))?;
                    proposal.metadata = metadata;
                }
                proposal.rule_set = merge_rule_sets(
                    merge_rule_sets(
                        contract.default_rule_set.as_ref(),
                        proposal.rule_set.as_ref(),
                    )
                    .as_ref(),
                    contract.override_rule_set.as_ref(),
                );
            }
        }
        if let Some(id) = already(&proposal)? {
            return Ok(id);
        }
        let keys = Keys::new(
            &proposal.schema_type,
            &proposal.references,
            &proposal.text,
            &proposal.doc,
        );
        let identity = keys.identity(&proposal.metadata, &proposal.rule_set);
        let existing_id = state.by_identity.get(&identity).copied();
        let next_version = state
            .subjects
            .get(subject)
            .and_then(|rows| rows.keys().next_back())
            .map_or(Ok(1), |v| {
                v.checked_add(1).ok_or_else(|| {
                    ApiError::NotPermitted(format!("Subject {subject} has no versions left"))
                })
            })?;
        if !import {
            let explicit =
                |wanted: Option<i32>, would: Option<i32>| wanted.is_some_and(|w| Some(w) != would);
            if explicit(wanted_id, existing_id) || explicit(wanted_version, Some(next_version)) {
                return Err(ApiError::NotPermitted(
                    "an id or version other than the one the registry assigns can only be given in IMPORT mode".into(),
                ));
            }
            let (level, policy) = state.settings(subject);
            let against = Self::against(state.live_versions(subject), level);
            let details = incompatibilities(&schema, meta.as_ref(), &against, level, policy)?;
            if !details.is_empty() {
                return Err(ApiError::Incompatible {
                    subject: subject.to_string(),
                    details,
                });
            }
        }
        let version = wanted_version.unwrap_or(next_version);
        if state
            .subjects
            .get(subject)
            .is_some_and(|rows| rows.contains_key(&version))
        {
            return Err(ApiError::NotPermitted(format!(
                "Subject {subject} already has a version {version}"
            )));
        }
        let new_schema = match (existing_id, wanted_id) {
            (Some(id), Some(w)) if id != w => {
                return Err(ApiError::NotPermitted(format!(
                    "Schema already registered with id {id} instead of input id {w}"
                )));
            }
            (Some(_), _) => None,
            (None, Some(w)) if state.schemas.contains_key(&w) => {
                return Err(ApiError::NotPermitted(format!(
                    "Overwrite new schema with id {w} is not permitted."
                )));
            }
            (None, wanted) => Some(SchemaRow {
                id: wanted.map_or(0, i64::from),
                schema_type: proposal.schema_type.clone(),
                schema: proposal.text.clone(),
                refs: serde_json::to_string(&proposal.references).unwrap_or_default(),
                metadata: proposal.metadata.as_ref().map(Value::to_string),
                rule_set: proposal.rule_set.as_ref().map(Value::to_string),
            }),
        };
        drop(state);
        let id = db.add_version(
            new_schema.as_ref(),
            subject,
            version,
            existing_id.map_or(0, i64::from),
        )?;
        let id = i32::try_from(id)
            .map_err(|_| ApiError::Store(format!("schema id {id} exceeds 2^31-1")))?;
        let mut state = self.write();
        if new_schema.is_some() {
            let Proposal {
                schema_type,
                text,
                references,
                metadata,
                rule_set,
                ..
            } = proposal;
            state.add_schema(Arc::new(Stored::new(
                id,
                schema_type,
                text,
                references,
                metadata,
                rule_set,
                Ok(schema),
                meta,
                keys,
            )));
        }
        state.add_row(subject, version, id, false);
        Ok(id)
    }

    /// `DELETE /subjects/{s}`: the versions deleted.
    pub fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>, ApiError> {
        let mut db = self.db();
        let state = self.read();
        Self::writable(&state, subject)?;
        let rows = state
            .subjects
            .get(subject)
            .ok_or_else(|| ApiError::SubjectNotFound(subject.to_string()))?;
        let live: Vec<i32> = rows
            .iter()
            .filter(|(_, r)| !r.deleted)
            .map(|(&v, _)| v)
            .collect();
        let all: Vec<i32> = rows.keys().copied().collect();
        if permanent && !live.is_empty() {
            return Err(ApiError::SubjectNotSoftDeleted(subject.to_string()));
        }
        if !permanent && live.is_empty() {
            return Err(ApiError::SubjectSoftDeleted(subject.to_string()));
        }
        for &v in if permanent { &all } else { &live } {
            if !state.referencing(subject, v).is_empty() {
                return Err(ApiError::ReferenceExists(subject.to_string(), v));
            }
        }
        drop(state);
        if permanent {
            db.hard_delete(subject, &all, true)?;
            let mut state = self.write();
            for &v in &all {
                state.remove_row(subject, v);
            }
            state.subject_settings.remove(subject);
            state.subject_contracts.remove(subject);
            state.subject_modes.remove(subject);
            Ok(all)
        } else {
            db.soft_delete(subject, &live)?;
            let mut state = self.write();
            if let Some(rows) = state.subjects.get_mut(subject) {
                for v in &live {
                    if let Some(r) = rows.get_mut(v) {
                        r.deleted = true;
                    }
                }
            }
            Ok(live)
        }
    }

    /// `DELETE /subjects/{s}/versions/{v}`: the version deleted.
    pub fn delete_version(
        &self,
        subject: &str,
        spec: VersionRef,
        permanent: bool,
    ) -> Result<i32, ApiError> {
        let mut db = self.db();
        let state = self.read();
        Self::writable(&state, subject)?;
        let (version, row) = state.resolve(subject, spec, true)?;
        // As Confluent does, first and whether the version is live or soft-deleted: a schema
        // that references it would no longer resolve.
        if !state.referencing(subject, version).is_empty() {
            return Err(ApiError::ReferenceExists(subject.to_string(), version));
        }
        if permanent && !row.deleted {
            return Err(ApiError::VersionNotSoftDeleted(
                subject.to_string(),
                version,
            ));
        }
        if !permanent && row.deleted {
            return Err(ApiError::VersionSoftDeleted(subject.to_string(), version));
        }
        drop(state);
        if permanent {
            db.hard_delete(subject, &[version], false)?;
            self.write().remove_row(subject, version);
        } else {
            db.soft_delete(subject, &[version])?;
            let mut state = self.write();
            if let Some(r) = state
                .subjects
                .get_mut(subject)
                .and_then(|rows| rows.get_mut(&version))
            {
                r.deleted = true;
            }
        }
        Ok(version)
    }

    fn writable(state: &State, subject: &str) -> Result<(), ApiError> {
        if state.mode(subject).is_read_only() {
            return Err(ApiError::NotPermitted(format!(
                "Subject {subject} is in read-only mode"
            )));
        }
        Ok(())
    }

    /// `PUT /config[/{s}]`: returns the update as stored (names upper-case).
    pub fn set_config(
        &self,
        subject: Option<&str>,
        req: ConfigRequest,
    ) -> Result<ConfigRequest, ApiError> {
        let level = match req.compatibility.trim() {
            "" => None,
            l => Some(parse_level(l)?),
        };
        let policy = req
            .compatibility_policy
            .as_deref()
            .map(parse_policy)
            .transpose()?;
        if level.is_none() && policy.is_none() && req.contract.is_empty() {
            return Err(ApiError::InvalidCompatibility(
                "Invalid compatibility level: the body sets neither \"compatibility\" nor \"compatibilityPolicy\" (nor a default or override metadata or rule set)".into(),
            ));
        }
        for rule_set in [
            &req.contract.default_rule_set,
            &req.contract.override_rule_set,
        ]
        .into_iter()
        .flatten()
        {
            super::rule_set::check(rule_set)?;
        }
        for metadata in [
            &req.contract.default_metadata,
            &req.contract.override_metadata,
        ]
        .into_iter()
        .flatten()
        {
            Metadata::from_json(metadata)
                .map_err(|e| ApiError::InvalidSchema(format!("metadata: {e}")))?;
        }
        let mut db = self.db();
        let current = {
            let state = self.read();
            match subject {
                None => state.global,
                Some(s) => state.subject_settings.get(s).copied().unwrap_or_default(),
            }
        };
        let new = Settings {
            level: level.or(current.level),
            policy: policy.or(current.policy),
        };
        let mut contract = {
            let state = self.read();
            match subject {
                None => state.global_contract.clone(),
                Some(s) => state.subject_contracts.get(s).cloned().unwrap_or_default(),
            }
        };
        contract.update(req.contract.clone());
        let contract_text =
            (!contract.is_empty()).then(|| serde_json::to_string(&contract).unwrap_or_default());
        match subject {
            None => {
                db.set_global("compatibility", new.level.map(Level::name))?;
                db.set_global("policy", new.policy.map(policy_name).as_deref())?;
                db.set_global("contract", contract_text.as_deref())?;
                let mut state = self.write();
                state.global = new;
                state.global_contract = contract;
            }
            Some(s) => {
                let policy = new.policy.map(policy_name);
                db.set_subject_config(s, Some((new.level.map(Level::name), policy.as_deref())))?;
                db.set_subject_contract(s, contract_text.as_deref())?;
                let mut state = self.write();
                state.subject_settings.insert(s.to_string(), new);
                if contract.is_empty() {
                    state.subject_contracts.remove(s);
                } else {
                    state.subject_contracts.insert(s.to_string(), contract);
                }
            }
        }
        Ok(ConfigRequest {
            compatibility: level.map(|l| l.name().to_string()).unwrap_or_default(),
            compatibility_policy: policy.map(policy_name),
            contract: req.contract,
        })
    }

    /// `DELETE /config[/{s}]`: the settings removed (the global ones fall back to defaults).
    pub fn delete_config(&self, subject: Option<&str>) -> Result<ConfigResponse, ApiError> {
        let mut db = self.db();
        let removed = self.config(subject, false)?;
        match subject {
            None => {
                db.set_global("compatibility", None)?;
                db.set_global("policy", None)?;
                db.set_global("contract", None)?;
                let mut state = self.write();
                state.global = Settings::default();
                state.global_contract = ConfigContract::default();
            }
            Some(s) => {
                db.set_subject_config(s, None)?;
                db.set_subject_contract(s, None)?;
                let mut state = self.write();
                state.subject_settings.remove(s);
                state.subject_contracts.remove(s);
            }
        }
        Ok(removed)
    }

    /// `PUT /mode[/{s}]`.
    pub fn set_mode(
        &self,
        subject: Option<&str>,
        req: ModeBody,
        force: bool,
    ) -> Result<ModeBody, ApiError> {
        let mode = Mode::parse(&req.mode).ok_or_else(|| ApiError::InvalidMode(req.mode.clone()))?;
        let mut db = self.db();
        {
            let state = self.read();
            if mode == Mode::Import && !force {
                let has_schemas = match subject {
                    None => !state.subjects.is_empty(),
                    Some(s) => state.subjects.contains_key(s),
                };
                if has_schemas {
                    return Err(ApiError::NotPermitted(
                        "Cannot import since found existing subjects (set force=true to switch to IMPORT anyway)".into(),
                    ));
                }
            }
            if mode == Mode::ReadOnlyOverride && subject.is_some() {
                return Err(ApiError::InvalidMode(format!(
                    "{} (READONLY_OVERRIDE is a global mode only)",
                    req.mode
                )));
            }
        }
        match subject {
            None => {
                db.set_global("mode", Some(mode.name()))?;
                self.write().global_mode = Some(mode);
            }
            Some(s) => {
                db.set_subject_mode(s, Some(mode.name()))?;
                self.write().subject_modes.insert(s.to_string(), mode);
            }
        }
        Ok(ModeBody {
            mode: mode.name().to_string(),
        })
    }

    /// `DELETE /mode/{s}`: the mode removed. A subject without a mode of its own is 40401, as
    /// Confluent answers, unless `recursive` (which asks for no mode to be left): then `None`.
    pub fn delete_mode(
        &self,
        subject: &str,
        recursive: bool,
    ) -> Result<Option<ModeBody>, ApiError> {
        let mut db = self.db();
        let removed = match self.mode(Some(subject), false) {
            Ok(mode) => Some(mode),
            Err(_) if recursive => None,
            Err(_) => return Err(ApiError::SubjectNotFound(subject.to_string())),
        };
        db.set_subject_mode(subject, None)?;
        self.write().subject_modes.remove(subject);
        Ok(removed)
    }

    /// `DELETE /mode`: the global mode reverts to READWRITE; the answer is the mode it had.
    /// With `recursive`, every subject's own mode is removed too.
    pub fn delete_global_mode(&self, recursive: bool) -> Result<ModeBody, ApiError> {
        let mut db = self.db();
        let removed = self.mode(None, true)?;
        let subjects: Vec<String> = if recursive {
            self.read().subject_modes.keys().cloned().collect()
        } else {
            Vec::new()
        };
        db.set_global("mode", None)?;
        for s in &subjects {
            db.set_subject_mode(s, None)?;
        }
        let mut state = self.write();
        state.global_mode = None;
        for s in &subjects {
            state.subject_modes.remove(s);
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(schema: &Value) -> RegisterRequest {
        RegisterRequest {
            schema_type: Some(JSON.into()),
            schema: schema.to_string(),
            ..RegisterRequest::default()
        }
    }

    #[test]
    fn normalize_sorts_keys_at_every_depth_and_keeps_array_order() {
        let doc = json!({"type": "object", "properties": {"b": {"type": "string", "$comment": "x"}, "a": {}}, "required": ["b", "a"]});
        assert_eq!(
            normalize(&doc).to_string(),
            r#"{"properties":{"a":{},"b":{"$comment":"x","type":"string"}},"required":["b","a"],"type":"object"}"#
        );
    }

    #[test]
    fn a_reopened_store_rebuilds_ids_versions_and_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = json!({"type": "object", "properties": {"fuel": {"type": "number"}}});
        let id = {
            let registry = Registry::open(Some(dir.path())).unwrap();
            let id = registry.register("gen-value", req(&v1), false).unwrap();
            registry
                .set_config(
                    Some("gen-value"),
                    ConfigRequest {
                        compatibility: "FULL".into(),
                        compatibility_policy: Some("lenient".into()),
                        contract: contract(),
                    },
                )
                .unwrap();
            id
        };
        let registry = Registry::open(Some(dir.path())).unwrap();
        assert_eq!(registry.register("gen-value", req(&v1), false).unwrap(), id);
        assert_eq!(registry.versions("gen-value", false).unwrap(), vec![1]);
        let found = registry.lookup("gen-value", req(&v1), true, false).unwrap();
        assert_eq!((found.id, found.version), (id, 1));
        assert_eq!(
            registry.config(Some("gen-value"), false).unwrap(),
            ConfigResponse {
                compatibility_level: "FULL".into(),
                compatibility_policy: Some("LENIENT".into()),
                contract: contract(),
            }
        );
    }

    fn contract() -> ConfigContract {
        ConfigContract {
            default_metadata: Some(json!({"properties": {"owner": "fleet-team"}})),
            ..ConfigContract::default()
        }
    }

    #[test]
    fn metadata_and_rule_sets_merge_as_confluents_do() {
        let old = json!({"tags": {"a": ["x"]}, "properties": {"owner": "fleet", "tier": "1"}, "sensitive": ["b"]});
        let new = json!({"properties": {"owner": "me"}, "sensitive": ["a"]});
        assert_eq!(
            merge_metadata(Some(&old), Some(&new)),
            Some(
                json!({"tags": {"a": ["x"]}, "properties": {"owner": "me", "tier": "1"}, "sensitive": ["a", "b"]})
            )
        );
        assert_eq!(merge_metadata(None, Some(&new)), Some(new.clone()));
        let rule = |name: &str, expr: &str| json!({"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr});
        let old = json!({"domainRules": [rule("a", "1"), rule("b", "2")]});
        let new = json!({"domainRules": [rule("b", "3"), rule("c", "4")], "migrationRules": []});
        assert_eq!(
            merge_rule_sets(Some(&old), Some(&new)),
            Some(json!({"domainRules": [rule("a", "1"), rule("b", "3"), rule("c", "4")]}))
        );
    }

    #[test]
    fn a_chain_of_a_thousand_references_resolves_in_one_pass() {
        // link0 is a string; link{i} is an object whose `next` is link{i-1}, by reference
        // (names are one namespace across the chain, as in Confluent's registry). The chain is
        // put in the state directly: registering it link by link would parse every prefix of
        // the chain, which is the registry's job but not this test's.
        let registry = Registry::open(None).unwrap();
        registry
            .register("link0", req(&json!({"type": "string"})), false)
            .unwrap();
        let link = |i: i32| {
            let name = format!("link{}.json", i - 1);
            let doc = json!({"type": "object", "properties": {"next": {"$ref": name}}});
            let references = vec![SchemaReference {
                name,
                subject: format!("link{}", i - 1),
                version: 1,
            }];
            (doc, references)
        };
        {
            let mut state = registry.write();
            for i in 1..1000 {
                let (doc, references) = link(i);
                let text = doc.to_string();
                let keys = Keys::new(JSON, &references, &text, &doc);
                let stored = Stored::new(
                    i + 1,
                    JSON.into(),
                    text,
                    references,
                    None,
                    None,
                    Err("not parsed in this test".into()),
                    None,
                    keys,
                );
                state.add_schema(Arc::new(stored));
                state.add_row(&format!("link{i}"), 1, i + 1, false);
            }
        }
        // The thousandth link is registered as any schema is: resolved and parsed.
        let (doc, references) = link(1000);
        let mut r = req(&doc);
        r.references = references;
        registry.register("link1000", r, false).unwrap();
        let state = registry.read();
        let top = state.live_versions("link1000");
        let schema = top[0].1.schema().unwrap();
        assert_eq!(schema.references().len(), 1000);
        // 1000 `next`s down, the string.
        let mut id = schema.root();
        for _ in 0..1000 {
            let compat::schema::Kind::Object(o) = &schema.node(schema.resolve(id)).kind else {
                panic!("not an object");
            };
            id = o.properties[0].1;
        }
        assert_eq!(
            schema.raw(schema.resolve(id)),
            Some(&json!({"type": "string"}))
        );
    }

    #[test]
    fn concurrent_identical_registrations_serialise_to_one_version() {
        let registry = Arc::new(Registry::open(None).unwrap());
        let v1 = json!({"type": "string", "maxLength": 36});
        let ids: Vec<i32> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| registry.register("id-value", req(&v1), false).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
        assert_eq!(registry.versions("id-value", false).unwrap(), vec![1]);
    }
}
