//! `schemactl demo`: everything in one process on loopback — a schema registry, an MQTT broker
//! ([`mqtt_broker`]) and a Kafka cluster (librdkafka's mock cluster) — then the contract
//! registered, a compliant and misbehaving fleet simulated on both transports, audited, and
//! scored against the simulator's own ground truth.

pub mod mqtt_broker;

use crate::audit::expect::Score;
use crate::audit::{self, Attribution, KafkaPlan, MqttPlan, Plan, Progress, Scorecard};
use crate::catalog::Contract;
use crate::simulate::manifest;
use crate::simulate::run::{self as sim, Summary};
use crate::simulate::{Fault, FaultPlan};
use crate::transport::kafka::{KafkaConfig, StartAt};
use crate::transport::mqtt::MqttConfig;
use crate::validate::PayloadValidator;
use crate::validate::resolver::SchemaLookup;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the demo runs.
#[derive(Clone, Debug)]
pub struct DemoPlan {
    /// The contract.
    pub contract: Contract,
    /// Its schema history as text, oldest first (all registered, in order).
    pub history: Vec<String>,
    /// How long the fleet produces.
    pub duration: Duration,
    /// Fleet size.
    pub generators: usize,
    /// Readings per second per generator.
    pub rate: f64,
    /// The misbehaving producers.
    pub faults: FaultPlan,
    /// Seed of the stream.
    pub seed: u64,
}

/// Where the demo's services listen.
#[derive(Clone, Debug)]
pub struct Services {
    /// The MQTT broker.
    pub mqtt_url: String,
    /// The Kafka cluster.
    pub kafka_bootstrap: String,
}

/// What the demo saw.
#[derive(Debug)]
pub struct DemoOutcome {
    /// The audit's scorecard.
    pub card: Scorecard,
    /// What the simulator sent.
    pub sent: Summary,
    /// The generators the simulator made misbehave, and how (the ground truth).
    pub misbehaving: Vec<(String, Fault)>,
    /// The audit scored against the simulator's manifest: among others, the rules the fleet's
    /// own readings break (its below-zero dip), expected and reported.
    pub score: Score,
}

/// The simulator's manifest, kept in memory.
#[derive(Clone, Default)]
struct InMemory(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for InMemory {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the manifest's lock is poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The largest payload the demo's audit accepts (oversized payloads are made just above it).
const MAX_PAYLOAD: usize = 64 * 1024;

/// Runs the demo against services already started: registers the contract, starts the audit
/// on both transports, simulates the fleet, waits until the audit counted everything sent (or
/// `drain` passed), and returns the scorecard. `tick` is called every half second with the
/// messages counted so far, for a progress line.
pub async fn run<L: SchemaLookup + Clone + 'static>(
    plan: DemoPlan,
    services: &Services,
    registry: L,
    validator: PayloadValidator,
    tick: impl Fn(u64),
) -> Result<DemoOutcome, String> {
    let contract = &plan.contract;
    let newest = plan
        .history
        .last()
        .ok_or("the contract has no schema")?
        .clone();
    for text in &plan.history {
        registry
            .register(&contract.subject, text)
            .await
            .map_err(|e| e.to_string())?;
    }
    let version = registry
        .subject_versions(&contract.subject)
        .await
        .map_err(|e| e.to_string())?
        .last()
        .map_or(1, |r| r.version);
    let kafka_topic = contract
        .kafka
        .as_ref()
        .ok_or("the contract has no [kafka] section")?
        .topic
        .clone();
    let filters = contract
        .mqtt
        .as_ref()
        .map(|m| m.topics.clone())
        .ok_or("the contract has no [mqtt] topics")?;
    let audit_plan = Plan {
        mqtt: Some(MqttPlan {
            config: MqttConfig::new(services.mqtt_url.clone()),
            filters,
            version,
        }),
        kafka: Some(KafkaPlan {
            config: KafkaConfig::new(services.kafka_bootstrap.clone()),
            topic: kafka_topic,
            start: StartAt::Beginning,
            group: None,
            subject: contract.subject.clone(),
            history: audit::contract_history(contract)?,
        }),
        attribution: Attribution::of(contract),
        rules: audit::RuleSets::of_contract(contract)?,
        max_messages: None,
        duration: None,
        idle: None,
        max_bytes: MAX_PAYLOAD,
        max_violations: 1000,
        keep_seen: true,
        connect_timeout: Duration::from_secs(10),
        allow_empty: true,
    };
    let progress = Arc::new(Progress::default());
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let audit_task = tokio::spawn(audit::run(
        audit_plan,
        Some(validator.with_max_bytes(MAX_PAYLOAD)),
        Some(registry.clone()),
        progress.clone(),
        Some(ready_tx),
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
    ));
    if ready_rx.await.is_err() {
        return Err(match audit_task.await {
            Ok(Err(e)) => e.to_string(),
            _ => "the audit stopped before it was ready".into(),
        });
    }
    let misbehaving = plan
        .faults
        .rules
        .iter()
        .filter(|(g, _, _)| *g < plan.generators)
        .map(|(g, f, _)| {
            let id = contract
                .simulator
                .as_ref()
                .map_or_else(|| format!("#{}", g + 1), |m| m.producer_id(*g));
            (id, *f)
        })
        .collect();
    let sim_plan = sim::Plan {
        contract: contract.clone(),
        schema_text: newest,
        mqtt: Some(MqttConfig::new(services.mqtt_url.clone())),
        kafka: Some(KafkaConfig::new(services.kafka_bootstrap.clone())),
        generators: plan.generators,
        rate: Some(plan.rate),
        count: None,
        duration: Some(plan.duration),
        seed: plan.seed,
        faults: plan.faults.clone(),
        schema_id_in: Default::default(),
        oversize_bytes: MAX_PAYLOAD,
        connect_timeout: Duration::from_secs(10),
        // The demo owns its embedded registry: the foreign-schema fault may register its decoy.
        register: true,
        create_topic: None,
    };
    let truth = InMemory::default();
    let simulation = sim::run(
        sim_plan,
        Some(&registry),
        Some(Box::new(truth.clone())),
        std::future::pending(),
    );
    tokio::pin!(simulation);
    let mut every = tokio::time::interval(Duration::from_millis(500));
    let sent = loop {
        tokio::select! {
            done = &mut simulation => break done.map_err(|e| e.to_string())?,
            _ = every.tick() => tick(progress.messages()),
        }
    };
    // Everything sent was acknowledged by the brokers; wait until the audit counted it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while progress.messages() < sent.mqtt + sent.kafka && tokio::time::Instant::now() < deadline {
        every.tick().await;
        tick(progress.messages());
    }
    stop_tx.send_replace(true);
    let card = audit_task
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8(truth.0.lock().map_err(|e| e.to_string())?.clone())
        .map_err(|e| e.to_string())?;
    let lines = manifest::parse(&text, "the demo's manifest")?;
    let both = [
        crate::transport::TransportKind::Mqtt,
        crate::transport::TransportKind::Kafka,
    ]
    .into();
    let score = audit::expect::score(&lines, &card.seen, &both);
    Ok(DemoOutcome {
        card,
        sent,
        misbehaving,
        score,
    })
}
