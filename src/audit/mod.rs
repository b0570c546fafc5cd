//! The audit: sniffs MQTT and Kafka at once, checks every message (framing, schema id, schema,
//! identity), attributes it to a producer, and keeps a per-producer scorecard.
//!
//! Kafka is read on its own thread (librdkafka's consumer is blocking and lends records without
//! copying); MQTT on a task. Each keeps its own scorecard and they merge at the end, so the hot
//! paths share nothing but two counters for the progress line.

pub mod inspect;
pub mod ledger;
pub mod merge;
pub mod outcome;
pub mod request;
pub mod rule_sets;
pub mod score;
pub mod scorecard;

pub use crate::producer::Attribution;
pub use outcome::AuditReport;
pub use rule_sets::RuleSets;
pub use scorecard::{GapRecord, Origin, Scorecard};

use crate::capture;
use crate::catalog::Contract;
use crate::transport::kafka::{KafkaConfig, KafkaSource, StartAt, TopicCheck};
use crate::transport::mqtt::MqttVersion;
use crate::transport::mqtt::{MqttConfig, MqttEvent, MqttSource};
use crate::transport::{TransportError, TransportKind};
use crate::validate::resolver::{Known, Resolution, Resolver, SchemaLookup};
use crate::validate::wire::{self, SchemaRef, VALUE_SCHEMA_ID_HEADER};
use crate::validate::{PayloadValidator, Violation, ViolationKind};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thiserror::Error;
use tokio::sync::watch;

/// Why an audit could not run.
#[derive(Debug, Error)]
pub enum AuditError {
    /// The settings are wrong (exit 2).
    #[error("{0}")]
    Input(String),
    /// A broker or the registry could not be reached at start (exit 3).
    #[error("{0}")]
    Infrastructure(String),
    /// The contract, its history or its rules could not be read.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// Neither transport was asked for.
    #[error("nothing to audit\nhelp: pass --mqtt URL and/or --kafka BOOTSTRAP")]
    NothingToAudit,
    /// MQTT asked for, and the contract names no MQTT topic.
    #[error("contract \"{contract}\" has no [mqtt] topics")]
    NoMqttTopics {
        /// The contract.
        contract: String,
    },
    /// Kafka asked for, and the contract names no Kafka topic.
    #[error("contract \"{contract}\" has no [kafka] section")]
    NoKafkaTopic {
        /// The contract.
        contract: String,
    },
    /// A group asked for over MQTT 3.1.1, which has no shared subscriptions.
    #[error(
        "--group splits MQTT through a shared subscription, which needs MQTT 5\nhelp: add --mqtt-version 5"
    )]
    GroupNeedsMqtt5,
    /// A `--fail-on` kind that does not exist.
    #[error("--fail-on: unknown kind \"{kind}\" (known: any, none, {known})")]
    UnknownFailOn {
        /// The kind given.
        kind: String,
        /// Every kind there is.
        known: String,
    },
    /// The capture file could not be written.
    #[error("{0}")]
    Capture(String),
    /// The registry could not be asked, or refused or failed a request, or the contract's
    /// schemas do not compile with what it holds (its own exit code).
    #[error(transparent)]
    Lookup(#[from] crate::validate::resolver::LookupError),
    /// The capture file could not be completed (the disk failed us: exit 3).
    #[error("{0}")]
    CaptureUnfinished(String),
    /// The simulator's manifest (`--expect`) could not be read.
    #[error(transparent)]
    Manifest(#[from] crate::producer::manifest::ManifestError),
    /// The report file (`--report`) could not be written.
    #[error("cannot write {}: {reason}", path.display())]
    WriteReport {
        /// The file.
        path: std::path::PathBuf,
        /// Why (not a `source`: the message already says it).
        reason: std::io::Error,
    },
}

impl crate::Classified for AuditError {
    /// The exit code: 3 when a broker, the registry or the disk failed us, 2 when the input is
    /// wrong.
    fn exit(&self) -> crate::Exit {
        match self {
            AuditError::Lookup(e) => e.exit(),
            // Creating the capture file is the input's fault (a path that cannot be written);
            // finishing it is the disk's.
            AuditError::Infrastructure(_) | AuditError::CaptureUnfinished(_) => {
                crate::Exit::Infrastructure
            }
            _ => crate::Exit::Usage,
        }
    }
}

impl From<TransportError> for AuditError {
    fn from(e: TransportError) -> Self {
        if e.is_config() {
            AuditError::Input(e.to_string())
        } else {
            AuditError::Infrastructure(e.to_string())
        }
    }
}

/// The MQTT side of an audit.
#[derive(Clone, Debug)]
pub struct MqttPlan {
    /// Connection.
    pub config: MqttConfig,
    /// Topic filters (already prefixed with `$share/GROUP/` when sharing).
    pub filters: Vec<String>,
    /// The newest schema's version and validator.
    pub version: i32,
}

/// The Kafka side of an audit.
#[derive(Clone, Debug)]
pub struct KafkaPlan {
    /// Connection.
    pub config: KafkaConfig,
    /// The topic.
    pub topic: String,
    /// Where to start.
    pub start: StartAt,
    /// The consumer group to join, if any.
    pub group: Option<String>,
    /// The subject whose ids are the contract's.
    pub subject: String,
    /// The contract's history, oldest first: versions and schema texts. A record framed with
    /// a schema of the subject that is not one of these is UNGOVERNED_SCHEMA.
    pub history: Vec<(u32, String)>,
}

/// The contract's history as [`KafkaPlan::history`] takes it: every version of `schemas/…`,
/// oldest first.
pub fn contract_history(
    contract: &Contract,
) -> Result<Vec<(u32, String)>, crate::catalog::CatalogError> {
    crate::catalog::load_history(&contract.schemas)
        .map(|h| h.into_iter().map(|f| (f.version, f.text)).collect())
}

/// What an audit reads, before the contract says which topics, subject and history: the
/// brokers, where Kafka reading starts, and the group that splits the work.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The MQTT broker, if MQTT is audited.
    pub mqtt: Option<MqttConfig>,
    /// The Kafka cluster, if Kafka is audited.
    pub kafka: Option<KafkaConfig>,
    /// Where Kafka reading starts.
    pub start: StartAt,
    /// Join this Kafka consumer group and MQTT shared subscription (`$share/GROUP/...`).
    pub group: Option<String>,
}

