//! Driving the fleet onto the brokers at a steady rate, writing the ground truth as it goes.

use super::fleet::{Fleet, Possible};
use super::pace::{Clock, Pace};
use super::{Fault, FaultPlan};
use crate::catalog::{Contract, KafkaKey};
use crate::producer::Attribution;
use crate::producer::manifest::{ManifestLine, digest};
use crate::transport::kafka::{KafkaConfig, KafkaSink, NewTopicSpec, TopicState};
use crate::transport::mqtt::{MqttConfig, MqttSink};
use crate::transport::{TransportError, TransportKind};
use crate::validate::PayloadValidator;
use crate::validate::resolver::{LookupError, SchemaLookup};
use crate::validate::rules::RuleEngine;
use crate::validate::wire::{VALUE_SCHEMA_ID_HEADER, encode_v0, guid_header};
use std::io::Write;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The subject the foreign-schema fault registers its decoy under, with `--register` only.
pub const FOREIGN_SUBJECT: &str = "schemactl-simulator-foreign-value";
const FOREIGN_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"NotAGenerator","type":"object","description":"Registered by schemactl simulate so that a misbehaving producer can use another subject's schema id"}"#;

/// Why a simulation could not run.
#[derive(Debug, Error)]
pub enum SimulateError {
    /// The settings or the contract are wrong (exit 2).
    #[error("{0}")]
    Input(String),
    /// A broker or the registry failed (exit 3).
    #[error("{0}")]
    Infrastructure(String),
    /// The registry could not be asked, or refused or failed a request (its own exit code).
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The reading model or the schema cannot make the fleet or a fault asked for (exit 2).
    #[error(transparent)]
    Fleet(#[from] super::fleet::FleetError),
    /// The contract or its newest schema could not be read (exit 2).
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// The newest schema does not compile into a payload validator (exit 2).
    #[error("newest schema: {0}")]
    NewestDoesNotCompile(crate::validate::ValidatorError),
    /// Neither transport was asked for.
    #[error("nothing to produce to\nhelp: pass --mqtt URL and/or --kafka BOOTSTRAP")]
    NothingToProduceTo,
    /// `--faults` cannot be read.
    #[error("--faults: {0}")]
    Faults(#[from] super::fault::FaultSpecError),
    /// A fleet of no generators.
    #[error("--generators must be at least 1")]
    NoGenerators,
    /// The faults name a generator beyond the fleet.
    #[error(
        "--faults {spec}: names generator {needed}, but --generators is {given}\nhelp: pass --generators {needed} or more (`all` gives every fault its own generator after generator 1, which stays compliant), or name generators from 1 to {given}"
    )]
    TooFewGenerators {
        /// The `--faults` spec.
        spec: String,
        /// The highest generator it names.
        needed: usize,
        /// The fleet size asked for.
        given: usize,
    },
    /// A rate that is not a positive number.
    #[error("--rate must be above 0")]
    BadRate,
}

impl crate::Classified for SimulateError {
    /// The exit code: 3 when a broker or the registry failed us, the registry error's own for
    /// its answers, 2 otherwise.
    fn exit(&self) -> crate::Exit {
        match self {
            SimulateError::Infrastructure(_) => crate::Exit::Infrastructure,
            SimulateError::Lookup(e) => e.exit(),
            _ => crate::Exit::Usage,
        }
    }
}

impl From<TransportError> for SimulateError {
    fn from(e: TransportError) -> Self {
        if e.is_config() {
            SimulateError::Input(e.to_string())
        } else {
            SimulateError::Infrastructure(e.to_string())
        }
    }
}

/// Where Kafka records carry their schema, as Confluent's serializers put it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaIdIn {
    /// `0x00` and the schema id before the payload (wire format V0; every Confluent serializer,
    /// `PrefixSchemaIdSerializer` in Confluent 8).
    #[default]
    Prefix,
    /// `0x01` and the schema GUID in the `__value_schema_id` header, the payload bare
    /// (Confluent 8's `HeaderSchemaIdSerializer`; the registry must serve GUIDs).
    Header,
}

