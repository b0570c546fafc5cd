//! `schemactl demo`: the README's first command. Starts a schema registry, an MQTT broker and a
//! Kafka cluster in this process on loopback, runs a compliant and misbehaving fleet on both
//! transports for a while, audits it, and prints the scorecard. Nothing to install.

use super::live::parse_duration;
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::catalog::NewestSchema;
use crate::demo::{self, DemoPlan, Services, mqtt_broker::MqttBroker};
use crate::report::audit::scorecard_text;
use crate::validate::DEFAULT_MAX_PAYLOAD;
use anyhow::anyhow;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

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
    let contract = super::live::contract(cli, args.contract.as_deref())?;
    let NewestSchema {
        version, validator, ..
    } = contract.newest(DEFAULT_MAX_PAYLOAD).input()?;
    let request = demo::Request {
        duration: args.duration,
        generators: args.generators,
        rate: args.rate,
        faults: args.faults.clone(),
        seed: args.seed,
    };
    // Every DemoError is the input's fault (exit 2).
    let plan = DemoPlan::from_contract(contract.clone(), request).input()?;
    let kafka_topic = plan.kafka_topic().to_string();
    let generators = plan.generators;
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
        let misbehaving: Vec<String> = plan
            .faults
            .by_producer(contract.simulator.as_ref())
            .into_iter()
            .map(|(id, f, p)| format!("{id} {f} ({:.0}%)", p * 100.0))
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
        result.map_err(super::Failure::from)
    })?;
    drop(cluster);

    let card = &outcome.card;
    let mut stdout = out.stdout();
    let title = format!(
        "\naudit of contract \"{}\" (subject {}) over MQTT and Kafka",
        contract.name, contract.subject
    );
    write!(stdout, "{}", scorecard_text(card, &title)).input()?;
    let found = outcome.findings(&contract);
    writeln!(
        stdout,
        "\nsent {} MQTT message(s) and {} Kafka record(s), audited {}",
        outcome.sent.mqtt, outcome.sent.kafka, found.audited
    )
    .input()?;
    writeln!(
        stdout,
        "found {} of {} misbehaving generator(s): {}",
        found.found.len(),
        found.misbehaving,
        if found.found.is_empty() {
            "-".into()
        } else {
            found
                .found
                .iter()
                .map(|(g, how)| format!("{g} ({how})"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    )
    .input()?;
    if !found.missed.is_empty() {
        writeln!(stdout, "missed: {}", found.missed.join(", ")).input()?;
    }
    if !found.wrongly_flagged.is_empty() {
        writeln!(
            stdout,
            "flagged but compliant: {}",
            found.wrongly_flagged.join(", ")
        )
        .input()?;
    }
    for r in &found.fleet_rules {
        writeln!(
            stdout,
            "the fleet's own readings: {} of {} that break rule {} as its producers make them reported, from {} generator(s){}",
            r.detected,
            r.expected,
            r.rule,
            r.generators,
            r.doc.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
        )
        .input()?;
    }
    writeln!(stdout, "done in {:.1} s", started.elapsed().as_secs_f64()).input()?;
    Ok(if found.passed() {
        Exit::Pass
    } else {
        Exit::Findings
    })
}
