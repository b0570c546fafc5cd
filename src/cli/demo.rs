//! `schemactl demo`: the README's first command. Starts a schema registry, an MQTT broker and a
//! Kafka cluster in this process on loopback, runs a compliant and misbehaving fleet on both
//! transports for a while, audits it, and prints the scorecard. Nothing to install.

use super::live::parse_duration;
use super::{Classify, Cli, Failure, Outcome, Output};
use crate::Exit;
use crate::catalog::NewestSchema;
use crate::demo::{self, DemoPlan, in_process};
use crate::report::{self, progress};
use crate::validate::DEFAULT_MAX_PAYLOAD;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
    let NewestSchema { validator, .. } = contract.newest(DEFAULT_MAX_PAYLOAD).input()?;
    let request = demo::Request {
        duration: args.duration,
        generators: args.generators,
        rate: args.rate,
        faults: args.faults.clone(),
        seed: args.seed,
    };
    // Every DemoError is the input's fault (exit 2).
    let plan = DemoPlan::from_contract(contract, request).input()?;
    let audited = Arc::new(AtomicU64::new(0));
    let counted = audited.clone();
    let live = progress::Live::start("starting the services", move || progress::Reading {
        counts: vec![progress::Count {
            label: "audited".into(),
            value: counted.load(Ordering::Relaxed),
            noun: "msgs",
            detail: String::new(),
        }],
        tail: None,
    });
    let above = live.above();
    let ran = in_process::run(
        plan.clone(),
        validator,
        |started| above.line(report::demo::started(&plan, started).trim_end()),
        |n| audited.store(n, Ordering::Relaxed),
    );
    live.finish();
    let ran = ran.map_err(Failure::from)?;
    out.print(&report::demo::text(&plan, &ran)).input()?;
    Ok(if ran.outcome.findings(&plan.contract).passed() {
        Exit::Pass
    } else {
        Exit::Findings
    })
}