impl Default for Sources {
    /// Nothing audited yet; new Kafka records only; no group.
    fn default() -> Sources {
        Sources {
            mqtt: None,
            kafka: None,
            start: StartAt::End,
            group: None,
        }
    }
}

/// Violations an audit keeps in detail unless told otherwise (all are counted).
pub const DEFAULT_MAX_VIOLATIONS: usize = 1000;

/// What to audit and for how long.
#[derive(Clone, Debug)]
pub struct Plan {
    /// MQTT, if audited.
    pub mqtt: Option<MqttPlan>,
    /// Kafka, if audited.
    pub kafka: Option<KafkaPlan>,
    /// Producer identity rules.
    pub attribution: Attribution,
    /// The data-contract rules evaluated on each payload that passed its schema.
    pub rules: RuleSets,
    /// Stop after this many messages over both transports.
    pub max_messages: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop once no message has arrived for this long (draining a topic, ending a batch).
    pub idle: Option<Duration>,
    /// Payloads larger than this are OVERSIZE.
    pub max_bytes: usize,
    /// Violations kept in detail.
    pub max_violations: usize,
    /// Keep per-message records for `--expect`.
    pub keep_seen: bool,
    /// How long brokers and the registry may take to answer at start.
    pub connect_timeout: Duration,
    /// A transport that delivers nothing is not a finding (NO_TRAFFIC) but a quiet window.
    pub allow_empty: bool,
}

