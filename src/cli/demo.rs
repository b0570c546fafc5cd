//! `schemactl demo`: the README's first command. Starts a schema registry, an MQTT broker and a
//! Kafka cluster in this process on loopback, runs a compliant and misbehaving fleet on both
//! transports for a while, audits it, and prints the scorecard. Nothing to install.

use super::live::{parse_duration, scorecard_text};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::catalog::{Catalog, NewestSchema};
use crate::demo::{self, DemoPlan, Services, mqtt_broker::MqttBroker};
use crate::simulate::FaultPlan;
use crate::validate::DEFAULT_MAX_PAYLOAD;
use anyhow::anyhow;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Misbehaving producers by default: some break the schema, one sends junk, one uses a schema id
/// the registry never issued, one sends readings only a data-contract rule refuses; and
/// generator 7 is given away by its channel (see [`default_faults`]).
const DEFAULT_FAULTS: &str = "wrong-type=2:0.3,missing-field=3:0.2,out-of-range=5:0.3,\
not-json=6:0.1,unknown-schema-id=8:0.5,rule-break=9:0.2";

/// The default faults for `contract` (rule-break where it carries a rule that catches one):
/// generator 7 keys its Kafka records by its id where the
/// contract says keys are UUIDs, or else sends payloads naming another producer than its key or
/// topic, where those name the producer.
fn default_faults(contract: &crate::catalog::Contract) -> String {
    let a = crate::audit::Attribution::of(contract);
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

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Everything runs in this process on 127.0.0.1, on free ports: a schema registry, a small MQTT \
3.1.1 broker (for the demo only) and librdkafka's mock Kafka cluster. The contract's newest \
schema is registered, the fleet produces to both transports, and the audit scores every \
producer; the demo then compares what the audit found with the faults it injected. A rule the \
fleet's own readings break (the generators' fuel level dips below zero before each refill, \
which fuel_not_negative reports) is the fleet's own finding, said apart: it makes no generator \
a misbehaving one.

