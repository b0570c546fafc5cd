//! `schemactl audit`: flags → [`audit::request::Request`] (sniff MQTT and Kafka at once, check
//! every message, attribute it to a producer) → the scorecard in the format asked → exit code.

use super::live::{KafkaArgs, MqttArgs, RegistryArgs, contract, lookup, parse_duration};
use super::{Classify, Cli, Failure, Outcome, Output};
use crate::audit::request::CaptureTo;
use crate::audit::{self, Plan, Progress};
use crate::catalog::NewestSchema;
use crate::report::{Format, progress};
use crate::transport::kafka::StartAt;
use crate::validate::{DEFAULT_MAX_PAYLOAD, ViolationKind};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Kafka is read-only: partitions are assigned directly and no offset is committed, unless --group \
names a consumer group to join (offsets are then committed to that group only). With --group, \
MQTT subscribes through a shared subscription ($share/GROUP/...), which needs --mqtt-version 5.

Exit codes: 0 no violation of the --fail-on kinds (with --expect: the score is perfect), \
1 violations (or an imperfect score, or NO_TRAFFIC: a transport delivered nothing, whatever \
--fail-on says, unless --allow-empty), 2 usage, 3 a broker or the registry unreachable at start, \
or a transport still lost at the end (a broker gone, the Kafka topic deleted; the report is \
written, its gap marked open).

Each record is counted once: a Kafka offset at or below one already counted on its partition, \
or an MQTT QoS 1 redelivery (DUP), is reported as replayed and not counted again; offsets the \
broker did not deliver, and a topic deleted or recreated under the audit, are gaps.

A Kafka record framed with a schema of the contract's subject that the contract's history \
(schemas/...) does not hold is UNGOVERNED_SCHEMA; one of another subject is WRONG_SUBJECT (which \
takes precedence). Either is judged by the schema it names and by the contract's newest version.

Every payload that passed its schema is checked against the contract's data-contract rules \
([[rules]]: CEL and CEL_FIELD conditions of mode READ, WRITE or WRITEREAD): a failure, or a rule \
that cannot be evaluated on it, is RULE_VIOLATION with the rule, its expression and the values \
it read, counted per rule and per producer. onFailure NONE reports without failing; DLQ names \
the dead-letter topic Confluent's serializers would use (the audit never produces). The rules \
are the newest version's; a record framed with an older version is checked against them too, \
and the scorecard says so.

Examples:
  schemactl audit --mqtt mqtt://127.0.0.1 --duration 1m
  schemactl audit --kafka 127.0.0.1:9092 --registry http://127.0.0.1:8081 --from-beginning \\
      --max-messages 10000 --format json --report audit.json
  schemactl audit --mqtt mqtt://127.0.0.1 --duration 30s --expect truth.jsonl
  # keep what producers sent, for `check-compat --replay` (at most 1000 per producer)
  schemactl audit --mqtt mqtt://127.0.0.1 --duration 1h --capture day.jsonl --capture-sample 1000
  # two of these split the fleet; then: schemactl report merge a.json b.json
  schemactl audit --mqtt mqtt://127.0.0.1 --mqtt-version 5 --kafka 127.0.0.1:9092 \\
      --registry http://127.0.0.1:8081 --group audit --duration 1h --report a.json")]
pub struct Args {
    /// The contract to audit (default: the only contract).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Stop after this long (e.g. 30s, 5m).
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many messages over both transports.
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,
    /// Stop once no message has arrived for this long (e.g. 10s): drain a topic, end a batch.
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub idle: Option<Duration>,
    /// A transport that delivers no message is not a finding: the window is meant to be quiet
    /// (default: NO_TRAFFIC, exit 1).
    #[arg(long)]
    pub allow_empty: bool,
    /// Read Kafka from the oldest retained record (default: only new records).
    #[arg(long)]
    pub from_beginning: bool,
    /// Join this Kafka consumer group and MQTT shared subscription, to split the work between
    /// audit instances.
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Also write the JSON report here (input of `schemactl report merge`).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Also write every audited message here, as JSON lines (a capture, the input of
    /// `check-compat --replay` and `validate`), as the audit runs.
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,
    /// With --capture: keep at most N messages per producer (reservoir sampling); the file is
    /// then rewritten whole every 2 s and at the end, its header saying how many were seen.
    #[arg(long, value_name = "N", requires = "capture")]
    pub capture_sample: Option<u64>,
    /// Score the run against a simulator manifest: precision and recall per fault kind.
    #[arg(long, value_name = "MANIFEST")]
    pub expect: Option<PathBuf>,
    /// Violation kinds that fail the run: `any` (default), `none`, or a comma-separated list.
    #[arg(long, value_name = "KINDS", default_value = "any")]
    pub fail_on: String,
    /// Payloads larger than this many bytes are OVERSIZE.
    #[arg(long, default_value_t = DEFAULT_MAX_PAYLOAD, value_name = "BYTES")]
    pub max_payload: usize,
    /// Keep at most this many violations in detail (all are counted).
    #[arg(long, default_value_t = audit::DEFAULT_MAX_VIOLATIONS, value_name = "N")]
    pub max_violations: usize,
    /// Seconds brokers and the registry may take to answer at start.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Output format: text (the scorecard), json (the report), junit, sarif, github (one check
    /// per transport and producer), markdown (a summary for a pull request), html (one
    /// self-contained page with each producer's invalid rate over time).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub mqtt: MqttArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// The `--fail-on` kinds ([`audit::fail_kinds`]); `report merge` takes the flag too.
pub(crate) fn fail_kinds(spec: &str) -> Result<BTreeSet<ViolationKind>, Failure> {
    audit::fail_kinds(spec).map_err(Failure::from)
}

pub fn run_command(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let fail_on = fail_kinds(&args.fail_on)?;
    let contract = contract(cli, args.contract.as_deref())?;
    let NewestSchema {
        version, validator, ..
    } = contract.newest(args.max_payload)?;
    let sources = audit::Sources {
        mqtt: args.mqtt.config(),
        kafka: args.kafka.config()?,
        start: if args.from_beginning {
            StartAt::Beginning
        } else {
            StartAt::End
        },
        group: args.group.clone(),
    };
    let counts = Arc::new(Progress::default());
    let plan = Plan {
        max_messages: args.max_messages,
        duration: args.duration,
        idle: args.idle,
        max_bytes: args.max_payload,
        max_violations: args.max_violations,
        keep_seen: args.expect.is_some(),
        connect_timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
        allow_empty: args.allow_empty,
        ..Plan::from_contract(&contract, sources).map_err(Failure::from)?
    };
    let display = progress::audit(counts.clone(), plan.transports());
    let request = audit::request::Request {
        plan,
        contract,
        version,
        validator,
        group: args.group.clone(),
        capture: args.capture.clone().map(|path| CaptureTo {
            path,
            sample: args.capture_sample,
        }),
        expect: args.expect.clone(),
        report: args.report.clone(),
        fail_on,
    };
    let lookup = lookup(cli, &args.registry)?;
    let runtime = tokio::runtime::Runtime::new().infra()?;
    let live = progress::Live::start("waiting for the brokers", display);
    let outcome = runtime.block_on(request.run(lookup, counts, &live.above(), async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    live.finish();
    let outcome = outcome.map_err(Failure::from)?;
    super::finish(&outcome, args.format, out)
}
