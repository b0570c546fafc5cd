//! `schemactl simulate`: the reference compliant producer, with chosen generators turned into
//! misbehaving producers and the ground truth written as a manifest.

use super::live::{KafkaArgs, MqttArgs, RegistryArgs, contract, lookup, parse_duration};
use super::{Classify, Cli, Failure, Outcome, Output};
use crate::Exit;
use crate::report::{self, progress};
use crate::simulate::Request;
use crate::simulate::run::{Plan, SchemaIdIn, Sent, run_counting};
use crate::transport::kafka::NewTopicSpec;
use crate::validate::DEFAULT_MAX_PAYLOAD;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `simulate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Faults (--faults): missing-field, wrong-type, out-of-range, not-json, truncated, binary, \
no-wire-header, unknown-schema-id, foreign-schema-id, key-not-uuid (Kafka only), \
identity-mismatch, oversize, rule-break. missing-field and wrong-type pick the last required field the \
contract's [simulator] fills (fuel for the generators); out-of-range breaks the first bound the \
newest schema states, a minimum or maximum, else an enum (v3's status for the generators, whose \
numbers have no range); identity-mismatch needs a contract whose Kafka key or MQTT topic level \
names the producer, key-not-uuid one whose key is a UUID. rule-break sends a reading the schema \
accepts and a data-contract rule ([[rules]]) refuses: a number the [simulator] draws afresh or \
walks set one to two range widths outside its range (a broken sensor; for the generators an \
implausible temperature or pressure), where a rule of the contract refuses it; a contract with no \
such rule refuses the fault. \
Write FAULT=GENERATOR[:SHARE] (comma-separated; SHARE of that generator's messages, default 0.5), \
or all[:SHARE]: generator 1 stays compliant and every fault gets a generator of its own after it \
(generator 2 the first fault listed above, and so on), so `all` needs one generator more than \
there are faults, which is the fleet size when --generators is not given. A fault naming a \
generator beyond --generators is an error, never a larger fleet.

With --manifest, each line also names the rules the reading itself breaks as the fleet makes \
it (fleet_rules: the generators' fuel level dips below zero once per refill cycle, which \
fuel_not_negative reports), where the audit checks its values: `audit --expect` counts those as \
the fleet's own expected findings, not as false alarms.

The registry is only read: the contract's newest schema is looked up under its subject \
(POST /subjects/S), and a registry that lacks it stops the run (register it with \
`schemactl register`). --register lets simulate register what is missing, and it says what it \
registered. foreign-schema-id borrows the id of another subject's schema (the decoy subject \
schemactl-simulator-foreign-value if an earlier --register run made it); with no other subject, \
it needs --register.

Kafka: a metadata request checks that the contract's topic exists before anything is produced; \
a missing topic stops the run with the command that creates it, or is created with \
--create-topic (--partitions, --replication-factor; default: the broker's defaults).

Examples:
  schemactl simulate --mqtt mqtt://127.0.0.1:1883 --generators 5 --rate 2 --duration 30s
  schemactl simulate --mqtt mqtt://127.0.0.1 --kafka 127.0.0.1:9092 --registry http://127.0.0.1:8081 \\
      --create-topic --faults all --count 100 --seed 7 --manifest truth.jsonl")]
pub struct Args {
    /// The contract to produce (default: the only contract).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Number of generators (default: 5, or as many as --faults names: one more than the number
    /// of faults for `all`).
    #[arg(long, value_name = "N")]
    pub generators: Option<usize>,
    /// Readings per second per generator, all together (default: each generator on its own
    /// clock, once per the contract's `[simulator] interval`; 60-120 s for the generator fleet).
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// Readings per generator, then stop.
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    pub count: Option<u64>,
    /// Run this long (e.g. 30s, 5m), then stop.
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Seed of the stream: the same seed gives the same messages.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Misbehaving producers, e.g. `wrong-type=3:0.2,not-json=4` or `all`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Where Kafka records carry their schema: `prefix` (0x00 and the schema id before the
    /// JSON, as every Confluent serializer does) or `header` (0x01 and the schema GUID in the
    /// `__value_schema_id` header, as Confluent 8's HeaderSchemaIdSerializer does).
    #[arg(long, value_enum, default_value_t = SchemaIdIn::Prefix, value_name = "WHERE")]
    pub schema_id_in: SchemaIdIn,
    /// Write the ground truth (one JSON line per message) here.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The audit's OVERSIZE limit that oversized payloads exceed.
    #[arg(long, default_value_t = DEFAULT_MAX_PAYLOAD, value_name = "BYTES")]
    pub max_payload: usize,
    /// Seconds brokers and the registry may take to answer.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Register what the registry lacks (the contract's newest schema under its subject, the
    /// foreign-schema fault's decoy) instead of stopping; what was registered is said.
    #[arg(long)]
    pub register: bool,
    /// Create the contract's Kafka topic when it does not exist.
    #[arg(long)]
    pub create_topic: bool,
    /// Partitions of a topic --create-topic creates (default: the broker's `num.partitions`).
    #[arg(long, value_name = "N", requires = "create_topic", value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: Option<i32>,
    /// Replication factor of a topic --create-topic creates (default: the broker's
    /// `default.replication.factor`).
    #[arg(long, value_name = "N", requires = "create_topic", value_parser = clap::value_parser!(i32).range(1..))]
    pub replication_factor: Option<i32>,
    #[command(flatten)]
    pub mqtt: MqttArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run_command(cli: &Cli, args: &Args, _out: Output) -> Outcome {
    let contract = contract(cli, args.contract.as_deref())?;
    let request = Request {
        mqtt: args.mqtt.config(),
        kafka: args.kafka.config()?,
        generators: args.generators,
        rate: args.rate,
        count: args.count,
        duration: args.duration,
        seed: args.seed,
        faults: args.faults.clone(),
        schema_id_in: args.schema_id_in,
        oversize_bytes: args.max_payload,
        connect_timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
        register: args.register,
        create_topic: args.create_topic.then(|| NewTopicSpec {
            partitions: args.partitions.unwrap_or(-1),
            replication: args.replication_factor.unwrap_or(-1),
        }),
    };
    let plan = Plan::from_contract(contract, request).map_err(Failure::from)?;
    // The manifest is written beside its final name and renamed once complete, so an audit
    // waiting for it (`audit --expect`) never reads half of it.
    let partial = args.manifest.as_ref().map(|p| partial_path(p));
    let manifest: Option<Box<dyn std::io::Write + Send>> = match &partial {
        Some(path) => Some(Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))
                .input()?,
        ))),
        None => None,
    };
    let lookup = lookup(cli, &args.registry)?;
    let kafka_topic = plan.contract.kafka.as_ref().map(|k| k.topic.clone());
    let faulty = plan.faults.by_producer(plan.contract.simulator.as_ref());
    let runtime = tokio::runtime::Runtime::new().infra()?;
    let sent = std::sync::Arc::new(Sent::default());
    let transports = plan.transports();
    let summary = runtime
        .block_on(async {
            let live =
                progress::Live::start("connecting", progress::simulate(sent.clone(), transports));
            let result = run_counting(plan, lookup.as_ref(), manifest, &sent, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
            live.finish();
            result
        })
        .map_err(Failure::from)?;
    if let (Some(partial), Some(path)) = (&partial, &args.manifest) {
        std::fs::rename(partial, path)
            .with_context(|| format!("cannot write {}", path.display()))
            .input()?;
    }
    crate::report::shell::note(report::simulate::summary_text(
        &summary,
        kafka_topic.as_deref(),
        &faulty,
    ));
    Ok(Exit::Pass)
}

/// Where the manifest is written until it is complete.
fn partial_path(path: &std::path::Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}
