//! Schema ids → compiled validators, for payloads that name their schema (Kafka's wire format).
//!
//! The registry is asked through [`SchemaLookup`], a seam small enough to implement over the
//! registry client or a fake. Records name their schema by id (wire format V0, or the id in a
//! header) or by GUID (V1, Confluent 8); both are cached alike. A schema registered under the
//! contract's subject compiles once; one of another subject is remembered as foreign, with its
//! own validator so its payloads are still checked; one the registry does not know is
//! remembered for a few seconds. When the registry cannot be asked, cached ids keep
//! working and every other id is [`Resolution::Unresolved`], never counted valid, and the
//! registry is not asked again for a moment so that an outage does not become a flood.
//!
//! Governance: a version of the contract's subject counts as the contract's only when its
//! schema is one of the contract's history (`schemas/…`, compared as JSON, so the registry's
//! formatting does not matter); it then carries the contract's version number. A version of
//! the subject that the history does not hold (auto-registered by a producer, registered by
//! hand) is [`Known::Ungoverned`].

use super::wire::SchemaRef;
use super::{PayloadValidator, ValidatorError};
use crate::Exit;
use crate::compat::ResolvedReferences;
use crate::registry::RegistryError;
use crate::registry::model::SchemaReference;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

/// How long an id the registry did not know is believed unknown.
const UNKNOWN_TTL: Duration = Duration::from_secs(5);
/// How long to stop asking after the registry failed to answer.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Why a schema could not be looked up or compiled.
#[derive(Debug, Error)]
pub enum LookupError {
    /// The registry could not be reached, refused us, or refused the request.
    #[error(transparent)]
    Registry(Box<RegistryError>),
    /// The registry answered with a schema id this seam cannot carry.
    #[error("schema id {0} out of range")]
    IdOutOfRange(i32),
    /// The in-memory registry is switched off (an outage in a test).
    #[error("the in-memory registry is down")]
    Down,
    /// The in-memory registry's lock was poisoned by a panic elsewhere.
    #[error("the in-memory registry is unusable: {0}")]
    Poisoned(String),
    /// A reference names a version the registry does not hold.
    #[error(
        "reference \"{name}\" names subject \"{subject}\" version {version}, which the registry does not hold"
    )]
    MissingReference {
        /// The reference's name.
        name: String,
        /// The subject it names.
        subject: String,
        /// The version it names.
        version: i32,
    },
    /// A referenced schema is not JSON.
    #[error("version {version} of \"{subject}\" (reference \"{name}\") is not JSON: {reason}")]
    ReferenceNotJson {
        /// The reference's name.
        name: String,
        /// The subject it names.
        subject: String,
        /// The version it names.
        version: i32,
        /// The parser's words.
        reason: String,
    },
    /// A version of the contract's history is not JSON.
    #[error("version {version} of the contract is not JSON: {reason}")]
    ContractNotJson {
        /// The contract's version.
        version: u32,
        /// The parser's words.
        reason: String,
    },
    /// The contract's newest version does not compile (with the registry's references).
    #[error("version {version} of the contract does not compile: {reason}")]
    ContractDoesNotCompile {
        /// The contract's version.
        version: u32,
        /// Why (not a `source`: the message already says it; boxed: it is large, and rare).
        reason: Box<ValidatorError>,
    },
    /// A version registered under the subject does not compile.
    #[error("schema id {id} (version {version} of \"{subject}\") does not compile: {reason}")]
    RegisteredDoesNotCompile {
        /// Its global id.
        id: u32,
        /// Its version in the subject.
        version: i32,
        /// The subject.
        subject: String,
        /// Why (not a `source`: the message already says it; boxed: it is large, and rare).
        reason: Box<ValidatorError>,
    },
}

impl From<RegistryError> for LookupError {
    fn from(e: RegistryError) -> Self {
        LookupError::Registry(Box::new(e))
    }
}

