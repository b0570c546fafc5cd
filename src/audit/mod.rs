//! The audit: sniffs MQTT and Kafka at once, checks every message (framing, schema id, schema,
//! identity), attributes it to a producer, and keeps a per-producer scorecard.
//!
//! Kafka is read on its own thread (librdkafka's consumer is blocking and lends records without
//! copying); MQTT on a task. Each keeps its own scorecard and they merge at the end, so the hot
//! paths share nothing but two counters for the progress line.

pub mod expect;
pub mod inspect;
pub mod report;
pub mod scorecard;

pub use inspect::Attribution;
pub use report::AuditReport;
pub use scorecard::{GapRecord, Origin, Scorecard};

use crate::transport::kafka::{KafkaConfig, KafkaSource, StartAt};
use crate::transport::mqtt::{MqttConfig, MqttEvent, MqttSource};
use crate::transport::{TransportError, TransportKind};
use crate::validate::resolver::{Known, Resolution, Resolver, SchemaLookup};
use crate::validate::wire::{self, VALUE_SCHEMA_ID_HEADER};
use crate::validate::{PayloadValidator, Violation, ViolationKind};
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
}

/// What to audit and for how long.
#[derive(Clone, Debug)]
pub struct Plan {
    /// MQTT, if audited.
    pub mqtt: Option<MqttPlan>,
    /// Kafka, if audited.
    pub kafka: Option<KafkaPlan>,
    /// Producer identity rules.
    pub attribution: Attribution,
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
}

/// Live counters for the progress line.
#[derive(Debug, Default)]
pub struct Progress {
    /// MQTT messages and invalid messages.
    pub mqtt: (AtomicU64, AtomicU64),
    /// Kafka messages and invalid messages.
    pub kafka: (AtomicU64, AtomicU64),
    /// Set while a transport is disconnected.
    pub mqtt_down: AtomicBool,
    /// Set while the Kafka brokers are lost.
    pub kafka_down: AtomicBool,
}

impl Progress {
    /// Messages counted so far over both transports.
    pub fn messages(&self) -> u64 {
        self.mqtt.0.load(Ordering::Relaxed) + self.kafka.0.load(Ordering::Relaxed)
    }

    fn add(&self, t: TransportKind, invalid: bool) {
        let (m, i) = match t {
            TransportKind::Mqtt => &self.mqtt,
            TransportKind::Kafka => &self.kafka,
        };
        m.fetch_add(1, Ordering::Relaxed);
        if invalid {
            i.fetch_add(1, Ordering::Relaxed);
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
    let stop = Stop::new(plan.max_messages);
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
                Resolver::load(lookup, &k.subject, plan.max_bytes),
            )
            .await
            .map_err(|_| {
                AuditError::Infrastructure(format!(
                    "the schema registry did not answer within {} s",
                    plan.connect_timeout.as_secs_f64()
                ))
            })?
            .map_err(AuditError::Infrastructure)?;
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
        std::thread::Builder::new()
            .name("audit-kafka".into())
            .spawn(move || read_kafka(source, resolver, &plan, &stop, &progress, &handle))
            .map_err(|e| AuditError::Infrastructure(format!("cannot start the Kafka reader: {e}")))
    });
    let kafka_thread = kafka_thread.transpose()?;
    let mqtt_task = match (mqtt, plan.mqtt.clone(), mqtt_validator) {
        (Some(source), Some(p), Some(v)) => {
            let stop = stop.clone();
            let progress = progress.clone();
            let plan = plan.clone();
            Some(tokio::spawn(async move {
                read_mqtt(source, v, p.version, &plan, &stop, &progress).await
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
) -> Scorecard {
    let mut card = Scorecard::new(plan.max_violations, plan.keep_seen);
    let mut stopped = stop.tx.subscribe();
    let max_bytes = plan.max_bytes;
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
                progress.add(TransportKind::Mqtt, !verdict.violations.is_empty());
            }
            MqttEvent::Lost { reason } => {
                progress.mqtt_down.store(true, Ordering::Relaxed);
                tracing::warn!("MQTT connection lost: {reason}; reconnecting");
            }
            MqttEvent::Regained { gap, reason } => {
                progress.mqtt_down.store(false, Ordering::Relaxed);
                card.gap(
                    TransportKind::Mqtt,
                    GapRecord {
                        regained_at_millis: now_millis(),
                        millis: gap.as_millis() as u64,
                        reason,
                    },
                );
            }
        }
    }
    source.close().await;
    card
}

fn read_kafka<L: SchemaLookup>(
    source: KafkaSource,
    mut resolver: Resolver<L>,
    plan: &Plan,
    stop: &Stop,
    progress: &Progress,
    runtime: &tokio::runtime::Handle,
) -> Scorecard {
    let mut card = Scorecard::new(plan.max_violations, plan.keep_seen);
    let max_bytes = plan.max_bytes;
    let subject = resolver.subject().to_string();
    while !stop.stopped() {
        let record = match source.poll(Duration::from_millis(100)) {
            None => {
                progress
                    .kafka_down
                    .store(source.is_down(), Ordering::Relaxed);
                continue;
            }
            Some(Err(e)) => {
                tracing::warn!("Kafka: {e}");
                progress
                    .kafka_down
                    .store(source.is_down(), Ordering::Relaxed);
                continue;
            }
            Some(Ok(r)) => r,
        };
        if !stop.take() {
            break;
        }
        for gap in source.take_gaps(true) {
            progress.kafka_down.store(false, Ordering::Relaxed);
            card.gap(
                TransportKind::Kafka,
                GapRecord {
                    regained_at_millis: now_millis(),
                    millis: gap.duration.as_millis() as u64,
                    reason: gap.reason,
                },
            );
        }
        let value = record.payload();
        let channel = plan.attribution.from_key(record.key());
        let (validator, version, early, payload) =
            match wire::decode(value, record.header(VALUE_SCHEMA_ID_HEADER)) {
                Err(v) => (None, None, Some(v), value),
                Ok(framed) => {
                    let resolution = match resolver.get(framed.schema) {
                        Some(k) => Resolution::Known(k.clone()),
                        None => runtime.block_on(resolver.resolve(framed.schema)),
                    };
                    match resolution {
                        Resolution::Known(Known::Ours { version, validator }) => {
                            (Some(validator), Some(version), None, framed.payload)
                        }
                        // Reported, and the payload still checked against the schema it names.
                        Resolution::Known(Known::Foreign { validator }) => (
                            validator,
                            None,
                            Some(Violation::new(
                                ViolationKind::WRONG_SUBJECT,
                                format!(
                                    "schema {} is registered, but not under \"{subject}\"",
                                    framed.schema
                                ),
                            )),
                            framed.payload,
                        ),
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
        let mut verdict = inspect::check(
            validator.as_deref(),
            max_bytes,
            payload,
            &plan.attribution,
            channel,
            early,
        );
        verdict
            .violations
            .extend(plan.attribution.check_key(record.key()));
        let origin = Origin {
            topic: record.topic(),
            partition: Some(record.partition()),
            offset: Some(record.offset()),
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
        progress.add(TransportKind::Kafka, !verdict.violations.is_empty());
    }
    source.close();
    card
}
