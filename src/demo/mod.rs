//! `schemactl demo`: everything in one process on loopback — a schema registry, an MQTT broker
//! ([`mqtt_broker`]) and a Kafka cluster (librdkafka's mock cluster) — then the contract
//! registered, a compliant and misbehaving fleet simulated on both transports, audited, and
//! scored against the simulator's own ground truth.

pub mod in_process;
pub mod mqtt_broker;

use crate::audit::score::Score;
use crate::audit::{self, Plan, Progress, Scorecard};
use crate::catalog::Contract;
use crate::producer::manifest;
use crate::simulate::run::{self as sim, Summary};
use crate::simulate::{Fault, FaultPlan};
use crate::transport::kafka::{KafkaConfig, StartAt};
use crate::transport::mqtt::MqttConfig;
use crate::validate::PayloadValidator;
use crate::validate::resolver::SchemaLookup;
use serde::Serialize;
use std::collections::BTreeMap;
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

/// What a person asks of the demo.
#[derive(Clone, Debug)]
pub struct Request {
    /// How long the fleet produces.
    pub duration: Duration,
    /// Fleet size (at least as many as the faults name).
    pub generators: usize,
    /// Readings per second per generator.
    pub rate: f64,
    /// The `--faults` spec (default: [`default_faults`]).
    pub faults: Option<String>,
    /// Seed of the stream.
    pub seed: u64,
}

/// Why the demo cannot run as asked; all the input's fault (exit 2). A service that cannot
/// start is the machine's, and is said by the command.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The contract's history could not be read.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// `--faults` cannot be read.
    #[error("--faults: {0}")]
    Faults(#[from] crate::simulate::FaultSpecError),
    /// A rate or fleet size that is not above 0.
    #[error("--rate and --generators must be above 0")]
    NotAboveZero,
    /// The contract names no Kafka topic, and the demo produces to Kafka.
    #[error("contract \"{contract}\" has no [kafka] section")]
    NoKafkaTopic {
        /// The contract.
        contract: String,
    },
}