Exit codes: 0 the audit found exactly the misbehaving generators (and every reading that \
breaks a rule on the fleet's own account), 1 it did not, 3 a service could not start.

Examples:
  schemactl demo
  schemactl demo --duration 5s --faults all")]
pub struct Args {
    /// How long the fleet produces.
    #[arg(long, default_value = "15s", value_name = "D", value_parser = parse_duration)]
    pub duration: Duration,
    /// Number of generators.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub generators: usize,
    /// Readings per second per generator.
    #[arg(long, default_value_t = 10.0, value_name = "R")]
    pub rate: f64,
    /// Misbehaving producers (as `simulate --faults`; default: wrong-type=2:0.3,
    /// missing-field=3:0.2, out-of-range=5:0.3, not-json=6:0.1, unknown-schema-id=8:0.5,
    /// rule-break=9:0.2 where the contract has rules, and key-not-uuid=7:0.2 or
    /// identity-mismatch=7:0.2 as the contract's key and topics allow).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Seed of the stream.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// The contract (default: the only contract).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let contract = Catalog::at(&cli.root)
        .contract(args.contract.as_deref())
        .input()?;
    let NewestSchema {
        version, validator, ..
    } = contract.newest(DEFAULT_MAX_PAYLOAD).input()?;
    let history: Vec<String> = crate::catalog::load_history(&contract.schemas)
        .input()?
        .into_iter()
        .map(|s| s.text)
        .collect();
    let spec = args
        .faults
        .clone()
        .unwrap_or_else(|| default_faults(&contract));
    let faults = FaultPlan::parse(&spec)
        .map_err(|e| anyhow!("--faults: {e}"))
        .input()?;
    if !(args.rate > 0.0 && args.rate.is_finite()) || args.generators == 0 {
        return Err(anyhow!("--rate and --generators must be above 0")).input();
    }
    let generators = args.generators.max(faults.generators_needed());
    let kafka_topic = contract
        .kafka
        .as_ref()
        .map(|k| k.topic.clone())
        .ok_or_else(|| anyhow!("contract \"{}\" has no [kafka] section", contract.name))
        .input()?;
    let started = Instant::now();
    let mut err = std::io::stderr();
    let live = err.is_terminal();

    // librdkafka's mock cluster lives on this thread for the whole run.
    let cluster = rdkafka::mocking::MockCluster::new(1)
        .map_err(|e| anyhow!("cannot start the mock Kafka cluster: {e}"))
        .infra()?;
    cluster
        .create_topic(&kafka_topic, 3, 1)
        .map_err(|e| anyhow!("cannot create topic \"{kafka_topic}\" on the mock cluster: {e}"))
        .infra()?;
    let runtime = tokio::runtime::Runtime::new().infra()?;
    let outcome = runtime.block_on(async {
        let broker = MqttBroker::start()
            .await
            .map_err(|e| anyhow!("cannot start the demo MQTT broker: {e}"))
            .infra()?;
        // The embedded registry, in memory, served over HTTP on loopback like any other.
        let store = crate::registry::server::Registry::open(None)
            .map_err(|e| anyhow!("cannot open the in-memory registry: {e}"))
            .infra()?;
        // The subject runs at the contract's level and policy, as `register` would set them.
        store
            .set_config(
                Some(&contract.subject),
                crate::registry::model::ConfigRequest {
                    compatibility: contract.level.name().to_string(),
                    compatibility_policy: Some(contract.policy.name().to_ascii_uppercase()),
                    ..Default::default()
                },
            )
            .map_err(|e| anyhow!("cannot configure the in-memory registry: {e}"))
            .infra()?;
        let server = crate::registry::server::Server::bind(
            ([127, 0, 0, 1], 0).into(),
            std::sync::Arc::new(store),
            crate::registry::server::Options::default(),
        )
        .await
        .map_err(|e| anyhow!("cannot start the embedded registry: {e}"))
        .infra()?;
        let registry_url = server.url().infra()?;
        let (stop_registry, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let registry = crate::registry::RegistryClient::new(&crate::config::RegistrySettings {
            url: Some(registry_url.clone()),
            ..Default::default()
        })
        .map_err(|e| anyhow!("{e}"))
        .infra()?;
        let services = Services {
            mqtt_url: broker.url(),
            kafka_bootstrap: cluster.bootstrap_servers(),
        };
        let _ = writeln!(
            err,
            "schemactl demo: schema registry {registry_url}, MQTT broker {}, Kafka mock cluster {}",
            services.mqtt_url, services.kafka_bootstrap
        );
        let misbehaving: Vec<String> = faults
            .rules
            .iter()
            .map(|(g, f, p)| {
                let id = contract
                    .simulator
                    .as_ref()
                    .map_or_else(|| format!("#{}", g + 1), |m| m.producer_id(*g));
                format!("{id} {f} ({:.0}%)", p * 100.0)
            })
            .collect();
        let _ = writeln!(
            err,
            "registering contract \"{}\" v1..v{version} under {}; {generators} generators × {}/s for {:.0} s on MQTT and Kafka\nmisbehaving on purpose: {}",
            contract.name,
            contract.subject,
            args.rate,
            args.duration.as_secs_f64(),
            if misbehaving.is_empty() { "none".into() } else { misbehaving.join(", ") }
        );
        if let Some(model) = &contract.simulator {
            let (lo, hi) = model.interval;
            let _ = writeln!(
                err,
                "the fleet's model, sped up: its generators read once every {}–{} s each; the demo has them read {}× a second (--rate)",
                lo.as_secs_f64(),
                hi.as_secs_f64(),
                args.rate
            );
        }
        let plan = DemoPlan {
            contract: contract.clone(),
            history,
            duration: args.duration,
            generators,
            rate: args.rate,
            faults,
            seed: args.seed,
        };
        let tick = |n: u64| {
            if live {
                let mut e = std::io::stderr();
                let _ = write!(
                    e,
                    "\r\x1b[2K{:>4.0} s  {n} messages audited",
                    started.elapsed().as_secs_f64()
                );
                let _ = e.flush();
            }
        };
        let result = demo::run(plan, &services, registry, validator, tick).await;
        let _ = stop_registry.send(());
        let _ = serving.await;
        if live {
            let _ = write!(err, "\r\x1b[2K");
        }
        result.map_err(|e| anyhow!(e)).infra()
    })?;
    drop(cluster);

    let card = &outcome.card;
    let mut stdout = out.stdout();
    let title = format!(
        "\naudit of contract \"{}\" (subject {}) over MQTT and Kafka",
        contract.name, contract.subject
    );
    write!(stdout, "{}", scorecard_text(card, &title)).input()?;
    // Compare with the ground truth: which generators did the audit flag? A rule the fleet's
    // own readings break (the manifest says which) flags no generator: it is the fleet's.
    let fleet_rules: std::collections::BTreeSet<&str> = outcome
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
    let attribution = crate::audit::Attribution::of(&contract);
    let channel_names_sender = attribution.kafka_key == crate::catalog::KafkaKey::Producer
        || attribution.mqtt_topic_level.is_some();
    let anonymous = |f: &crate::simulate::Fault| !channel_names_sender && f.hides_the_sender();
    let unknown_flagged = flagged.contains_key(crate::producer::UNKNOWN_PRODUCER);
    let truth: BTreeMap<&str, String> = outcome
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
            || unknown_flagged
                && outcome
                    .misbehaving
                    .iter()
                    .any(|(m, f)| m == g && anonymous(f))
    };
    let found: Vec<String> = truth
        .iter()
        .filter(|(g, _)| seen(g))
        .map(|(g, f)| format!("{g} ({f})"))
        .collect();
    let missed: Vec<&str> = truth.keys().filter(|g| !seen(g)).copied().collect();
    let any_anonymous = outcome.misbehaving.iter().any(|(_, f)| anonymous(f));
    let wrongly: Vec<&str> = flagged
        .keys()
        .filter(|g| {
            let excused = any_anonymous && **g == crate::producer::UNKNOWN_PRODUCER;
            !truth.contains_key(*g) && !excused
        })
        .copied()
        .collect();
    writeln!(
        stdout,
        "\nsent {} MQTT message(s) and {} Kafka record(s), audited {}",
        outcome.sent.mqtt,
        outcome.sent.kafka,
        card.messages()
    )
    .input()?;
    writeln!(
        stdout,
        "found {} of {} misbehaving generator(s): {}",
        found.len(),
        truth.len(),
        if found.is_empty() {
            "-".into()
        } else {
            found.join(", ")
        }
    )
    .input()?;
    if !missed.is_empty() {
        writeln!(stdout, "missed: {}", missed.join(", ")).input()?;
    }
    if !wrongly.is_empty() {
        writeln!(stdout, "flagged but compliant: {}", wrongly.join(", ")).input()?;
    }
    let mut fleet_missed = false;
    for r in &outcome.score.fleet_rules {
        let generators: std::collections::BTreeSet<&str> = card
            .producers
            .iter()
            .filter(|p| p.rules.contains_key(&r.rule))
            .map(|p| p.producer.as_str())
            .collect();
        let doc = contract
            .rules
            .iter()
            .find(|c| c.name == r.rule)
            .and_then(|c| c.doc.as_deref())
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        writeln!(
            stdout,
            "the fleet's own readings: {} of {} that break rule {} as its producers make them reported, from {} generator(s){doc}",
            r.detected,
            r.expected,
            r.rule,
            generators.len()
        )
        .input()?;
        fleet_missed |= r.detected != r.expected;
    }
    writeln!(stdout, "done in {:.1} s", started.elapsed().as_secs_f64()).input()?;
    Ok(
        if missed.is_empty()
            && wrongly.is_empty()
            && !fleet_missed
            && card.messages() == outcome.sent.mqtt + outcome.sent.kafka
        {
            Exit::Pass
        } else {
            Exit::Findings
        },
    )
}