/// What to simulate.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The contract.
    pub contract: Contract,
    /// The newest schema's text (registered for Kafka).
    pub schema_text: String,
    /// MQTT broker, if any.
    pub mqtt: Option<MqttConfig>,
    /// Kafka cluster, if any.
    pub kafka: Option<KafkaConfig>,
    /// Fleet size.
    pub generators: usize,
    /// Readings per second per generator, all at once; `None`: each generator on its own clock,
    /// at the contract's `[simulator] interval`.
    pub rate: Option<f64>,
    /// Readings per generator, if bounded.
    pub count: Option<u64>,
    /// How long, if bounded.
    pub duration: Option<Duration>,
    /// Seed of the stream.
    pub seed: u64,
    /// Misbehaving producers.
    pub faults: FaultPlan,
    /// Where Kafka records carry their schema.
    pub schema_id_in: SchemaIdIn,
    /// The size an oversized payload exceeds.
    pub oversize_bytes: usize,
    /// How long brokers and the registry may take to answer.
    pub connect_timeout: Duration,
    /// Whether the simulator may register what the registry lacks (the contract's newest
    /// schema, the foreign-schema fault's decoy). Without it, schemas are only looked up.
    pub register: bool,
    /// How to create the Kafka topic when it does not exist; without it a missing topic is an
    /// error.
    pub create_topic: Option<NewTopicSpec>,
}

/// A schema the simulator registered (only with [`Plan::register`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The subject.
    pub subject: String,
    /// The schema id the registry gave it.
    pub id: u32,
}

/// What was sent.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// MQTT messages.
    pub mqtt: u64,
    /// Kafka records.
    pub kafka: u64,
    /// Messages carrying a fault.
    pub faulty: u64,
    /// The schema id used on Kafka.
    pub schema_id: Option<u32>,
    /// The schema GUID used on Kafka (`SchemaIdIn::Header`).
    pub schema_guid: Option<[u8; 16]>,
    /// How long it ran.
    pub elapsed: Duration,
    /// What the simulator registered (empty unless [`Plan::register`]).
    pub registered: Vec<Registration>,
    /// The other subject and schema id the foreign-schema fault frames records with.
    pub foreign: Option<(String, u32)>,
    /// The Kafka topic as the metadata request found it (or created it).
    pub topic: Option<TopicState>,
}

/// The MQTT topic generator `id` publishes on: the contract's per-producer topic when the
/// contract names a topic level, else its first topic without wildcards.
pub fn mqtt_topic(contract: &Contract, id: &str) -> Option<String> {
    let topics = &contract.mqtt.as_ref()?.topics;
    if let Some(level) = contract.identity.mqtt_topic_level
        && let Some(t) = topics
            .iter()
            .find(|t| t.split('/').nth(level) == Some("+") && !t.contains('#'))
    {
        return Some(
            t.split('/')
                .enumerate()
                .map(|(i, part)| if i == level { id } else { part })
                .collect::<Vec<_>>()
                .join("/"),
        );
    }
    topics
        .iter()
        .find(|t| !t.contains('+') && !t.contains('#'))
        .cloned()
}

/// What Kafka records are framed with (schema ids, or GUIDs in a header), one for each kind of
/// record: the contract's schema, the foreign-schema-id fault's decoy of another subject, and
/// the unknown-schema-id fault's schema nobody registered (zero for a fault not asked for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Framing<T> {
    ours: T,
    foreign: T,
    unknown: T,
}

impl<T: Copy> Framing<T> {
    /// The one a record with `fault` is framed with.
    fn of(&self, fault: Option<Fault>) -> T {
        match fault {
            Some(Fault::UnknownSchemaId) => self.unknown,
            Some(Fault::ForeignSchemaId) => self.foreign,
            _ => self.ours,
        }
    }
}