impl crate::Classified for LookupError {
    /// The exit code: 3 when the registry could not be asked or failed us, the registry
    /// error's own for its answers, 2 when what it holds (or the contract) is wrong.
    fn exit(&self) -> Exit {
        match self {
            LookupError::Registry(e) => e.exit(),
            LookupError::IdOutOfRange(_) | LookupError::Down | LookupError::Poisoned(_) => {
                Exit::Infrastructure
            }
            LookupError::MissingReference { .. }
            | LookupError::ReferenceNotJson { .. }
            | LookupError::ContractNotJson { .. }
            | LookupError::ContractDoesNotCompile { .. }
            | LookupError::RegisteredDoesNotCompile { .. } => Exit::Usage,
        }
    }
}

/// One registered version of a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    /// The version within the subject.
    pub version: i32,
    /// The global id.
    pub id: u32,
    /// The schema text.
    pub schema: String,
    /// The schema's GUID, where the registry has them (Confluent 8).
    pub guid: Option<[u8; 16]>,
    /// The other registered schemas its `$ref`s point into.
    pub references: Vec<SchemaReference>,
}

/// What schemactl asks a schema registry. Errors name the registry and the call.
pub trait SchemaLookup: Send + Sync {
    /// Every version registered under `subject`, oldest first; empty when the subject is unknown.
    fn subject_versions(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Vec<Registered>, LookupError>> + Send;
    /// The schema registered with `id`; `None` when the registry does not know the id.
    fn schema_by_id(
        &self,
        id: u32,
    ) -> impl Future<Output = Result<Option<String>, LookupError>> + Send;
    /// The schema whose GUID is `guid`; `None` when the registry does not know it.
    fn schema_by_guid(
        &self,
        guid: [u8; 16],
    ) -> impl Future<Output = Result<Option<String>, LookupError>> + Send;
    /// Registers `schema` (JSON Schema) under `subject` and returns its id; registering a
    /// schema that is already there returns the existing id.
    fn register(
        &self,
        subject: &str,
        schema: &str,
    ) -> impl Future<Output = Result<u32, LookupError>> + Send;
    /// Looks `schema` up among `subject`'s versions without registering anything
    /// (`POST /subjects/{s}`): its id, or `None` when the subject does not hold it.
    fn lookup(
        &self,
        subject: &str,
        schema: &str,
    ) -> impl Future<Output = Result<Option<u32>, LookupError>> + Send;
    /// Every subject the registry holds.
    fn subjects(&self) -> impl Future<Output = Result<Vec<String>, LookupError>> + Send;
    /// Version `version` of `subject`, `None` when the registry does not hold it; by default
    /// found among [`Self::subject_versions`].
    fn subject_version(
        &self,
        subject: &str,
        version: i32,
    ) -> impl Future<Output = Result<Option<Registered>, LookupError>> + Send {
        async move {
            Ok(self
                .subject_versions(subject)
                .await?
                .into_iter()
                .find(|r| r.version == version))
        }
    }
}

/// The schemas `references` name and, in turn, those they name, asked of the registry once
/// each and flattened by reference name (the first schema to take a name keeps it), as
/// Confluent's registry resolves them.
pub async fn resolve_references<L: SchemaLookup>(
    lookup: &L,
    references: &[SchemaReference],
) -> Result<ResolvedReferences, LookupError> {
    let mut resolved = ResolvedReferences::default();
    let mut seen = std::collections::HashSet::new();
    let mut queue: std::collections::VecDeque<SchemaReference> =
        references.iter().cloned().collect();
    while let Some(r) = queue.pop_front() {
        if !seen.insert((r.subject.clone(), r.version)) {
            continue;
        }
        let found = lookup
            .subject_version(&r.subject, r.version)
            .await?
            .ok_or_else(|| LookupError::MissingReference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: r.version,
            })?;
        let doc =
            serde_json::from_str(&found.schema).map_err(|e| LookupError::ReferenceNotJson {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: r.version,
                reason: e.to_string(),
            })?;
        resolved.insert(&r.name, doc);
        queue.extend(found.references);
    }
    Ok(resolved)
}