/// Why a started demo could not finish: the registry refused the contract, the audit or the
/// simulator failed, or the simulator's ground truth could not be read back. Each keeps the
/// error it wraps, and with it that error's exit code.
#[derive(Debug, thiserror::Error)]
pub enum DemoRunError {
    /// The plan holds no schema to simulate.
    #[error("the contract has no schema")]
    NoSchema,
    /// The embedded registry refused a version of the contract's history.
    #[error(transparent)]
    Register(#[from] crate::validate::resolver::LookupError),
    /// The audit could not be planned, started or finished.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// The audit task ended before it was ready, without an error of its own.
    #[error("the audit stopped before it was ready")]
    AuditNotReady,
    /// The audit task panicked or was cancelled.
    #[error("the audit task failed: {0}")]
    AuditTask(#[from] tokio::task::JoinError),
    /// The simulator failed.
    #[error(transparent)]
    Simulate(#[from] crate::simulate::run::SimulateError),
    /// The simulator's ground truth (its manifest, kept in memory) cannot be read back.
    #[error("the demo's manifest: {0}")]
    Truth(String),
    /// The simulator's manifest does not parse.
    #[error(transparent)]
    Manifest(#[from] crate::producer::manifest::ManifestError),
}

impl crate::Classified for DemoRunError {
    /// The exit code: the wrapped error's own; 3 for a failure of the demo's own machinery.
    fn exit(&self) -> crate::Exit {
        match self {
            DemoRunError::NoSchema => crate::Exit::Usage,
            DemoRunError::Register(e) => e.exit(),
            DemoRunError::Audit(e) => e.exit(),
            DemoRunError::Simulate(e) => e.exit(),
            DemoRunError::AuditNotReady
            | DemoRunError::AuditTask(_)
            | DemoRunError::Truth(_)
            | DemoRunError::Manifest(_) => crate::Exit::Infrastructure,
        }
    }
}

impl crate::Classified for DemoError {
    /// The exit code: every one of these is the input's fault.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
}

impl DemoPlan {
    /// The demo of `contract` that `request` asks for: its whole history registered, the
    /// faults asked for (or [`default_faults`]), and a fleet large enough for them.
    pub fn from_contract(contract: Contract, request: Request) -> Result<DemoPlan, DemoError> {
        let history: Vec<String> = crate::catalog::load_history(&contract.schemas)?
            .into_iter()
            .map(|s| s.text)
            .collect();
        let spec = request.faults.unwrap_or_else(|| default_faults(&contract));
        let faults = FaultPlan::parse(&spec)?;
        if !(request.rate > 0.0 && request.rate.is_finite()) || request.generators == 0 {
            return Err(DemoError::NotAboveZero);
        }
        if contract.kafka.is_none() {
            return Err(DemoError::NoKafkaTopic {
                contract: contract.name.clone(),
            });
        }
        Ok(DemoPlan {
            generators: request.generators.max(faults.generators_needed()),
            contract,
            history,
            duration: request.duration,
            rate: request.rate,
            faults,
            seed: request.seed,
        })
    }

    /// The Kafka topic the fleet produces to.
    pub fn kafka_topic(&self) -> &str {
        self.contract
            .kafka
            .as_ref()
            .map_or("", |k| k.topic.as_str())
    }
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

/// Misbehaving producers by default: some break the schema, one sends junk, one uses a schema id
/// the registry never issued, one sends readings only a data-contract rule refuses; and
/// generator 7 is given away by its channel (see [`default_faults`]).
const DEFAULT_FAULTS: &str = "wrong-type=2:0.3,missing-field=3:0.2,out-of-range=5:0.3,\
not-json=6:0.1,unknown-schema-id=8:0.5,rule-break=9:0.2";

/// The default faults for `contract` (rule-break where it carries a rule that catches one):
/// generator 7 keys its Kafka records by its id where the
/// contract says keys are UUIDs, or else sends payloads naming another producer than its key or
/// topic, where those name the producer.
pub fn default_faults(contract: &crate::catalog::Contract) -> String {
    let a = crate::producer::Attribution::of(contract);
    let channel = if a.kafka_key == crate::catalog::KafkaKey::Uuid {
        ",key-not-uuid=7:0.2"
    } else if a.kafka_key == crate::catalog::KafkaKey::Producer || a.mqtt_topic_level.is_some() {
        ",identity-mismatch=7:0.2"
    } else {
        ""
    };
    let mut faults = format!("{DEFAULT_FAULTS}{channel}");
    if contract.rules.is_empty() {
        faults = faults.replace(",rule-break=9:0.2", "");
    }
    faults
}

/// What the demo found against what it made happen: the misbehaving generators the audit
/// named, those it missed, the compliant ones it flagged, and the rules the fleet's own
/// readings break.
#[derive(Debug, Serialize)]
pub struct Findings {
    /// Messages the audit counted.
    pub audited: u64,
    /// Messages the simulator sent over both transports.
    pub sent: u64,
    /// How many generators were made to misbehave.
    pub misbehaving: usize,
    /// Each misbehaving generator the audit found, with its fault (and, where the payload alone
    /// names the sender and the fault leaves it unreadable, that it was reported as unknown).
    pub found: Vec<(String, String)>,
    /// Misbehaving generators the audit did not flag.
    pub missed: Vec<String>,
    /// Generators the audit flagged that were not made to misbehave.
    pub wrongly_flagged: Vec<String>,
    /// The rules the fleet's own readings break: reported against expected.
    pub fleet_rules: Vec<FleetRuleFinding>,
}

/// A rule the fleet's own readings break, as the demo's audit reported it.
#[derive(Debug, Serialize)]
pub struct FleetRuleFinding {
    /// The rule.
    pub rule: String,
    /// Readings breaking it that the audit reported.
    pub detected: u64,
    /// Readings breaking it that the fleet sent.
    pub expected: u64,
    /// The generators it was reported on.
    pub generators: usize,
    /// The rule's doc, from the contract.
    pub doc: Option<String>,
}

impl Findings {
    /// Exactly the misbehaving generators found, every reading that breaks a rule on the
    /// fleet's own account reported, and every message sent audited.
    pub fn passed(&self) -> bool {
        self.missed.is_empty()
            && self.wrongly_flagged.is_empty()
            && self.fleet_rules.iter().all(|r| r.detected == r.expected)
            && self.audited == self.sent
    }
}

impl DemoOutcome {
    /// Compares what the audit found with the ground truth of `contract`'s demo.
    pub fn findings(&self, contract: &Contract) -> Findings {
        let card = &self.card;
        // Compare with the ground truth: which generators did the audit flag? A rule the fleet's
        // own readings break (the manifest says which) flags no generator: it is the fleet's.
        let fleet_rules: std::collections::BTreeSet<&str> = self
            .score
            .fleet_rules
            .iter()
            .map(|r| r.rule.as_str())
            .collect();
        let mut flagged: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &card.producers {
            let beyond_the_fleet: u64 = p
                .violations
                .iter()
                .filter(|(k, _)| **k != crate::validate::ViolationKind::RULE_VIOLATION)
                .map(|(_, n)| n)
                .sum::<u64>()
                + p.rules
                    .iter()
                    .filter(|(r, _)| !fleet_rules.contains(r.as_str()))
                    .filter(|(r, _)| {
                        card.summary
                            .get(&p.transport)
                            .and_then(|t| t.rules.get(*r))
                            .is_none_or(|t| t.fails())
                    })
                    .map(|(_, n)| n)
                    .sum::<u64>();
            if beyond_the_fleet > 0 {
                *flagged.entry(p.producer.as_str()).or_default() += beyond_the_fleet;
            }
        }
        // Where only the payload names its sender (one topic, UUID keys), a payload that is not
        // readable JSON names no one: the audit reports it under "unknown".
        let attribution = crate::producer::Attribution::of(contract);
        let channel_names_sender = attribution.kafka_key == crate::catalog::KafkaKey::Producer
            || attribution.mqtt_topic_level.is_some();
        let anonymous = |f: &Fault| !channel_names_sender && f.hides_the_sender();
        let unknown_flagged = flagged.contains_key(crate::producer::UNKNOWN_PRODUCER);
        let truth: BTreeMap<&str, String> = self
            .misbehaving
            .iter()
            .map(|(g, f)| {
                let name = if anonymous(f) {
                    format!("{f}, reported as \"{}\"", crate::producer::UNKNOWN_PRODUCER)
                } else {
                    f.name().to_string()
                };
                (g.as_str(), name)
            })
            .collect();
        let seen = |g: &str| {
            flagged.contains_key(g)
                || unknown_flagged && self.misbehaving.iter().any(|(m, f)| m == g && anonymous(f))
        };
        let found: Vec<(String, String)> = truth
            .iter()
            .filter(|(g, _)| seen(g))
            .map(|(g, f)| (g.to_string(), f.clone()))
            .collect();
        let missed: Vec<String> = truth
            .keys()
            .filter(|g| !seen(g))
            .map(|g| g.to_string())
            .collect();
        let any_anonymous = self.misbehaving.iter().any(|(_, f)| anonymous(f));
        let wrongly_flagged: Vec<String> = flagged
            .keys()
            .filter(|g| {
                let excused = any_anonymous && **g == crate::producer::UNKNOWN_PRODUCER;
                !truth.contains_key(*g) && !excused
            })
            .map(|g| g.to_string())
            .collect();
        let fleet_rules = self
            .score
            .fleet_rules
            .iter()
            .map(|r| FleetRuleFinding {
                rule: r.rule.clone(),
                detected: r.detected,
                expected: r.expected,
                generators: card
                    .producers
                    .iter()
                    .filter(|p| p.rules.contains_key(&r.rule))
                    .map(|p| p.producer.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                doc: contract
                    .rules
                    .iter()
                    .find(|c| c.name == r.rule)
                    .and_then(|c| c.doc.clone()),
            })
            .collect();
        Findings {
            audited: card.messages(),
            sent: self.sent.mqtt + self.sent.kafka,
            misbehaving: truth.len(),
            found,
            missed,
            wrongly_flagged,
            fleet_rules,
        }
    }
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
) -> Result<DemoOutcome, DemoRunError> {
    let contract = &plan.contract;
    let newest = plan.history.last().ok_or(DemoRunError::NoSchema)?.clone();
    for text in &plan.history {
        registry.register(&contract.subject, text).await?;
    }
    let sources = audit::Sources {
        mqtt: Some(MqttConfig::new(services.mqtt_url.clone())),
        kafka: Some(KafkaConfig::new(services.kafka_bootstrap.clone())),
        start: StartAt::Beginning,
        group: None,
    };
    let audit_plan = Plan {
        max_bytes: MAX_PAYLOAD,
        keep_seen: true,
        allow_empty: true,
        ..Plan::from_contract(contract, sources)?
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
            Ok(Err(e)) => e.into(),
            Ok(Ok(_)) => DemoRunError::AuditNotReady,
            Err(e) => e.into(),
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
            done = &mut simulation => break done?,
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
    let card = audit_task.await??;
    let text = String::from_utf8(
        truth
            .0
            .lock()
            .map_err(|e| DemoRunError::Truth(e.to_string()))?
            .clone(),
    )
    .map_err(|e| DemoRunError::Truth(e.to_string()))?;
    let lines = manifest::parse(&text, "the demo's manifest")?;
    let both = [
        crate::transport::TransportKind::Mqtt,
        crate::transport::TransportKind::Kafka,
    ]
    .into();
    let score = audit::score::score(&lines, &card.seen, &both);
    Ok(DemoOutcome {
        card,
        sent,
        misbehaving,
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(faults: Option<&str>) -> Request {
        Request {
            duration: Duration::from_secs(1),
            generators: 2,
            rate: 10.0,
            faults: faults.map(str::to_string),
            seed: 1,
        }
    }

    fn generator() -> Contract {
        crate::catalog::Catalog::at(".")
            .contract(Some("generator"))
            .unwrap()
    }

    #[test]
    fn the_default_faults_fit_the_contract_and_the_fleet_grows_to_them() {
        let contract = generator();
        let plan = DemoPlan::from_contract(contract.clone(), request(None)).unwrap();
        // The generator contract keys Kafka records with UUIDs and carries rules.
        assert_eq!(
            contract.kafka.as_ref().map(|k| k.key),
            Some(crate::catalog::KafkaKey::Uuid)
        );
        let faults: Vec<Fault> = plan.faults.rules.iter().map(|r| r.1).collect();
        assert!(faults.contains(&Fault::KeyNotUuid), "{faults:?}");
        assert!(faults.contains(&Fault::RuleBreak), "{faults:?}");
        assert!(!faults.contains(&Fault::IdentityMismatch), "{faults:?}");
        assert_eq!(plan.generators, plan.faults.generators_needed());
        assert!(plan.generators > 2, "enlarged to the faults named");
        assert_eq!(
            plan.history.len(),
            crate::audit::contract_history(&contract).unwrap().len()
        );
        assert_eq!(plan.kafka_topic(), contract.kafka.unwrap().topic);
    }

    #[test]
    fn requests_that_cannot_run_say_why() {
        let bad_faults = DemoPlan::from_contract(generator(), request(Some("nope=1"))).unwrap_err();
        assert!(
            bad_faults
                .to_string()
                .starts_with("--faults: unknown fault \"nope\"")
        );
        let slow = DemoPlan::from_contract(
            generator(),
            Request {
                rate: 0.0,
                ..request(None)
            },
        )
        .unwrap_err();
        assert_eq!(slow.to_string(), "--rate and --generators must be above 0");
        let mut no_kafka = generator();
        no_kafka.kafka = None;
        let err = DemoPlan::from_contract(no_kafka, request(Some("not-json=1"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "contract \"generator\" has no [kafka] section"
        );
    }
}