/// The GUIDs of the contract's schema, the foreign decoy and an unknown schema, for records
/// that carry their schema in a header. Registries before Confluent 8 have no GUIDs.
async fn schema_guids<L: SchemaLookup>(
    lookup: &L,
    subject: &str,
    foreign_subject: Option<&str>,
    ids: Framing<u32>,
) -> Result<Framing<[u8; 16]>, SimulateError> {
    let guid_of = async |subject: &str, id: u32| -> Result<[u8; 16], SimulateError> {
        let versions = lookup.subject_versions(subject).await?;
        versions
            .iter()
            .find(|v| v.id == id)
            .and_then(|v| v.guid)
            .ok_or_else(|| {
                SimulateError::Input(format!(
                    "the registry does not say which GUID schema id {id} of \"{subject}\" has\nhelp: --schema-id-in header needs a registry with schema GUIDs (Confluent Schema Registry 8 or schemactl's own); use --schema-id-in prefix"
                ))
            })
    };
    let ours = guid_of(subject, ids.ours).await?;
    let foreign = match (foreign_subject, ids.foreign) {
        (Some(other), id) if id != 0 => guid_of(other, id).await?,
        _ => [0; 16],
    };
    // A GUID nobody registered: counting down from all ones, as the unknown id does.
    let mut unknown = u128::MAX;
    while lookup
        .schema_by_guid(unknown.to_be_bytes())
        .await?
        .is_some()
    {
        unknown -= 1;
    }
    Ok(Framing {
        ours,
        foreign,
        unknown: unknown.to_be_bytes(),
    })
}

/// The subject and schema id the foreign-schema fault can frame records with without
/// registering anything: the decoy subject if an earlier `--register` run made it, else another
/// subject's latest schema whose id the contract's subject does not share.
async fn borrowed_foreign<L: SchemaLookup>(
    lookup: &L,
    ours: &str,
) -> Result<Option<(String, u32)>, SimulateError> {
    if let Some(id) = lookup.lookup(FOREIGN_SUBJECT, FOREIGN_SCHEMA).await? {
        return Ok(Some((FOREIGN_SUBJECT.to_string(), id)));
    }
    let our_ids: Vec<u32> = lookup
        .subject_versions(ours)
        .await?
        .iter()
        .map(|v| v.id)
        .collect();
    let mut subjects = lookup.subjects().await?;
    subjects.sort();
    for other in subjects.iter().filter(|s| s.as_str() != ours) {
        let versions = lookup.subject_versions(other).await?;
        if let Some(v) = versions.last().filter(|v| !our_ids.contains(&v.id)) {
            return Ok(Some((other.clone(), v.id)));
        }
    }
    Ok(None)
}

/// Connects the producer and checks (or creates) the topic: nothing is produced before a
/// metadata request found it.
async fn open_kafka(
    config: &KafkaConfig,
    topic: &str,
    create: Option<NewTopicSpec>,
    timeout: Duration,
) -> Result<(KafkaSink, TopicState), SimulateError> {
    let (config, topic) = (config.clone(), topic.to_string());
    let opened = tokio::task::spawn_blocking(move || {
        let sink = KafkaSink::open(&config, timeout)?;
        let state = sink.ensure_topic(&topic, create, timeout)?;
        Ok::<_, TransportError>((sink, state))
    })
    .await
    .map_err(|e| SimulateError::Infrastructure(e.to_string()))??;
    Ok(opened)
}