/// Compiles a schema text whose `$ref`s may point into `references`.
fn compile(text: &str, references: ResolvedReferences) -> Result<PayloadValidator, ValidatorError> {
    if references.is_empty() {
        return PayloadValidator::from_text(text);
    }
    let doc: serde_json::Value = serde_json::from_str(text)?;
    PayloadValidator::new(&crate::compat::Schema::parse_with_references(
        doc, references,
    )?)
}

/// What the cache knows about an id.
#[derive(Clone, Debug)]
pub enum Known {
    /// Registered under the contract's subject, and one of the contract's versions.
    Ours {
        /// The contract's version (the `vN` of `schemas/…/vN.json`).
        version: i32,
        /// Its compiled validator.
        validator: Arc<PayloadValidator>,
    },
    /// Registered under the contract's subject, but not in the contract's history.
    Ungoverned {
        /// The subject version in the registry.
        registry_version: i32,
        /// The registry's id for it.
        id: u32,
        /// Its compiled validator.
        validator: Arc<PayloadValidator>,
    },
    /// Registered, but under another subject: its payloads are checked against that schema
    /// (when it compiles as a JSON Schema) besides being reported.
    Foreign {
        /// The other schema's validator.
        validator: Option<Arc<PayloadValidator>>,
    },
}

/// The answer for one schema reference.
#[derive(Clone, Debug)]
pub enum Resolution {
    /// A known id.
    Known(Known),
    /// The registry does not know it.
    Unknown,
    /// The registry could not be asked; the reason.
    Unresolved(String),
}

/// The cache in front of the registry for one subject.
pub struct Resolver<L> {
    lookup: L,
    subject: String,
    max_bytes: usize,
    /// The contract's history: versions and their schemas as JSON.
    history: Vec<(u32, serde_json::Value)>,
    /// The contract's newest version, compiled.
    newest: Option<(u32, Arc<PayloadValidator>)>,
    known: HashMap<SchemaRef, Known>,
    /// The subject's schema texts and their ids, to recognise a GUID the registry's version
    /// records do not carry.
    ours_by_text: HashMap<String, u32>,
    unknown: HashMap<SchemaRef, Instant>,
    paused_until: Option<(Instant, String)>,
}