impl Plan {
    /// The audit of `contract` over `sources`: its MQTT topics (as shared subscriptions
    /// `$share/GROUP/...` when a group splits the work, which needs MQTT 5), its Kafka topic,
    /// subject and history, its producers' identity, and its rules. It runs until stopped, with
    /// the command line's default limits; set the others with `Plan { .., ..plan }`.
    pub fn from_contract(contract: &Contract, sources: Sources) -> Result<Plan, AuditError> {
        let rules = RuleSets::of_contract(contract)?;
        if sources.mqtt.is_none() && sources.kafka.is_none() {
            return Err(AuditError::NothingToAudit);
        }
        let history = contract_history(contract)?;
        let version = history.last().map_or(0, |(v, _)| *v as i32);
        let mqtt = match sources.mqtt {
            Some(config) => {
                let topics = contract
                    .mqtt
                    .as_ref()
                    .map(|m| m.topics.clone())
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| AuditError::NoMqttTopics {
                        contract: contract.name.clone(),
                    })?;
                let filters = match &sources.group {
                    Some(g) if config.version == MqttVersion::V5 => {
                        topics.iter().map(|t| format!("$share/{g}/{t}")).collect()
                    }
                    Some(_) => return Err(AuditError::GroupNeedsMqtt5),
                    None => topics,
                };
                Some(MqttPlan {
                    config,
                    filters,
                    version,
                })
            }
            None => None,
        };
        let kafka = match sources.kafka {
            Some(config) => {
                let k = contract
                    .kafka
                    .as_ref()
                    .ok_or_else(|| AuditError::NoKafkaTopic {
                        contract: contract.name.clone(),
                    })?;
                Some(KafkaPlan {
                    config,
                    topic: k.topic.clone(),
                    start: sources.start,
                    group: sources.group,
                    subject: contract.subject.clone(),
                    history,
                })
            }
            None => None,
        };
        Ok(Plan {
            mqtt,
            kafka,
            attribution: Attribution::of(contract),
            rules,
            max_messages: None,
            duration: None,
            idle: None,
            max_bytes: crate::validate::DEFAULT_MAX_PAYLOAD,
            max_violations: DEFAULT_MAX_VIOLATIONS,
            keep_seen: false,
            connect_timeout: Duration::from_secs(10),
            allow_empty: false,
        })
    }

    /// The transports audited.
    pub fn transports(&self) -> BTreeSet<TransportKind> {
        [
            self.mqtt.as_ref().map(|_| TransportKind::Mqtt),
            self.kafka.as_ref().map(|_| TransportKind::Kafka),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The header of a capture of this audit: the contract, its newest version, when
    /// (`taken_at`), and the brokers and topics audited (addresses only: no credentials).
    pub fn capture_header(
        &self,
        contract: &str,
        version: u32,
        sample: Option<u64>,
        taken_at: String,
    ) -> capture::Header {
        let mut sources = Vec::new();
        if let Some(m) = &self.mqtt {
            let at = url::Url::parse(&m.config.url)
                .map(|mut u| {
                    let _ = u.set_username("");
                    let _ = u.set_password(None);
                    u.to_string()
                })
                .unwrap_or_else(|_| m.config.url.clone());
            for f in &m.filters {
                sources.push(format!("{} {f}", at.trim_end_matches('/')));
            }
        }
        if let Some(k) = &self.kafka {
            sources.push(format!(
                "kafka://{} {}",
                k.config.bootstrap_servers, k.topic
            ));
        }
        capture::Header {
            schemactl_capture: capture::FORMAT_VERSION,
            contract: contract.to_string(),
            schema_version: Some(version),
            taken_at: Some(taken_at),
            sources,
            sample_per_producer: sample,
            seen: None,
            kept: None,
            by_producer: Default::default(),
        }
    }
}

/// The violation kinds `--fail-on` names: `any`, `none`, or a comma-separated list.
pub fn fail_kinds(spec: &str) -> Result<BTreeSet<ViolationKind>, AuditError> {
    match spec.trim() {
        "any" => Ok(ViolationKind::ALL.into_iter().collect()),
        "none" => Ok(BTreeSet::new()),
        list => list
            .split(',')
            .map(|k| {
                ViolationKind::from_name(k.trim()).ok_or_else(|| AuditError::UnknownFailOn {
                    kind: k.to_string(),
                    known: ViolationKind::ALL.map(ViolationKind::name).join(", "),
                })
            })
            .collect(),
    }
}

/// One transport's live counters.
#[derive(Debug, Default)]
pub struct TransportCounts {
    /// Messages counted.
    pub messages: AtomicU64,
    /// Of those, the invalid ones.
    pub invalid: AtomicU64,
}

/// Live counters for the progress line.
#[derive(Debug, Default)]
pub struct Progress {
    /// MQTT messages and invalid messages.
    pub mqtt: TransportCounts,
    /// Kafka messages and invalid messages.
    pub kafka: TransportCounts,
    /// Set while a transport is disconnected.
    pub mqtt_down: AtomicBool,
    /// Set while the Kafka brokers are lost.
    pub kafka_down: AtomicBool,
    /// Set while the audited Kafka topic is missing from a cluster that answers (deleted).
    pub kafka_topic_gone: AtomicBool,
}

impl Progress {
    /// Messages counted so far over both transports.
    pub fn messages(&self) -> u64 {
        self.mqtt.messages.load(Ordering::Relaxed) + self.kafka.messages.load(Ordering::Relaxed)
    }

    /// The counters of transport `t`.
    pub fn of(&self, t: TransportKind) -> &TransportCounts {
        match t {
            TransportKind::Mqtt => &self.mqtt,
            TransportKind::Kafka => &self.kafka,
        }
    }

    /// Whether transport `t` is away now: its broker lost, or (Kafka) the audited topic gone.
    pub fn gap(&self, t: TransportKind) -> Option<&'static str> {
        match t {
            TransportKind::Kafka if self.kafka_topic_gone.load(Ordering::Relaxed) => {
                Some("TOPIC MISSING")
            }
            TransportKind::Kafka if self.kafka_down.load(Ordering::Relaxed) => Some("RECONNECTING"),
            TransportKind::Mqtt if self.mqtt_down.load(Ordering::Relaxed) => Some("RECONNECTING"),
            _ => None,
        }
    }

    fn add(&self, t: TransportKind, invalid: bool) {
        let counts = self.of(t);
        counts.messages.fetch_add(1, Ordering::Relaxed);
        if invalid {
            counts.invalid.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Stops both readers: by time, by message count, by signal.
#[derive(Debug)]
pub struct Stop {
    flag: AtomicBool,
    tx: watch::Sender<bool>,
    budget: Option<u64>,
    taken: AtomicU64,
}

impl Stop {
    fn new(budget: Option<u64>) -> Arc<Stop> {
        Arc::new(Stop {
            flag: AtomicBool::new(false),
            tx: watch::channel(false).0,
            budget,
            taken: AtomicU64::new(0),
        })
    }

    /// Asks both readers to finish.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.tx.send_replace(true);
    }

    fn stopped(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Claims one message of the budget; false once it is spent.
    fn take(&self) -> bool {
        let Some(max) = self.budget else {
            return true;
        };
        let n = self.taken.fetch_add(1, Ordering::SeqCst);
        if n + 1 >= max {
            self.trigger();
        }
        n < max
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Runs an audit until its duration or message budget is spent or `shutdown` resolves.
/// `mqtt_validator` is the contract's newest schema; `lookup` the registry (needed for Kafka).
pub async fn run<L: SchemaLookup + 'static>(
    plan: Plan,
    mqtt_validator: Option<PayloadValidator>,
    lookup: Option<L>,
    progress: Arc<Progress>,
    ready: Option<tokio::sync::oneshot::Sender<()>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<Scorecard, AuditError> {
    run_capturing(
        plan,
        mqtt_validator,
        lookup,
        progress,
        ready,
        shutdown,
        None,
    )
    .await
}

/// [`run`], also writing every counted message to `capture` (a record counted as replayed,
/// a duplicate, is not written again).
pub async fn run_capturing<L: SchemaLookup + 'static>(
    plan: Plan,
    mqtt_validator: Option<PayloadValidator>,
    lookup: Option<L>,
    progress: Arc<Progress>,
    ready: Option<tokio::sync::oneshot::Sender<()>>,
    shutdown: impl std::future::Future<Output = ()>,
    capture: Option<Arc<capture::Writer>>,
) -> Result<Scorecard, AuditError> {
    let stop = Stop::new(plan.max_messages);
    let started = std::time::Instant::now();
    // Connect everything first: anything unreachable fails the run before it starts.
    let mqtt = match &plan.mqtt {
        Some(p) => {
            Some(MqttSource::connect(&p.config, p.filters.clone(), plan.connect_timeout).await?)
        }
        None => None,
    };
    let kafka = match &plan.kafka {
        Some(k) => {
            let lookup = lookup.ok_or_else(|| {
                AuditError::Input(
                    "auditing Kafka needs a schema registry to resolve schema ids\nhelp: pass --registry URL or set SCHEMA_REGISTRY_URL".into(),
                )
            })?;
            let resolver = tokio::time::timeout(
                plan.connect_timeout,
                Resolver::load(lookup, &k.subject, &k.history, plan.max_bytes),
            )
            .await
            .map_err(|_| {
                AuditError::Infrastructure(format!(
                    "the schema registry did not answer within {} s",
                    plan.connect_timeout.as_secs_f64()
                ))
            })?
            .map_err(AuditError::Lookup)?;
            let (cfg, topic, start, group, timeout) = (
                k.config.clone(),
                k.topic.clone(),
                k.start,
                k.group.clone(),
                plan.connect_timeout,
            );
            let source = tokio::task::spawn_blocking(move || {
                KafkaSource::open(&cfg, &topic, start, group.as_deref(), timeout)
            })
            .await
            .map_err(|e| AuditError::Infrastructure(e.to_string()))??;
            Some((source, resolver))
        }
        None => None,
    };

    // A group member holds no partition until the group has balanced; say "ready" only then,
    // so that what is produced afterwards is read by exactly one member.
    let mut assignment = kafka.as_ref().map(|(source, _)| source.assignment());
    let kafka_thread = kafka.map(|(source, resolver)| {
        let stop = stop.clone();
        let progress = progress.clone();
        let plan = plan.clone();
        let handle = tokio::runtime::Handle::current();
        let capture = capture.clone();
        std::thread::Builder::new()
            .name("audit-kafka".into())
            .spawn(move || {
                read_kafka(
                    source,
                    resolver,
                    &plan,
                    &stop,
                    &progress,
                    &handle,
                    capture.as_deref(),
                )
            })
            .map_err(|e| AuditError::Infrastructure(format!("cannot start the Kafka reader: {e}")))
    });
    let kafka_thread = kafka_thread.transpose()?;
    let mqtt_task = match (mqtt, plan.mqtt.clone(), mqtt_validator) {
        (Some(source), Some(p), Some(v)) => {
            let stop = stop.clone();
            let progress = progress.clone();
            let plan = plan.clone();
            let capture = capture.clone();
            Some(tokio::spawn(async move {
                read_mqtt(
                    source,
                    v,
                    p.version,
                    &plan,
                    &stop,
                    &progress,
                    capture.as_deref(),
                )
                .await
            }))
        }
        (Some(source), _, _) => {
            source.close().await;
            return Err(AuditError::Input(
                "no schema to check MQTT payloads against".into(),
            ));
        }
        _ => None,
    };

    if let Some(assigned) = assignment.as_mut() {
        let balanced =
            tokio::time::timeout(plan.connect_timeout, assigned.wait_for(Option::is_some)).await;
        if !matches!(balanced, Ok(Ok(_))) {
            stop.trigger();
            return Err(AuditError::Infrastructure(format!(
                "the Kafka consumer group did not assign partitions within {} s\nhelp: check that the cluster supports consumer groups and that --group is not in use by a stuck member",
                plan.connect_timeout.as_secs_f64()
            )));
        }
    }
    if let Some(ready) = ready {
        let _ = ready.send(());
    }
    let mut stopped = stop.tx.subscribe();
    let timer = async {
        match plan.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let idle = async {
        let Some(limit) = plan.idle else {
            return std::future::pending().await;
        };
        let tick = (limit / 10).clamp(Duration::from_millis(10), Duration::from_millis(250));
        let (mut last, mut since) = (progress.messages(), tokio::time::Instant::now());
        loop {
            tokio::time::sleep(tick).await;
            let now = progress.messages();
            if now != last {
                (last, since) = (now, tokio::time::Instant::now());
            } else if since.elapsed() >= limit {
                return;
            }
        }
    };
    tokio::select! {
        _ = timer => {}
        _ = idle => {}
        _ = shutdown => {}
        _ = stopped.wait_for(|s| *s) => {}
    }
    stop.trigger();

    let mut card = Scorecard::new(plan.max_violations, plan.keep_seen);
    if let Some(task) = mqtt_task {
        card.merge(
            task.await
                .map_err(|e| AuditError::Infrastructure(e.to_string()))?,
        );
    }
    if let Some(thread) = kafka_thread {
        let result = tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|e| AuditError::Infrastructure(e.to_string()))?
            .map_err(|_| AuditError::Infrastructure("the Kafka reader panicked".into()))?;
        card.merge(result);
    }
    if !plan.allow_empty {
        let seconds = started.elapsed().as_secs_f64();
        let watched = [
            plan.mqtt.as_ref().map(|m| {
                (
                    TransportKind::Mqtt,
                    format!("topic filter(s) {}", m.filters.join(", ")),
                )
            }),
            plan.kafka
                .as_ref()
                .map(|k| (TransportKind::Kafka, format!("topic {}", k.topic))),
        ];
        for (t, what) in watched.into_iter().flatten() {
            if card.summary.get(&t).is_none_or(|s| s.messages == 0) {
                card.no_traffic(t, &what, seconds);
            }
        }
    }
    card.sort();
    Ok(card)
}

async fn read_mqtt(
    mut source: MqttSource,
    validator: PayloadValidator,
    version: i32,
    plan: &Plan,
    stop: &Stop,
    progress: &Progress,
    capture: Option<&capture::Writer>,
) -> Scorecard {
    let mut card = Scorecard::new(plan.max_violations, plan.keep_seen);
    let mut stopped = stop.tx.subscribe();
    let max_bytes = plan.max_bytes;
    let mut lost: Option<(std::time::Instant, String)> = None;
    let rules = plan.rules.for_version(version);
    if let Some(borrowed) = rules.and_then(|r| r.borrowed_from) {
        card.note_rules_borrowed(version, borrowed);
    }
    while !stop.stopped() {
        let event = tokio::select! {
            _ = stopped.wait_for(|s| *s) => break,
            e = source.next() => e,
        };
        match event {
            MqttEvent::Message(m) => {
                if !stop.take() {
                    break;
                }
                let channel = plan.attribution.from_topic(&m.topic);
                let verdict = inspect::check(
                    Some(&validator),
                    rules.map(|r| r.rules),
                    max_bytes,
                    &m.payload,
                    &plan.attribution,
                    channel,
                    None,
                );
                let origin = Origin {
                    topic: &m.topic,
                    partition: None,
                    offset: None,
                    at_millis: m
                        .received
                        .duration_since(UNIX_EPOCH)
                        .map(|d| d.as_millis() as i64)
                        .unwrap_or(0),
                };
                let valid_framing = !verdict.violations.iter().any(|v| {
                    matches!(
                        v.kind,
                        ViolationKind::NOT_JSON | ViolationKind::NOT_UTF8 | ViolationKind::OVERSIZE
                    )
                });
                card.record(
                    TransportKind::Mqtt,
                    &origin,
                    &verdict.producer,
                    valid_framing.then_some(version),
                    &m.payload,
                    &verdict.violations,
                );
                if let Some(c) = capture {
                    c.write(
                        &verdict.producer,
                        &capture::Record {
                            transport: TransportKind::Mqtt.to_string(),
                            topic: m.topic.clone(),
                            partition: None,
                            offset: None,
                            key: None,
                            headers: Default::default(),
                            timestamp: Some(crate::cli::rfc3339(origin.at_millis)),
                            producer: Some(verdict.producer.clone()),
                            schema_id: None,
                            guid: None,
                            payload: capture::Payload::from_raw(&m.payload),
                            verdict: Some(capture::verdict_of(&verdict.violations)),
                        },
                    );
                }
                progress.add(
                    TransportKind::Mqtt,
                    verdict.violations.iter().any(Violation::fails),
                );
            }
            MqttEvent::Redelivered { topic } => {
                tracing::debug!("MQTT: a message on {topic} delivered again (DUP), counted once");
                card.replay(TransportKind::Mqtt);
            }
            MqttEvent::Lost { reason } => {
                progress.mqtt_down.store(true, Ordering::Relaxed);
                tracing::warn!("MQTT connection lost: {reason}; reconnecting");
                lost = Some((std::time::Instant::now(), reason));
            }
            MqttEvent::Regained { gap, reason } => {
                progress.mqtt_down.store(false, Ordering::Relaxed);
                lost = None;
                card.gap(
                    TransportKind::Mqtt,
                    GapRecord::outage(now_millis(), gap.as_millis() as u64, reason),
                );
            }
        }
    }
    // Still blind at the end: the gap runs to the end, and says so.
    if let Some((since, reason)) = lost {
        card.gap(
            TransportKind::Mqtt,
            GapRecord::open_outage(
                since.elapsed().as_millis() as u64,
                format!("{reason} (not reconnected by the end)"),
            ),
        );
    }
    source.close().await;
    card
}

/// How often the Kafka reader asks the cluster whether the topic still exists and where its
/// partitions begin and end.
const TOPIC_CHECK_EVERY: Duration = Duration::from_secs(1);

/// The Kafka reader's view of the topic between records: deleted, recreated, truncated,
/// expired under the audit.
struct TopicWatch {
    next_check: std::time::Instant,
    gone_since: Option<(std::time::Instant, i64)>,
}

impl TopicWatch {
    /// Compares the cluster's partitions with what the ledger counted: a topic deleted is an
    /// outage until it is back, and then read again from its start; a partition that now
    /// begins after the next offset expected lost records to retention before the audit read
    /// them.
    fn check(
        &mut self,
        source: &KafkaSource,
        ledger: &mut ledger::OffsetLedger,
        card: &mut Scorecard,
        progress: &Progress,
    ) {
        let now = std::time::Instant::now();
        if now < self.next_check {
            return;
        }
        self.next_check = now + TOPIC_CHECK_EVERY;
        let topic = source.topic().to_string();
        let state = match source.topic_state(Duration::from_millis(500)) {
            Ok(s) => s,
            // The cluster is unreachable: the link's own gap reports it.
            Err(e) => {
                tracing::debug!("Kafka: checking \"{topic}\": {e}");
                return;
            }
        };
        let partitions = match state {
            TopicCheck::Gone => {
                if self.gone_since.is_none() {
                    tracing::warn!("Kafka: topic \"{topic}\" no longer exists on the cluster");
                    self.gone_since = Some((now, now_millis()));
                    progress.kafka_down.store(true, Ordering::Relaxed);
                    progress.kafka_topic_gone.store(true, Ordering::Relaxed);
                }
                return;
            }
            TopicCheck::Partitions(p) => p,
        };
        if let Some((since, _)) = self.gone_since.take() {
            progress.kafka_down.store(false, Ordering::Relaxed);
            progress.kafka_topic_gone.store(false, Ordering::Relaxed);
            card.gap(
                TransportKind::Kafka,
                GapRecord::outage(
                    now_millis(),
                    since.elapsed().as_millis() as u64,
                    format!("topic \"{topic}\" was deleted, and exists again: read from its start"),
                ),
            );
            for p in ledger.partitions() {
                ledger.forget(p);
            }
            for (p, _, _) in &partitions {
                if let Err(e) = source.seek(*p, None) {
                    tracing::warn!("{e}");
                }
            }
            return;
        }
        for moved in ledger.reconcile(&partitions) {
            let ledger::Moved::Expired {
                partition,
                from: lost,
                to,
            } = moved;
            let (from, offsets) = (to + 1, Some([lost, to]));
            let reason = format!(
                "offsets {lost}..{to} of partition {partition} expired before the audit read them (offset out of range)"
            );
            tracing::warn!("Kafka: {reason}");
            card.gap(
                TransportKind::Kafka,
                GapRecord {
                    regained_at_millis: now_millis(),
                    millis: 0,
                    reason,
                    partition: Some(partition),
                    offsets,
                    open: false,
                },
            );
            if let Err(e) = source.seek(partition, Some(from)) {
                tracing::warn!("{e}");
            }
        }
    }

    /// At the end: a topic still missing is a gap that runs to the end.
    fn finish(self, topic: &str, card: &mut Scorecard) {
        if let Some((since, _)) = self.gone_since {
            card.gap(
                TransportKind::Kafka,
                GapRecord::open_outage(
                    since.elapsed().as_millis() as u64,
                    format!(
                        "topic \"{topic}\" was deleted while the audit ran, and did not come back"
                    ),
                ),
            );
        }
    }
}

/// A violation found by checking a payload against a second schema, its message saying which.
fn judged_also_by(
    validator: &PayloadValidator,
    payload: &[u8],
    what: &str,
    into: &mut Vec<Violation>,
) {
    if let Ok(value) = validator.check_parsed(payload)
        && !validator.value_is_valid(&value)
    {
        into.extend(validator.check_value(&value).into_iter().map(|mut v| {
            v.message = format!("against {what}: {}", v.message);
            v
        }));
    }
}

fn read_kafka<L: SchemaLookup>(
    source: KafkaSource,
    mut resolver: Resolver<L>,
    plan: &Plan,
    stop: &Stop,
    progress: &Progress,
    runtime: &tokio::runtime::Handle,
    capture: Option<&capture::Writer>,
) -> Scorecard {
    let mut card = Scorecard::new(plan.max_violations, plan.keep_seen);
    let max_bytes = plan.max_bytes;
    let subject = resolver.subject().to_string();
    let newest = resolver.newest();
    let mut ledger = ledger::OffsetLedger::default();
    let mut watch = TopicWatch {
        next_check: std::time::Instant::now() + TOPIC_CHECK_EVERY,
        gone_since: None,
    };
    let mut reset_reason: Option<String> = None;
    while !stop.stopped() {
        watch.check(&source, &mut ledger, &mut card, progress);
        let record = match source.poll(Duration::from_millis(100)) {
            None => {
                progress.kafka_down.store(
                    source.is_down() || watch.gone_since.is_some(),
                    Ordering::Relaxed,
                );
                continue;
            }
            Some(Err(e)) => {
                tracing::warn!("Kafka: {e}");
                if let TransportError::OffsetReset(reason) = e {
                    reset_reason = Some(reason);
                }
                progress
                    .kafka_down
                    .store(source.is_down(), Ordering::Relaxed);
                continue;
            }
            Some(Ok(r)) => r,
        };
        let (partition, offset) = (record.partition(), record.offset());
        match ledger.admit(partition, offset) {
            ledger::Admit::Count => {}
            ledger::Admit::Replay => {
                card.replay(TransportKind::Kafka);
                continue;
            }
            ledger::Admit::Reread { from } => {
                // The broker skipped offsets: read the partition again from the one expected.
                tracing::debug!(
                    "Kafka: partition {partition} jumped from offset {from} to {offset}; reading again from {from}"
                );
                if let Err(e) = source.seek(partition, Some(from)) {
                    tracing::warn!("{e}");
                }
                continue;
            }
            ledger::Admit::CountAfterHole { from, to } => {
                card.gap(
                    TransportKind::Kafka,
                    GapRecord {
                        regained_at_millis: now_millis(),
                        millis: 0,
                        reason: format!(
                            "offsets {from}..{to} of partition {partition} were not delivered ({})",
                            reset_reason.take().unwrap_or_else(|| {
                                "compacted, transaction markers, or expired".into()
                            })
                        ),
                        partition: Some(partition),
                        offsets: Some([from, to]),
                        open: false,
                    },
                );
            }
        }
        if !stop.take() {
            break;
        }
        for gap in source.take_gaps(true) {
            progress.kafka_down.store(false, Ordering::Relaxed);
            card.gap(
                TransportKind::Kafka,
                GapRecord::outage(now_millis(), gap.duration.as_millis() as u64, gap.reason),
            );
        }
        let value = record.payload();
        let channel = plan.attribution.from_key(record.key());
        // The record's own schema, when it is not the contract's: reported, and the payload
        // judged by it as well as by the contract's newest version.
        let mut named: Option<(Arc<PayloadValidator>, String)> = None;
        let (validator, version, early, payload) = match wire::decode_with(value, || {
            record.header(VALUE_SCHEMA_ID_HEADER)
        }) {
            Err(v) => (None, None, Some(v), value),
            Ok(framed) => {
                let resolution = match resolver.get(framed.schema) {
                    Some(k) => Resolution::Known(k.clone()),
                    None => runtime.block_on(resolver.resolve(framed.schema)),
                };
                let judged_by_newest = newest.as_ref().map(|(v, n)| (n.clone(), *v as i32));
                match resolution {
                    Resolution::Known(Known::Ours { version, validator }) => {
                        (Some(validator), Some(version), None, framed.payload)
                    }
                    Resolution::Known(Known::Ungoverned {
                        registry_version,
                        id,
                        validator,
                    }) => {
                        named = Some((
                            validator,
                            format!(
                                "registry schema {} (version {registry_version} of \"{subject}\")",
                                framed.schema
                            ),
                        ));
                        (
                            judged_by_newest.as_ref().map(|(n, _)| n.clone()),
                            judged_by_newest.as_ref().map(|(_, v)| *v),
                            Some(Violation::new(
                                ViolationKind::UNGOVERNED_SCHEMA,
                                format!(
                                    "schema {} is version {registry_version} of \"{subject}\" in the registry, but the contract's history does not hold it; judged by it and by the contract's v{}",
                                    match framed.schema {
                                        SchemaRef::Id(_) => framed.schema.to_string(),
                                        SchemaRef::Guid(_) =>
                                            format!("{} (id {id})", framed.schema),
                                    },
                                    newest.as_ref().map_or(0, |(v, _)| *v)
                                ),
                            )),
                            framed.payload,
                        )
                    }
                    // Reported, and the payload checked against the schema it names and
                    // the contract's newest version.
                    Resolution::Known(Known::Foreign { validator }) => {
                        named = validator.map(|v| {
                            (
                                v,
                                format!("registry schema {} (another subject)", framed.schema),
                            )
                        });
                        (
                            judged_by_newest.as_ref().map(|(n, _)| n.clone()),
                            judged_by_newest.as_ref().map(|(_, v)| *v),
                            Some(Violation::new(
                                ViolationKind::WRONG_SUBJECT,
                                format!(
                                    "schema {} is registered, but not under \"{subject}\"",
                                    framed.schema
                                ),
                            )),
                            framed.payload,
                        )
                    }
                    Resolution::Unknown => (
                        None,
                        None,
                        Some(Violation::new(
                            ViolationKind::UNKNOWN_SCHEMA_ID,
                            format!("the registry does not know schema {}", framed.schema),
                        )),
                        framed.payload,
                    ),
                    Resolution::Unresolved(reason) => (
                        None,
                        None,
                        Some(Violation::new(
                            ViolationKind::UNRESOLVED,
                            format!("schema {} could not be resolved: {reason}", framed.schema),
                        )),
                        framed.payload,
                    ),
                }
            }
        };
        let rules = match (&validator, version) {
            (Some(_), Some(v)) => plan.rules.for_version(v),
            _ => None,
        };
        if let (Some(borrowed), Some(v)) = (rules.and_then(|r| r.borrowed_from), version) {
            card.note_rules_borrowed(v, borrowed);
        }
        let mut verdict = inspect::check(
            validator.as_deref(),
            rules.map(|r| r.rules),
            max_bytes,
            payload,
            &plan.attribution,
            channel,
            early,
        );
        verdict
            .violations
            .extend(plan.attribution.check_key(record.key()));
        if let Some((named, what)) = &named {
            if let Some(v) = version {
                for found in &mut verdict.violations {
                    if found.kind == ViolationKind::SCHEMA_VIOLATION {
                        found.message = format!("against the contract's v{v}: {}", found.message);
                    }
                }
            }
            judged_also_by(named, payload, what, &mut verdict.violations);
        }
        let origin = Origin {
            topic: record.topic(),
            partition: Some(partition),
            offset: Some(offset),
            at_millis: record.timestamp_millis().unwrap_or_else(now_millis),
        };
        card.record(
            TransportKind::Kafka,
            &origin,
            &verdict.producer,
            version,
            value,
            &verdict.violations,
        );
        if let Some((_, what)) = &named {
            card.judged_also(&verdict.producer, what);
        }
        if let Some(c) = capture {
            let schema = wire::decode_with(value, || record.header(VALUE_SCHEMA_ID_HEADER))
                .ok()
                .map(|f| f.schema);
            c.write(
                &verdict.producer,
                &capture::Record {
                    transport: TransportKind::Kafka.to_string(),
                    topic: origin.topic.to_string(),
                    partition: Some(partition),
                    offset: Some(offset),
                    key: record.key().map(capture::Bytes::from_raw),
                    headers: record.headers().into_iter().fold(
                        std::collections::BTreeMap::new(),
                        |mut m, (name, value)| {
                            m.entry(name.to_string())
                                .or_insert_with(|| value.map(capture::Bytes::from_raw));
                            m
                        },
                    ),
                    timestamp: Some(crate::cli::rfc3339(origin.at_millis)),
                    producer: Some(verdict.producer.clone()),
                    schema_id: match schema {
                        Some(SchemaRef::Id(id)) => Some(id),
                        _ => None,
                    },
                    guid: match schema {
                        Some(SchemaRef::Guid(g)) => Some(uuid::Uuid::from_bytes(g).to_string()),
                        _ => None,
                    },
                    payload: capture::Payload::from_raw(payload),
                    verdict: Some(capture::verdict_of(&verdict.violations)),
                },
            );
        }
        progress.add(
            TransportKind::Kafka,
            verdict.violations.iter().any(Violation::fails),
        );
    }
    watch.finish(source.topic(), &mut card);
    if source.is_down() {
        for gap in source.take_gaps(true) {
            card.gap(
                TransportKind::Kafka,
                GapRecord::open_outage(
                    gap.duration.as_millis() as u64,
                    format!("{} (the brokers were still lost at the end)", gap.reason),
                ),
            );
        }
    }
    source.close();
    card
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classified;

    fn generator() -> Contract {
        crate::catalog::Catalog::at(".")
            .contract(Some("generator"))
            .expect("the generator contract")
    }

    fn mqtt(version: MqttVersion) -> Option<MqttConfig> {
        let mut config = MqttConfig::new("mqtt://127.0.0.1:1883");
        config.version = version;
        Some(config)
    }

    fn kafka() -> Option<KafkaConfig> {
        Some(KafkaConfig::new("127.0.0.1:9092"))
    }

    /// The generator contract's audit over these sources.
    fn plan(
        mqtt: Option<MqttConfig>,
        kafka: Option<KafkaConfig>,
        group: Option<&str>,
    ) -> Result<Plan, AuditError> {
        let sources = Sources {
            mqtt,
            kafka,
            group: group.map(str::to_string),
            ..Sources::default()
        };
        Plan::from_contract(&generator(), sources)
    }

    #[test]
    fn a_group_splits_mqtt_through_shared_subscriptions_and_joins_kafka() {
        let contract = generator();
        let plan = plan(mqtt(MqttVersion::V5), kafka(), Some("audit")).unwrap();
        let topics = &contract.mqtt.as_ref().unwrap().topics;
        let m = plan.mqtt.as_ref().unwrap();
        assert_eq!(
            m.filters,
            topics
                .iter()
                .map(|t| format!("$share/audit/{t}"))
                .collect::<Vec<_>>()
        );
        let history = contract_history(&contract).unwrap();
        assert_eq!(m.version, history.last().unwrap().0 as i32);
        let k = plan.kafka.as_ref().unwrap();
        assert_eq!(k.topic, contract.kafka.as_ref().unwrap().topic);
        assert_eq!(k.group.as_deref(), Some("audit"));
        assert_eq!(k.subject, contract.subject);
        assert_eq!(k.history, history);
        assert_eq!(
            plan.transports(),
            [TransportKind::Mqtt, TransportKind::Kafka].into()
        );
    }

    #[test]
    fn without_a_group_the_contracts_topics_are_subscribed_as_they_are() {
        let contract = generator();
        let plan = plan(mqtt(MqttVersion::V311), None, None).unwrap();
        assert_eq!(
            plan.mqtt.unwrap().filters,
            contract.mqtt.unwrap().topics,
            "no $share prefix"
        );
        assert!(plan.kafka.is_none());
    }

    #[test]
    fn plans_that_cannot_run_are_input_errors() {
        let contract = generator();
        let group_on_3 = plan(mqtt(MqttVersion::V311), None, Some("audit")).unwrap_err();
        assert!(matches!(group_on_3, AuditError::GroupNeedsMqtt5));
        assert!(
            group_on_3
                .to_string()
                .contains("help: add --mqtt-version 5")
        );
        let nothing = Plan::from_contract(&contract, Sources::default()).unwrap_err();
        assert!(matches!(nothing, AuditError::NothingToAudit));
        let mut no_kafka = contract.clone();
        no_kafka.kafka = None;
        let err = Plan::from_contract(
            &no_kafka,
            Sources {
                kafka: kafka(),
                ..Sources::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "contract \"generator\" has no [kafka] section"
        );
        for e in [group_on_3, nothing, err] {
            assert_eq!(e.exit(), crate::Exit::Usage);
        }
        assert_eq!(
            AuditError::Infrastructure("broker gone".into()).exit(),
            crate::Exit::Infrastructure
        );
    }

    #[test]
    fn fail_on_names_kinds_or_says_which_exist() {
        assert!(fail_kinds("none").unwrap().is_empty());
        assert_eq!(fail_kinds("any").unwrap().len(), ViolationKind::ALL.len());
        assert_eq!(
            fail_kinds("NOT_JSON, OVERSIZE").unwrap(),
            [ViolationKind::NOT_JSON, ViolationKind::OVERSIZE].into()
        );
        let err = fail_kinds("NOT_JSON,BAD").unwrap_err().to_string();
        assert!(
            err.starts_with("--fail-on: unknown kind \"BAD\" (known: any, none, "),
            "{err}"
        );
    }

    #[test]
    fn a_capture_header_names_brokers_without_credentials() {
        let contract = generator();
        let plan = plan(
            Some(MqttConfig::new("mqtt://fleet:s3cret@127.0.0.1:1883")),
            kafka(),
            None,
        )
        .unwrap();
        let header = plan.capture_header(&contract.name, 3, Some(10), "now".into());
        let sources = header.sources.join(" | ");
        assert!(
            !sources.contains("s3cret") && !sources.contains("fleet@"),
            "{sources}"
        );
        assert!(
            sources.contains("mqtt://127.0.0.1:1883 emergency_generator"),
            "{sources}"
        );
        assert!(
            sources.contains("kafka://127.0.0.1:9092 emergency_generator"),
            "{sources}"
        );
        assert_eq!(header.sample_per_producer, Some(10));
    }
}