/// Runs the simulation until `count` or `duration` is reached or `shutdown` resolves, writing
/// one manifest line per message to `manifest`.
pub async fn run<L: SchemaLookup>(
    plan: Plan,
    lookup: Option<&L>,
    manifest: Option<Box<dyn Write + Send>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<Summary, SimulateError> {
    run_counting(plan, lookup, manifest, &Sent::default(), shutdown).await
}

/// What has been sent so far, for a live progress display while [`run_counting`] runs.
#[derive(Debug, Default)]
pub struct Sent {
    /// MQTT messages published.
    pub mqtt: std::sync::atomic::AtomicU64,
    /// Kafka records sent.
    pub kafka: std::sync::atomic::AtomicU64,
    /// Messages carrying a fault.
    pub faulty: std::sync::atomic::AtomicU64,
}

impl Sent {
    fn add(
        counter: &std::sync::atomic::AtomicU64,
        faulty: &std::sync::atomic::AtomicU64,
        fault: bool,
    ) {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if fault {
            faulty.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// [`run`], counting what it sends into `sent` as it goes.
pub async fn run_counting<L: SchemaLookup>(
    plan: Plan,
    lookup: Option<&L>,
    mut manifest: Option<Box<dyn Write + Send>>,
    sent: &Sent,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<Summary, SimulateError> {
    let manifest_writer_on = manifest.is_some();
    let schema_doc = serde_json::from_str(&plan.schema_text)
        .map_err(|e| SimulateError::Input(format!("newest schema: {e}")))?;
    let schema = crate::compat::Schema::parse(schema_doc)
        .map_err(|e| SimulateError::Input(format!("newest schema: {e}")))?;
    // The contract's rules: what the rule-break fault breaks, and which rules the fleet's own
    // readings break (written down in the manifest, so they are expected, not false alarms).
    let rules = RuleEngine::new(
        &plan.contract.rules,
        schema.document(),
        plan.contract.metadata.as_ref(),
    )
    .map_err(|(name, e)| {
        SimulateError::Input(format!(
            "{}: rule \"{name}\": {e}",
            plan.contract.file.display()
        ))
    })?;
    let validator = PayloadValidator::new(&schema).map_err(SimulateError::NewestDoesNotCompile)?;
    // A fault plan that names generators the fleet does not have is an error, never a larger
    // fleet than asked for.
    let needed = plan.faults.generators_needed();
    if needed > plan.generators {
        return Err(SimulateError::Input(format!(
            "the faults name generator {needed}, but the fleet has {} generator(s)\nhelp: pass --generators {needed} or more, or name generators from 1 to {}",
            plan.generators, plan.generators
        )));
    }
    let model = plan.contract.simulator.as_ref().ok_or_else(|| {
        SimulateError::Input(format!(
            "contract \"{}\" has no [simulator] reading model, so the simulator does not know how its fleet's readings look\nhelp: add a [simulator] table with one [[simulator.fields]] per payload field (see contracts/generator.toml)",
            plan.contract.name
        ))
    })?;
    let mut fleet = Fleet::new(
        model,
        &schema,
        plan.generators,
        plan.seed,
        &plan.faults,
        plan.oversize_bytes,
    )
    .and_then(|f| f.with_rules(&rules, &validator))?;
    let contract = &plan.contract;
    let attribution = Attribution::of(contract);

    // The registry: the contract's id, and the ids the faults need (and their GUIDs).
    let mut ids = Framing::<u32>::default();
    let mut registered = Vec::new();
    let mut foreign: Option<(String, u32)> = None;
    let mut early_kafka: Option<(KafkaSink, TopicState)> = None;
    let mut guids: Option<Framing<[u8; 16]>> = None;
    let kafka_topic = match (&plan.kafka, &contract.kafka) {
        (Some(_), Some(k)) => Some(k.topic.clone()),
        (Some(_), None) => {
            return Err(SimulateError::Input(format!(
                "contract \"{}\" has no [kafka] section",
                contract.name
            )));
        }
        _ => None,
    };
    if kafka_topic.is_some() {
        let lookup = lookup.ok_or_else(|| {
            SimulateError::Input(
                "producing to Kafka needs a schema registry (the wire format carries its schema id)\nhelp: pass --registry URL or set SCHEMA_REGISTRY_URL".into(),
            )
        })?;
        // Looked up, never registered unless asked: the user's registry is theirs.
        let ours = lookup.lookup(&contract.subject, &plan.schema_text).await?;
        if ours.is_none() && !plan.register {
            return Err(SimulateError::Input(format!(
                "the registry does not hold contract \"{}\"'s newest schema under \"{}\", so there is no schema id to frame Kafka records with\nhelp: register the contract first (`schemactl register --contract {}`), or pass --register to let simulate register it",
                contract.name, contract.subject, contract.name
            )));
        }
        let wants_foreign = plan
            .faults
            .rules
            .iter()
            .any(|r| r.1 == Fault::ForeignSchemaId);
        let borrowed = if wants_foreign {
            let found = borrowed_foreign(lookup, &contract.subject).await?;
            if found.is_none() && !plan.register {
                return Err(SimulateError::Input(format!(
                    "the foreign-schema-id fault needs the schema id of another subject, and the registry holds none besides \"{}\"\nhelp: pass --register to let simulate register a decoy under \"{FOREIGN_SUBJECT}\", or leave foreign-schema-id out of --faults",
                    contract.subject
                )));
            }
            found
        } else {
            None
        };
        // Before writing to the registry, make sure there is a topic to produce to, so a run
        // that cannot produce registers nothing.
        if (ours.is_none() || (wants_foreign && borrowed.is_none()))
            && let (Some(c), Some(topic)) = (&plan.kafka, &kafka_topic)
        {
            early_kafka =
                Some(open_kafka(c, topic, plan.create_topic, plan.connect_timeout).await?);
        }
        ids.ours = match ours {
            Some(id) => id,
            None => {
                let id = lookup
                    .register(&contract.subject, &plan.schema_text)
                    .await?;
                registered.push(Registration {
                    subject: contract.subject.clone(),
                    id,
                });
                id
            }
        };
        if wants_foreign {
            let (subject, id) = match borrowed {
                Some(found) => found,
                None => {
                    let id = lookup.register(FOREIGN_SUBJECT, FOREIGN_SCHEMA).await?;
                    registered.push(Registration {
                        subject: FOREIGN_SUBJECT.to_string(),
                        id,
                    });
                    (FOREIGN_SUBJECT.to_string(), id)
                }
            };
            ids.foreign = id;
            foreign = Some((subject, id));
        }
        if plan
            .faults
            .rules
            .iter()
            .any(|r| r.1 == Fault::UnknownSchemaId)
        {
            let mut candidate = i32::MAX as u32;
            while lookup.schema_by_id(candidate).await?.is_some() {
                candidate -= 1;
            }
            ids.unknown = candidate;
        }
        if plan.schema_id_in == SchemaIdIn::Header {
            guids = Some(
                schema_guids(
                    lookup,
                    &contract.subject,
                    foreign.as_ref().map(|f| f.0.as_str()),
                    ids,
                )
                .await?,
            );
        }
    }
    if plan.mqtt.is_some() && mqtt_topic(contract, "x").is_none() {
        return Err(SimulateError::Input(format!(
            "contract \"{}\" has no MQTT topic to publish on",
            contract.name
        )));
    }

    let mqtt = match &plan.mqtt {
        Some(c) => Some(MqttSink::connect(c, plan.connect_timeout).await?),
        None => None,
    };
    let mut topic_state = None;
    let kafka = match (early_kafka, &plan.kafka, &kafka_topic) {
        (Some((sink, state)), _, _) => {
            topic_state = Some(state);
            Some(sink)
        }
        (None, Some(c), Some(topic)) => {
            let (sink, state) =
                open_kafka(c, topic, plan.create_topic, plan.connect_timeout).await?;
            topic_state = Some(state);
            Some(sink)
        }
        _ => None,
    };

    // Kafka manifest lines wait for their delivery report; a task writes every line in order.
    type Pending = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(i32, i64), TransportError>> + Send>,
    >;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(ManifestLine, Option<Pending>)>(100_000);
    let writer = tokio::spawn(async move {
        let mut first_error = None;
        while let Some((mut line, pending)) = rx.recv().await {
            if let Some(p) = pending {
                match p.await {
                    Ok((partition, offset)) => {
                        line.partition = Some(partition);
                        line.offset = Some(offset);
                    }
                    Err(e) => {
                        first_error.get_or_insert(e.to_string());
                        continue;
                    }
                }
            }
            if let Some(w) = manifest.as_mut()
                && let Err(e) = serde_json::to_writer(&mut *w, &line)
                    .map_err(std::io::Error::from)
                    .and_then(|()| w.write_all(b"\n"))
            {
                first_error.get_or_insert(format!("cannot write the manifest: {e}"));
            }
        }
        if let Some(w) = manifest.as_mut() {
            let _ = w.flush();
        }
        first_error
    });

    let started = Instant::now();
    let pace = match plan.rate {
        Some(rate) => Pace::Rate(rate),
        None => Pace::Interval(model.interval.0, model.interval.1),
    };
    let mut clock = Clock::new(pace, fleet.len(), plan.seed);
    let deadline = plan.duration.map(|d| tokio::time::Instant::now() + d);
    let mut summary = Summary {
        schema_id: kafka_topic.as_ref().map(|_| ids.ours),
        schema_guid: guids.map(|g| g.ours),
        registered,
        foreign,
        topic: topic_state,
        ..Summary::default()
    };
    let key_is_uuid = attribution.kafka_key == KafkaKey::Uuid;
    tokio::pin!(shutdown);
    'ticks: loop {
        let due = tokio::select! {
            _ = &mut shutdown => break 'ticks,
            due = clock.next(plan.count, deadline) => due,
        };
        let Some(due) = due else { break };
        for g in due {
            let reading = fleet.read(g);
            // The rules the reading breaks as the fleet's firmware makes it (the generators'
            // below-zero dip before a refill): reported wherever the audit checks it.
            let breaks = if manifest_writer_on {
                fleet_rules(&rules, &reading.payload)
            } else {
                Vec::new()
            };
            let fleet_rules_of = |fault: Option<Fault>| -> Vec<String> {
                if fault.is_none_or(Fault::keeps_the_reading_checked) {
                    breaks.clone()
                } else {
                    Vec::new()
                }
            };
            if let Some(sink) = &mqtt {
                let topic = mqtt_topic(contract, &reading.id).unwrap_or_default();
                let possible = Possible {
                    identity_mismatch: attribution.from_topic(&topic).is_some(),
                    key_not_uuid: false,
                };
                let out = fleet.apply(&reading, TransportKind::Mqtt, possible);
                let digest = manifest_writer_on.then(|| digest(&out.bytes));
                sink.publish(&topic, out.bytes).await?;
                summary.mqtt += 1;
                summary.faulty += u64::from(out.fault.is_some());
                Sent::add(&sent.mqtt, &sent.faulty, out.fault.is_some());
                let line = ManifestLine {
                    transport: TransportKind::Mqtt,
                    topic,
                    key: None,
                    partition: None,
                    offset: None,
                    generator: reading.id.clone(),
                    fault: out.fault,
                    expect: out.fault.map(Fault::expected_kind),
                    digest,
                    fleet_rules: fleet_rules_of(out.fault),
                };
                if tx.send((line, None)).await.is_err() {
                    break 'ticks;
                }
            }
            if let (Some(sink), Some(topic)) = (&kafka, &kafka_topic) {
                let possible = Possible {
                    identity_mismatch: attribution.kafka_key == KafkaKey::Producer,
                    key_not_uuid: attribution.kafka_key == KafkaKey::Uuid,
                };
                let out = fleet.apply(&reading, TransportKind::Kafka, possible);
                let key = if key_is_uuid && out.fault != Some(Fault::KeyNotUuid) {
                    uuid::Uuid::from_u128(fleet.random_u128()).to_string()
                } else {
                    reading.id.clone()
                };
                let (value, header) = match (out.fault, guids) {
                    (Some(Fault::NoWireHeader), _) => (out.bytes, None),
                    (_, Some(g)) => (out.bytes, Some(guid_header(g.of(out.fault)))),
                    (_, None) => (encode_v0(ids.of(out.fault), &out.bytes), None),
                };
                let headers: Vec<(&str, &[u8])> = header
                    .as_ref()
                    .map(|h| (VALUE_SCHEMA_ID_HEADER, &h[..]))
                    .into_iter()
                    .collect();
                let delivery = sink
                    .send(topic, Some(key.as_bytes()), &headers, &value)
                    .await?;
                summary.kafka += 1;
                summary.faulty += u64::from(out.fault.is_some());
                Sent::add(&sent.kafka, &sent.faulty, out.fault.is_some());
                let pending: Pending =
                    Box::pin(async move { delivery.await.map(|d| (d.partition, d.offset)) });
                let line = ManifestLine {
                    transport: TransportKind::Kafka,
                    topic: topic.clone(),
                    key: Some(key),
                    partition: None,
                    offset: None,
                    generator: reading.id.clone(),
                    fault: out.fault,
                    expect: out.fault.map(Fault::expected_kind),
                    digest: None,
                    fleet_rules: fleet_rules_of(out.fault),
                };
                if tx.send((line, Some(pending))).await.is_err() {
                    break 'ticks;
                }
            }
        }
    }
    drop(tx);
    let wait = plan.connect_timeout.max(Duration::from_secs(10));
    if let Some(sink) = mqtt {
        sink.close(wait).await?;
    }
    if let Some(sink) = kafka {
        tokio::task::spawn_blocking(move || sink.flush(wait))
            .await
            .map_err(|e| SimulateError::Infrastructure(e.to_string()))??;
    }
    if let Some(e) = writer
        .await
        .map_err(|e| SimulateError::Infrastructure(e.to_string()))?
    {
        return Err(SimulateError::Infrastructure(e));
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The names of the rules a compliant reading breaks, each once.
fn fleet_rules(rules: &RuleEngine, reading: &serde_json::Value) -> Vec<String> {
    if rules.is_empty() {
        return Vec::new();
    }
    let mut names: Vec<String> = rules.check(reading).into_iter().map(|f| f.rule).collect();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::resolver::{MemoryRegistry, no_guids_in_versions};

    #[test]
    fn each_fault_is_framed_with_its_own_schema() {
        let ids = Framing {
            ours: 1,
            foreign: 7,
            unknown: 2_147_483_647,
        };
        assert_eq!(ids.of(None), 1);
        assert_eq!(ids.of(Some(Fault::WrongType)), 1);
        assert_eq!(ids.of(Some(Fault::ForeignSchemaId)), 7);
        assert_eq!(ids.of(Some(Fault::UnknownSchemaId)), 2_147_483_647);
    }

    #[test]
    fn guid_headers_need_a_registry_with_guids() {
        let contract = crate::catalog::load_contract(std::path::Path::new("."), "generator")
            .expect("the generator contract");
        let plan = Plan {
            schema_text: std::fs::read_to_string("schemas/generator/v3.json").unwrap(),
            contract,
            mqtt: None,
            // Never reached: the registry is asked first.
            kafka: Some(KafkaConfig::new("127.0.0.1:9")),
            generators: 1,
            rate: Some(1.0),
            count: Some(1),
            duration: None,
            seed: 0,
            faults: FaultPlan { rules: vec![] },
            schema_id_in: SchemaIdIn::Header,
            oversize_bytes: 1 << 20,
            connect_timeout: Duration::from_secs(1),
            // Registered beforehand: with nothing to register, the registry is asked before
            // any broker.
            register: false,
            create_topic: None,
        };
        let registry = MemoryRegistry::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(registry.register(&plan.contract.subject, &plan.schema_text))
            .unwrap();
        let err = rt
            .block_on(run(
                plan,
                Some(&no_guids_in_versions(registry)),
                None,
                std::future::pending(),
            ))
            .unwrap_err();
        let SimulateError::Input(message) = err else {
            panic!("a usage error, not {err:?}");
        };
        assert!(message.contains("--schema-id-in prefix"), "{message}");
    }

    fn plan(faults: &str, generators: usize, register: bool) -> Plan {
        let contract = crate::catalog::load_contract(std::path::Path::new("."), "generator")
            .expect("the generator contract");
        let history = crate::catalog::load_history(&contract.schemas).expect("its history");
        Plan {
            schema_text: history.last().expect("a version").text.clone(),
            contract,
            mqtt: None,
            // A closed port: reached only once the registry has answered.
            kafka: Some(KafkaConfig::new("127.0.0.1:9")),
            generators,
            rate: Some(1.0),
            count: Some(1),
            duration: None,
            seed: 0,
            faults: if faults.is_empty() {
                FaultPlan { rules: vec![] }
            } else {
                FaultPlan::parse(faults).unwrap()
            },
            schema_id_in: SchemaIdIn::Prefix,
            oversize_bytes: 1 << 20,
            connect_timeout: Duration::from_secs(1),
            register,
            create_topic: None,
        }
    }

    fn simulate(plan: Plan, registry: &MemoryRegistry) -> Result<Summary, SimulateError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(plan, Some(registry), None, std::future::pending()))
    }

    fn subjects(registry: &MemoryRegistry) -> Vec<String> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(registry.subjects())
            .unwrap()
    }

    #[test]
    fn a_registry_without_the_schema_is_not_written_to() {
        let registry = MemoryRegistry::default();
        let err = simulate(plan("", 1, false), &registry).unwrap_err();
        let SimulateError::Input(message) = err else {
            panic!("a usage error, not {err:?}");
        };
        assert!(
            message.contains("schemactl register --contract generator"),
            "{message}"
        );
        assert!(message.contains("--register"), "{message}");
        assert!(subjects(&registry).is_empty(), "nothing registered");
    }

    #[test]
    fn the_foreign_fault_borrows_another_subjects_id_or_is_refused() {
        let registry = MemoryRegistry::default();
        let ours = plan("", 1, false);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(registry.register(&ours.contract.subject, &ours.schema_text))
            .unwrap();
        let err = simulate(plan("foreign-schema-id=2", 2, false), &registry).unwrap_err();
        let SimulateError::Input(message) = err else {
            panic!("a usage error, not {err:?}");
        };
        assert!(message.contains("foreign-schema-id"), "{message}");
        assert!(message.contains("--register"), "{message}");
        assert_eq!(subjects(&registry), vec![ours.contract.subject.clone()]);

        // Another subject exists: its id is borrowed, nothing is registered, and the run gets
        // as far as the (closed) Kafka port.
        rt.block_on(registry.register("other-value", r#"{"type":"object"}"#))
            .unwrap();
        let err = simulate(plan("foreign-schema-id=2", 2, false), &registry).unwrap_err();
        assert!(
            matches!(err, SimulateError::Infrastructure(ref m) if m.contains("127.0.0.1:9")),
            "{err:?}"
        );
        assert_eq!(subjects(&registry).len(), 2, "nothing registered");
    }

    #[test]
    fn nothing_is_registered_when_there_is_no_kafka_to_produce_to() {
        let registry = MemoryRegistry::default();
        let err = simulate(plan("", 1, true), &registry).unwrap_err();
        assert!(matches!(err, SimulateError::Infrastructure(_)), "{err:?}");
        assert!(subjects(&registry).is_empty(), "nothing registered");
    }

    #[test]
    fn faults_beyond_the_fleet_are_refused() {
        let err = simulate(plan("all", 6, true), &MemoryRegistry::default()).unwrap_err();
        let SimulateError::Input(message) = err else {
            panic!("a usage error, not {err:?}");
        };
        // `all`: generator 1 compliant, then one generator per fault.
        let needed = Fault::ALL.len() + 1;
        assert!(
            message.contains(&format!(
                "the faults name generator {needed}, but the fleet has 6"
            )),
            "{message}"
        );
    }

    #[test]
    fn a_contract_without_a_reading_model_is_refused() {
        let mut contract = crate::catalog::load_contract(std::path::Path::new("."), "generator")
            .expect("the generator contract");
        contract.simulator = None;
        let plan = Plan {
            schema_text: std::fs::read_to_string("schemas/generator/v3.json").unwrap(),
            contract,
            mqtt: None,
            kafka: None,
            generators: 1,
            rate: None,
            count: Some(1),
            duration: None,
            seed: 0,
            faults: FaultPlan { rules: vec![] },
            schema_id_in: SchemaIdIn::Prefix,
            oversize_bytes: 1 << 20,
            connect_timeout: Duration::from_secs(1),
            register: false,
            create_topic: None,
        };
        let err = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(
                plan,
                None::<&MemoryRegistry>,
                None,
                std::future::pending(),
            ))
            .unwrap_err();
        let SimulateError::Input(message) = err else {
            panic!("a usage error, not {err:?}");
        };
        assert!(
            message.contains("no [simulator] reading model"),
            "{message}"
        );
    }
}
