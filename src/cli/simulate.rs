//! `schemactl simulate`: the reference compliant producer, with chosen generators turned into
//! misbehaving producers and the ground truth written as a manifest.

use super::live::{KafkaArgs, MqttArgs, RegistryArgs, lookup, parse_duration};
use super::validate::{newest_validator, pick_contract};
use super::{Classify, Cli, Failure, Outcome, Output};
use crate::Exit;
use crate::simulate::FaultPlan;
use crate::simulate::run::{Plan, SchemaIdIn, SimulateError, run};
use crate::validate::DEFAULT_MAX_PAYLOAD;
use anyhow::{Context, anyhow};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `simulate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Faults (--faults): missing-field, wrong-type, out-of-range, not-json, truncated, binary, \
no-wire-header, unknown-schema-id, foreign-schema-id, key-not-uuid (Kafka only), \
identity-mismatch, oversize. missing-field and wrong-type pick the last required field the \
contract's [simulator] fills (fuel for the generators); out-of-range breaks the first bound the \
newest schema states, a minimum or maximum, else an enum (v3's status for the generators, whose \
numbers have no range); identity-mismatch needs a contract whose Kafka key or MQTT topic level \
names the producer, key-not-uuid one whose key is a UUID. \
Write FAULT=GENERATOR[:SHARE] (comma-separated; SHARE of that generator's messages, default 0.5), \
or all[:SHARE] to give each fault its own generator after the first.

Examples:
  schemactl simulate --mqtt mqtt://127.0.0.1:1883 --generators 5 --rate 2 --duration 30s
  schemactl simulate --mqtt mqtt://127.0.0.1 --kafka 127.0.0.1:9092 --registry http://127.0.0.1:8081 \\
      --faults all --count 100 --seed 7 --manifest truth.jsonl")]
pub struct Args {
    /// The contract to produce (default: the only contract).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Number of generators.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub generators: usize,
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
    #[command(flatten)]
    pub mqtt: MqttArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run_command(cli: &Cli, args: &Args, _out: Output) -> Outcome {
    let contract = pick_contract(cli, args.contract.as_deref())?;
    let (_, schema_text, _) = newest_validator(&contract, args.max_payload)?;
    let mqtt = args.mqtt.config();
    let kafka = args.kafka.config()?;
    if mqtt.is_none() && kafka.is_none() {
        return Err(anyhow!(
            "nothing to produce to\nhelp: pass --mqtt URL and/or --kafka BOOTSTRAP"
        ))
        .input();
    }
    let faults = match &args.faults {
        Some(spec) => FaultPlan::parse(spec)
            .map_err(|e| anyhow!("--faults: {e}"))
            .input()?,
        None => FaultPlan { rules: vec![] },
    };
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(anyhow!("--rate must be above 0")).input();
    }
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
    let plan_ids = contract.simulator.clone();
    let plan = Plan {
        contract,
        schema_text,
        mqtt: mqtt.clone(),
        kafka: kafka.clone(),
        generators: args.generators,
        rate: args.rate,
        count: args.count,
        duration: args.duration,
        seed: args.seed,
        faults: faults.clone(),
        schema_id_in: args.schema_id_in,
        oversize_bytes: args.max_payload,
        connect_timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
    };
    let runtime = tokio::runtime::Runtime::new().infra()?;
    let summary = runtime
        .block_on(run(plan, lookup.as_ref(), manifest, async {
            let _ = tokio::signal::ctrl_c().await;
        }))
        .map_err(|e| match e {
            SimulateError::Input(m) => Failure::Input(anyhow!(m)),
            SimulateError::Infrastructure(m) => Failure::Infrastructure(anyhow!(m)),
        })?;
    if let (Some(partial), Some(path)) = (&partial, &args.manifest) {
        std::fs::rename(partial, path)
            .with_context(|| format!("cannot write {}", path.display()))
            .input()?;
    }
    let faulty: Vec<String> = faults
        .rules
        .iter()
        .map(|(g, f, p)| {
            let id = plan_ids
                .as_ref()
                .map_or_else(|| format!("#{}", g + 1), |m| m.producer_id(*g));
            format!("{id} {f} ({:.0}%)", p * 100.0)
        })
        .collect();
    eprintln!(
        "sent {} MQTT message(s) and {} Kafka record(s) in {:.1} s, {} with a fault{}{}",
        summary.mqtt,
        summary.kafka,
        summary.elapsed.as_secs_f64(),
        summary.faulty,
        match (summary.schema_guid, summary.schema_id) {
            (Some(guid), _) => format!(
                "; Kafka records carry schema GUID {} in the __value_schema_id header",
                uuid::Uuid::from_bytes(guid)
            ),
            (None, Some(id)) => format!("; Kafka values carry schema id {id}"),
            (None, None) => String::new(),
        },
        if faulty.is_empty() {
            String::new()
        } else {
            format!("\nmisbehaving: {}", faulty.join(", "))
        }
    );
    Ok(Exit::Pass)
}

/// Where the manifest is written until it is complete.
fn partial_path(path: &std::path::Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}