impl<L: SchemaLookup> Resolver<L> {
    /// Loads every version of `subject`, judged against the contract's `history` (versions and
    /// schema texts, oldest first); fails when the registry cannot be asked or a schema of the
    /// history does not compile.
    pub async fn load(
        lookup: L,
        subject: &str,
        history: &[(u32, String)],
        max_bytes: usize,
    ) -> Result<Resolver<L>, LookupError> {
        let parsed = history
            .iter()
            .map(|(v, text)| {
                serde_json::from_str::<serde_json::Value>(text)
                    .map(|j| (*v, j))
                    .map_err(|e| LookupError::ContractNotJson {
                        version: *v,
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, LookupError>>()?;
        let mut r = Resolver {
            lookup,
            subject: subject.to_string(),
            max_bytes,
            history: parsed,
            newest: None,
            known: HashMap::new(),
            ours_by_text: HashMap::new(),
            unknown: HashMap::new(),
            paused_until: None,
        };
        let registered = r.refresh().await?;
        // The newest version's `$ref`s point where its registered copy's references say.
        r.newest = match history.last() {
            Some((v, text)) => {
                let references = match registered.iter().rev().find(|(gv, _)| gv == v) {
                    Some((_, refs)) => resolve_references(&r.lookup, refs).await?,
                    None => ResolvedReferences::default(),
                };
                Some((
                    *v,
                    Arc::new(
                        compile(text, references)
                            .map_err(|reason| LookupError::ContractDoesNotCompile {
                                version: *v,
                                reason: Box::new(reason),
                            })?
                            .with_max_bytes(max_bytes),
                    ),
                ))
            }
            None => None,
        };
        Ok(r)
    }

    /// Reads the subject's versions; returns the references of those that are the
    /// contract's, by the contract's version.
    async fn refresh(&mut self) -> Result<Vec<(u32, Vec<SchemaReference>)>, LookupError> {
        let mut governed = Vec::new();
        for reg in self.lookup.subject_versions(&self.subject).await? {
            let governing = self.governing_version(&reg.schema);
            if let Some(v) = governing {
                governed.push((v, reg.references.clone()));
            }
            let id = SchemaRef::Id(reg.id);
            let known = match self.known.get(&id) {
                Some(k @ (Known::Ours { .. } | Known::Ungoverned { .. })) => k.clone(),
                _ => {
                    let references = resolve_references(&self.lookup, &reg.references).await?;
                    let validator = Arc::new(
                        compile(&reg.schema, references)
                            .map_err(|reason| LookupError::RegisteredDoesNotCompile {
                                id: reg.id,
                                version: reg.version,
                                subject: self.subject.clone(),
                                reason: Box::new(reason),
                            })?
                            .with_max_bytes(self.max_bytes),
                    );
                    match governing {
                        Some(version) => Known::Ours {
                            version: version as i32,
                            validator,
                        },
                        None => Known::Ungoverned {
                            registry_version: reg.version,
                            id: reg.id,
                            validator,
                        },
                    }
                }
            };
            if let Some(guid) = reg.guid {
                self.known.insert(SchemaRef::Guid(guid), known.clone());
            }
            self.known.insert(id, known);
            self.ours_by_text.insert(reg.schema, reg.id);
        }
        Ok(governed)
    }

    /// The subject.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The cached answer for `schema`, without asking anyone.
    pub fn get(&self, schema: SchemaRef) -> Option<&Known> {
        self.known.get(&schema)
    }

    /// The contract's version whose schema is `text`, if any.
    fn governing_version(&self, text: &str) -> Option<u32> {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        self.history
            .iter()
            .rev()
            .find(|(_, h)| *h == json)
            .map(|(v, _)| *v)
    }

    /// The contract's newest version and its validator: what every record is judged by.
    pub fn newest(&self) -> Option<(u32, Arc<PayloadValidator>)> {
        self.newest.clone()
    }

    /// Answers for `schema`, asking the registry on a cache miss.
    pub async fn resolve(&mut self, schema: SchemaRef) -> Resolution {
        if let Some(k) = self.known.get(&schema) {
            return Resolution::Known(k.clone());
        }
        let now = Instant::now();
        if let Some(until) = self.unknown.get(&schema) {
            if *until > now {
                return Resolution::Unknown;
            }
            self.unknown.remove(&schema);
        }
        if let Some((until, reason)) = &self.paused_until {
            if *until > now {
                return Resolution::Unresolved(reason.clone());
            }
            self.paused_until = None;
        }
        let found = match schema {
            SchemaRef::Id(id) => self.lookup.schema_by_id(id).await,
            SchemaRef::Guid(guid) => self.lookup.schema_by_guid(guid).await,
        };
        match found {
            Ok(None) => {
                self.unknown.insert(schema, now + UNKNOWN_TTL);
                Resolution::Unknown
            }
            Ok(Some(text)) => {
                // Perhaps a version registered after we started: ask the subject again.
                if let Err(e) = self.refresh().await {
                    return self.fail(e.to_string());
                }
                let ours = self
                    .ours_by_text
                    .get(&text)
                    .and_then(|id| self.known.get(&SchemaRef::Id(*id)))
                    .cloned();
                let known = match (self.known.get(&schema), ours) {
                    (Some(k), _) => k.clone(),
                    // A GUID of one of our texts, from a registry whose version records carry
                    // no GUIDs.
                    (None, Some(k @ (Known::Ours { .. } | Known::Ungoverned { .. })))
                        if matches!(schema, SchemaRef::Guid(_)) =>
                    {
                        k
                    }
                    _ => Known::Foreign {
                        validator: PayloadValidator::from_text(&text)
                            .ok()
                            .map(|v| Arc::new(v.with_max_bytes(self.max_bytes))),
                    },
                };
                self.known.insert(schema, known.clone());
                Resolution::Known(known)
            }
            Err(e) => self.fail(e.to_string()),
        }
    }

    fn fail(&mut self, reason: String) -> Resolution {
        self.paused_until = Some((Instant::now() + PAUSE_AFTER_FAILURE, reason.clone()));
        Resolution::Unresolved(reason)
    }
}

/// The real registry, through the shared client (its retries, timeouts, TLS and credentials).
impl SchemaLookup for crate::registry::RegistryClient {
    async fn subject_versions(&self, subject: &str) -> Result<Vec<Registered>, LookupError> {
        use crate::registry::model::codes;
        let numbers = match self.versions(subject).await {
            Ok(numbers) => numbers,
            Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND]) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let versions = self.versions_of(subject, &numbers).await?;
        versions
            .into_iter()
            .map(|v| {
                Ok(Registered {
                    version: v.version,
                    id: u32::try_from(v.id).map_err(|_| LookupError::IdOutOfRange(v.id))?,
                    schema: v.schema,
                    guid: v
                        .guid
                        .as_deref()
                        .and_then(|g| uuid::Uuid::parse_str(g).ok())
                        .map(uuid::Uuid::into_bytes),
                    references: v.references,
                })
            })
            .collect()
    }

    async fn schema_by_id(&self, id: u32) -> Result<Option<String>, LookupError> {
        use crate::registry::model::codes;
        let Ok(id) = i32::try_from(id) else {
            return Ok(None);
        };
        match crate::registry::RegistryClient::schema_by_id(self, id).await {
            Ok(found) => Ok(Some(found.schema)),
            Err(e) if e.is_code(&[codes::SCHEMA_NOT_FOUND]) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn schema_by_guid(&self, guid: [u8; 16]) -> Result<Option<String>, LookupError> {
        use crate::registry::model::codes;
        let guid = uuid::Uuid::from_bytes(guid);
        match crate::registry::RegistryClient::schema_by_guid(self, &guid).await {
            Ok(found) => Ok(Some(found.schema)),
            Err(e) if e.is_code(&[codes::SCHEMA_NOT_FOUND]) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn register(&self, subject: &str, schema: &str) -> Result<u32, LookupError> {
        let request = crate::registry::model::RegisterRequest {
            schema_type: Some("JSON".into()),
            schema: schema.to_string(),
            ..Default::default()
        };
        let id = crate::registry::RegistryClient::register(self, subject, &request, false).await?;
        u32::try_from(id).map_err(|_| LookupError::IdOutOfRange(id))
    }

    async fn lookup(&self, subject: &str, schema: &str) -> Result<Option<u32>, LookupError> {
        let request = crate::registry::model::RegisterRequest {
            schema_type: Some("JSON".into()),
            schema: schema.to_string(),
            ..Default::default()
        };
        match crate::registry::RegistryClient::lookup(self, subject, &request, false).await {
            Ok(Some(found)) => u32::try_from(found.id)
                .map(Some)
                .map_err(|_| LookupError::IdOutOfRange(found.id)),
            Ok(None) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn subjects(&self) -> Result<Vec<String>, LookupError> {
        Ok(crate::registry::RegistryClient::subjects(self).await?)
    }

    async fn subject_version(
        &self,
        subject: &str,
        version: i32,
    ) -> Result<Option<Registered>, LookupError> {
        use crate::registry::model::{VersionRef, codes};
        let v = match self.version(subject, VersionRef::Number(version)).await {
            Ok(v) => v,
            Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND, codes::VERSION_NOT_FOUND]) => {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Some(Registered {
            version: v.version,
            id: u32::try_from(v.id).map_err(|_| LookupError::IdOutOfRange(v.id))?,
            schema: v.schema,
            guid: None,
            references: v.references,
        }))
    }
}

/// An in-memory registry, for tests and examples: ids are handed out in order, the same schema
/// text gets the same id, and it can be switched off to act as an outage.
#[derive(Clone, Default)]
pub struct MemoryRegistry {
    inner: Arc<std::sync::Mutex<MemoryInner>>,
}

#[derive(Default)]
struct MemoryInner {
    schemas: Vec<String>,
    subjects: HashMap<String, Vec<u32>>,
    down: bool,
}

impl MemoryRegistry {
    /// Simulates an outage (`true`) or recovery.
    pub fn set_down(&self, down: bool) {
        if let Ok(mut i) = self.inner.lock() {
            i.down = down;
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut MemoryInner) -> T) -> Result<T, LookupError> {
        let mut i = self
            .inner
            .lock()
            .map_err(|e| LookupError::Poisoned(e.to_string()))?;
        if i.down {
            return Err(LookupError::Down);
        }
        Ok(f(&mut i))
    }
}

impl SchemaLookup for MemoryRegistry {
    async fn subject_versions(&self, subject: &str) -> Result<Vec<Registered>, LookupError> {
        self.with(|i| {
            i.subjects
                .get(subject)
                .map(|ids| {
                    ids.iter()
                        .enumerate()
                        .map(|(n, id)| {
                            let schema = i.schemas[*id as usize - 1].clone();
                            Registered {
                                version: n as i32 + 1,
                                id: *id,
                                guid: Some(memory_guid(&schema)),
                                references: Vec::new(),
                                schema,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    async fn schema_by_id(&self, id: u32) -> Result<Option<String>, LookupError> {
        self.with(|i| {
            (id as usize)
                .checked_sub(1)
                .and_then(|n| i.schemas.get(n).cloned())
        })
    }

    async fn schema_by_guid(&self, guid: [u8; 16]) -> Result<Option<String>, LookupError> {
        self.with(|i| i.schemas.iter().find(|s| memory_guid(s) == guid).cloned())
    }

    async fn register(&self, subject: &str, schema: &str) -> Result<u32, LookupError> {
        self.with(|i| {
            let id = match i.schemas.iter().position(|s| s == schema) {
                Some(n) => n as u32 + 1,
                None => {
                    i.schemas.push(schema.to_string());
                    i.schemas.len() as u32
                }
            };
            let ids = i.subjects.entry(subject.to_string()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
            id
        })
    }

    async fn lookup(&self, subject: &str, schema: &str) -> Result<Option<u32>, LookupError> {
        self.with(|i| {
            let id = i.schemas.iter().position(|s| s == schema)? as u32 + 1;
            i.subjects.get(subject)?.contains(&id).then_some(id)
        })
    }

    async fn subjects(&self) -> Result<Vec<String>, LookupError> {
        self.with(|i| {
            let mut names: Vec<String> = i.subjects.keys().cloned().collect();
            names.sort();
            names
        })
    }
}

/// A schema's GUID as a registry derives it (no references, metadata or rules here).
pub fn memory_guid(schema: &str) -> [u8; 16] {
    crate::registry::guid::schema_guid(schema, &[], None, None).into_bytes()
}

/// The memory registry, each version record it lists changed by `edit` first (for tests: what
/// another registry answers).
#[cfg(test)]
pub(crate) struct EditedVersions<F>(pub MemoryRegistry, pub F);

#[cfg(test)]
impl<F: Fn(&str, &mut Registered) + Send + Sync> SchemaLookup for EditedVersions<F> {
    async fn subject_versions(&self, subject: &str) -> Result<Vec<Registered>, LookupError> {
        let mut v = self.0.subject_versions(subject).await?;
        v.iter_mut().for_each(|r| (self.1)(subject, r));
        Ok(v)
    }
    async fn schema_by_id(&self, id: u32) -> Result<Option<String>, LookupError> {
        self.0.schema_by_id(id).await
    }
    async fn schema_by_guid(&self, guid: [u8; 16]) -> Result<Option<String>, LookupError> {
        self.0.schema_by_guid(guid).await
    }
    async fn register(&self, subject: &str, schema: &str) -> Result<u32, LookupError> {
        self.0.register(subject, schema).await
    }
    async fn lookup(&self, subject: &str, schema: &str) -> Result<Option<u32>, LookupError> {
        self.0.lookup(subject, schema).await
    }
    async fn subjects(&self) -> Result<Vec<String>, LookupError> {
        self.0.subjects().await
    }
}

/// The memory registry, with the GUIDs left out of its version records (as a registry
/// older than Confluent 8 would, or one that serves `/schemas/guids` but does not say).
#[cfg(test)]
pub(crate) fn no_guids_in_versions(
    registry: MemoryRegistry,
) -> EditedVersions<impl Fn(&str, &mut Registered) + Send + Sync> {
    EditedVersions(registry, |_: &str, r: &mut Registered| r.guid = None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classified;

    const OURS: &str = r#"{"type":"object","properties":{"fuel":{"type":"number","maximum":100}}}"#;
    const OTHER: &str = r#"{"type":"object","title":"other"}"#;

    /// The contract's history: OURS is its version 3.
    fn history() -> Vec<(u32, String)> {
        vec![(3, OURS.to_string())]
    }

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn resolves_ours_foreign_unknown_and_unresolved() {
        block(async {
            let reg = MemoryRegistry::default();
            let ours = reg.register("gen-value", OURS).await.unwrap();
            let other = reg.register("other-value", OTHER).await.unwrap();
            let mut r = Resolver::load(reg.clone(), "gen-value", &history(), 1024)
                .await
                .unwrap();
            // Governed: the contract's version number, not the registry's.
            assert!(matches!(
                r.resolve(SchemaRef::Id(ours)).await,
                Resolution::Known(Known::Ours { version: 3, .. })
            ));
            assert!(matches!(
                r.resolve(SchemaRef::Id(other)).await,
                Resolution::Known(Known::Foreign { .. })
            ));
            assert!(matches!(
                r.resolve(SchemaRef::Id(999)).await,
                Resolution::Unknown
            ));

            // Registered after the start, outside the contract's history (a producer
            // auto-registering): found on a miss, and ungoverned.
            let v2 = reg
                .register("gen-value", r#"{"type":"object","title":"v2"}"#)
                .await
                .unwrap();
            assert!(matches!(
                r.resolve(SchemaRef::Id(v2)).await,
                Resolution::Known(Known::Ungoverned { registry_version: 2, id, .. }) if id == v2
            ));
            // The contract's history compares as JSON: the registry's formatting is no matter.
            let spaced = reg
                .register("gen-value", &format!("{OURS}\n").replace(':', ": "))
                .await
                .unwrap();
            assert!(matches!(
                r.resolve(SchemaRef::Id(spaced)).await,
                Resolution::Known(Known::Ours { version: 3, .. })
            ));
            assert_eq!(r.newest().map(|(v, _)| v), Some(3));

            // An outage: cached ids keep working, others are unresolved.
            reg.set_down(true);
            assert!(matches!(
                r.resolve(SchemaRef::Id(ours)).await,
                Resolution::Known(Known::Ours { .. })
            ));
            assert!(matches!(
                r.resolve(SchemaRef::Id(4242)).await,
                Resolution::Unresolved(_)
            ));
            assert!(matches!(
                r.resolve(SchemaRef::Guid([0; 16])).await,
                Resolution::Unresolved(_)
            ));
        });
    }

    #[test]
    fn resolves_guids_like_ids() {
        block(async {
            let reg = MemoryRegistry::default();
            reg.register("gen-value", OURS).await.unwrap();
            reg.register("other-value", OTHER).await.unwrap();
            let ours = SchemaRef::Guid(memory_guid(OURS));
            let other = SchemaRef::Guid(memory_guid(OTHER));

            // Known from the version records, without a request.
            let r = Resolver::load(reg.clone(), "gen-value", &history(), 1024)
                .await
                .unwrap();
            assert!(matches!(r.get(ours), Some(Known::Ours { version: 3, .. })));

            // Recognised by its text once the registry has named it.
            let mut r = Resolver::load(no_guids_in_versions(reg), "gen-value", &history(), 1024)
                .await
                .unwrap();
            assert!(r.get(ours).is_none());
            assert!(matches!(
                r.resolve(ours).await,
                Resolution::Known(Known::Ours { version: 3, .. })
            ));
            assert!(matches!(
                r.resolve(other).await,
                Resolution::Known(Known::Foreign { validator: Some(_) })
            ));
            assert!(matches!(
                r.resolve(SchemaRef::Guid([9; 16])).await,
                Resolution::Unknown
            ));
        });
    }

    #[test]
    fn foreign_schemas_keep_their_validator() {
        block(async {
            let reg = MemoryRegistry::default();
            reg.register("gen-value", OURS).await.unwrap();
            let strict = r#"{"type":"object","required":["orderId"]}"#;
            let other = reg.register("orders-value", strict).await.unwrap();
            let mut r = Resolver::load(reg, "gen-value", &history(), 1024)
                .await
                .unwrap();
            let Resolution::Known(Known::Foreign { validator: Some(v) }) =
                r.resolve(SchemaRef::Id(other)).await
            else {
                panic!("the other subject's id should be foreign, with its validator");
            };
            let found = v.check(br#"{"fuel":5}"#);
            assert_eq!(found[0].keyword.as_deref(), Some("required"), "{found:?}");
            assert!(v.check(br#"{"orderId":"o-1"}"#).is_empty());
        });
    }

    /// The memory registry, with references on the versions of chosen subjects.
    fn with_references(
        registry: MemoryRegistry,
        refs: HashMap<String, Vec<SchemaReference>>,
    ) -> EditedVersions<impl Fn(&str, &mut Registered) + Send + Sync> {
        EditedVersions(registry, move |subject: &str, r: &mut Registered| {
            r.references = refs.get(subject).cloned().unwrap_or_default()
        })
    }

    #[test]
    fn registered_schemas_compile_with_the_registrys_references() {
        block(async {
            let reg = MemoryRegistry::default();
            let location = r#"{"type":"object","properties":{"lat":{"type":"number"}}}"#;
            let site = r#"{"type":"object","properties":{"location":{"$ref":"location.json"}}}"#;
            reg.register("location", location).await.unwrap();
            let id = reg.register("site-value", site).await.unwrap();
            let refs = HashMap::from([(
                "site-value".to_string(),
                vec![SchemaReference {
                    name: "location.json".into(),
                    subject: "location".into(),
                    version: 1,
                }],
            )]);
            let history = vec![(1, site.to_string())];
            let mut r = Resolver::load(
                with_references(reg.clone(), refs),
                "site-value",
                &history,
                1024,
            )
            .await
            .unwrap();
            let Resolution::Known(Known::Ours { validator, .. }) =
                r.resolve(SchemaRef::Id(id)).await
            else {
                panic!("the site's id is the contract's");
            };
            let found = validator.check(br#"{"location":{"lat":"north"}}"#);
            assert_eq!(
                found[0].pointer.as_deref(),
                Some("/location/lat"),
                "{found:?}"
            );
            let (_, newest) = r.newest().unwrap();
            assert!(!newest.check(br#"{"location":{"lat":"north"}}"#).is_empty());
            assert!(newest.check(br#"{"location":{"lat":1}}"#).is_empty());

            // A reference to a version the registry does not hold stops the load.
            let dangling = HashMap::from([(
                "site-value".to_string(),
                vec![SchemaReference {
                    name: "location.json".into(),
                    subject: "location".into(),
                    version: 7,
                }],
            )]);
            let err = Resolver::load(with_references(reg, dangling), "site-value", &history, 1024)
                .await
                .err()
                .unwrap();
            assert!(
                matches!(err, LookupError::MissingReference { version: 7, .. }),
                "{err:?}"
            );
            assert!(err.to_string().contains("\"location\" version 7"), "{err}");
            // What the registry holds is wrong, not the registry unreachable: exit 2.
            assert_eq!(err.exit(), Exit::Usage);
        });
    }

    #[test]
    fn load_fails_when_the_registry_is_down() {
        let reg = MemoryRegistry::default();
        reg.set_down(true);
        let err = block(Resolver::load(reg, "s", &history(), 1))
            .err()
            .unwrap();
        assert!(matches!(err, LookupError::Down), "{err:?}");
        // A registry that cannot be asked is infrastructure: exit 3, never 2.
        assert_eq!(err.exit(), Exit::Infrastructure);
    }
}
