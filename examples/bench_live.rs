//! The live benchmarks of docs/BENCHMARKS.md ("Audit"), each starting its own broker on a free
//! loopback port (Mosquitto, Tansu 0.6.0: `scripts/install-test-deps.sh`), bounded in count and
//! time. Build in release first:
//!
//!     cargo build --release --bin schemactl --example bench_live
//!     target/release/examples/bench_live kafka [RECORDS] [-X key=value]...  # default 1,000,000
//!     target/release/examples/bench_live kafka-sweep RECORDS SETTINGS...
//!     target/release/examples/bench_live mqtt [RATE] [SECONDS]   # default 20,000/s for 10 s
//!
//! kafka: produces RECORDS compliant wire-format records to a 3-partition topic, reads them all
//! with a plain rdkafka consumer (the baseline), then audits them in a child process, without
//! the contract's data-contract rules and with them, and compares rates; the child reports its
//! peak resident memory (VmHWM). `-X key=value` sets a librdkafka property over the audit's
//! fetch settings, for the audit and the plain consumer that uses them.
//! kafka-sweep: produces once, then for each SETTINGS (comma-separated `key=value`, or `-` for
//! the audit's own) a plain consumer and the two audits, one line each: to compare settings.
//! mqtt: `schemactl audit` (release binary) listens while `schemactl simulate` publishes at
//! RATE messages/s (1000 generators); checks every message was counted, none unaccounted.

#[path = "../tests/common/brokers.rs"]
mod brokers;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemactl::simulate::FaultPlan;
use schemactl::simulate::fleet::Fleet;
use schemactl::transport::TransportKind;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOPIC: &str = "emergency_generator";
const PARTITIONS: i32 = 3;
/// No run may take longer than this.
const BOUND: Duration = Duration::from_secs(600);

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Result<(schemactl::catalog::Contract, schemactl::catalog::SchemaFile)> {
    let contract = schemactl::catalog::load_contract(root(), "generator")?;
    let newest = schemactl::catalog::load_history(&contract.schemas)?
        .pop()
        .ok_or("no schema")?;
    Ok((contract, newest))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: f64| -> Result<f64> {
        Ok(args
            .get(i)
            .filter(|s| !s.starts_with('-'))
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(default))
    };
    match args.first().map(String::as_str) {
        Some("kafka") => kafka(arg(1, 1e6)? as u64, &extra_properties(&args[1..])?),
        Some("kafka-sweep") => kafka_sweep(arg(1, 1e6)? as u64, &args[2..]),
        Some("mqtt") => mqtt(arg(1, 20_000.0)?, arg(2, 10.0)?),
        Some("audit-child") => audit_child(
            &args[1],
            args[2].parse()?,
            args[3] != "no-rules",
            &args[4..],
        ),
        _ => Err(USAGE.into()),
    }
}

const USAGE: &str = "usage: bench_live kafka [RECORDS] [-X key=value]... | kafka-sweep RECORDS SETTINGS... | mqtt [RATE] [SECONDS]";

/// The `-X key=value` pairs among `args`.
fn extra_properties(args: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-X" {
            let pair = it.next().ok_or("-X needs key=value")?;
            if !pair.contains('=') {
                return Err(format!("-X {pair}: expected key=value").into());
            }
            out.push(pair.clone());
        }
    }
    Ok(out)
}

/// The audit's fetch settings with `extra` (`key=value`) applied over them.
fn audit_settings(extra: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = schemactl::transport::kafka::FETCH_SETTINGS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for pair in extra {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.retain(|(key, _)| key != k);
        out.push((k.to_string(), v.to_string()));
    }
    out
}

/// Peak resident memory of a process, from /proc (Linux), in MiB.
fn peak_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn kafka(records: u64, extra: &[String]) -> Result<()> {
    let tansu = brokers::Tansu::start();
    tansu.create_topic(TOPIC, PARTITIONS);
    let bootstrap = tansu.bootstrap();
    produce(&bootstrap, records)?;
    let settings = audit_settings(extra);
    println!(
        "the audit's fetch settings: {}",
        settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The baselines: plain consumers reading every record and touching its value, with
    // librdkafka's defaults and with the fetch settings the audit's source uses.
    let mut plain_rate: f64 = 0.0;
    for (name, ours) in [
        ("librdkafka defaults", &[][..]),
        ("the audit's fetch settings", &settings[..]),
    ] {
        let rate = plain_consumer(&bootstrap, records, ours)?;
        println!("plain rdkafka consumer ({name}): {rate:.0} records/s");
        plain_rate = plain_rate.max(rate);
    }

    // The audit, in a process of its own so that its memory is its own: without the
    // contract's data-contract rules, then with them.
    let mut rates = Vec::new();
    for rules in [false, true] {
        let run = audit(&bootstrap, records, rules, extra, true)?;
        println!(
            "audit ({}) / the faster plain consumer: {:.0}% (target at least 80%)",
            if rules { "rules" } else { "no-rules" },
            100.0 * run.rate / plain_rate
        );
        rates.push(run.rate);
    }
    println!(
        "audit with rules / without: {:.0}% (target at least 80%)",
        100.0 * rates[1] / rates[0]
    );
    Ok(())
}

/// Produces once, then for each of `sweep` (a comma-separated list of librdkafka
/// `key=value` properties over the audit's own settings, or `-` for none) reads everything
/// with a plain consumer on those settings and audits it without and with rules: one line
/// per setting, to compare prefetch settings on the same records.
fn kafka_sweep(records: u64, sweep: &[String]) -> Result<()> {
    if sweep.is_empty() {
        return Err(USAGE.into());
    }
    let tansu = brokers::Tansu::start();
    tansu.create_topic(TOPIC, PARTITIONS);
    let bootstrap = tansu.bootstrap();
    produce(&bootstrap, records)?;
    println!("settings | plain consumer | audit without rules, peak | audit with rules, peak");
    for setting in sweep {
        let extra: Vec<String> = setting
            .split(',')
            .filter(|p| !p.is_empty() && *p != "-")
            .map(str::to_string)
            .collect();
        let plain = plain_consumer(&bootstrap, records, &audit_settings(&extra))?;
        let without = audit(&bootstrap, records, false, &extra, false)?;
        let with = audit(&bootstrap, records, true, &extra, false)?;
        println!(
            "{setting} | {plain:.0}/s | {:.0}/s, {:.1} MiB | {:.0}/s, {:.1} MiB",
            without.rate, without.peak_mib, with.rate, with.peak_mib
        );
    }
    Ok(())
}

/// Produces `records` compliant records from 1,000 generators to the topic.
fn produce(bootstrap: &str, records: u64) -> Result<()> {
    let (contract, newest) = schema()?;
    // Compliant records, framed with schema id 1 (the child's registry hands out 1 first).
    let mut fleet = Fleet::new(
        contract.simulator.as_ref().ok_or("no [simulator]")?,
        &newest.schema,
        1000,
        1,
        &FaultPlan { rules: vec![] },
        1 << 20,
    )?;
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .create()?;
    let start = Instant::now();
    let mut bytes = 0usize;
    for n in 0..records {
        let r = fleet.read(n as usize % 1000);
        let value = schemactl::validate::wire::encode_v0(
            1,
            &fleet
                .apply(&r, TransportKind::Kafka, Default::default())
                .bytes,
        );
        bytes += value.len();
        // The contract says each key is a fresh UUID (FLEET.md), as the fleet keys its records.
        let key = uuid::Uuid::from_u128(fleet.random_u128()).to_string();
        let mut record = BaseRecord::to(TOPIC).key(key.as_str()).payload(&value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(300))?;
    let produced = start.elapsed();
    println!(
        "produced {records} records ({:.1} MB of values) in {:.2} s ({:.0}/s)",
        bytes as f64 / 1e6,
        produced.as_secs_f64(),
        records as f64 / produced.as_secs_f64()
    );
    Ok(())
}

/// One audit's figures.
struct AuditRun {
    rate: f64,
    peak_mib: f64,
}

/// Audits every record in a child process of its own (so that its memory is its own), with
/// `extra` librdkafka properties over the audit's; `echo` prints the child's lines.
fn audit(
    bootstrap: &str,
    records: u64,
    rules: bool,
    extra: &[String],
    echo: bool,
) -> Result<AuditRun> {
    // BENCH_LIVE_WRAP runs the child under a tool: `BENCH_LIVE_WRAP="heaptrack -o /tmp/audit"`.
    let wrap = std::env::var("BENCH_LIVE_WRAP").unwrap_or_default();
    let mut wrap = wrap.split_whitespace();
    let exe = std::env::current_exe()?;
    let mut command = match wrap.next() {
        Some(tool) => {
            let mut c = Command::new(tool);
            c.args(wrap).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let mut child = command
        .args(["audit-child", bootstrap, &records.to_string()])
        .arg(if rules { "rules" } else { "no-rules" })
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()?;
    let out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut run = None;
    for line in out.lines() {
        let line = line?;
        if let Some(figures) = line.strip_prefix("audit figures: ") {
            let (rate, peak) = figures.split_once(' ').ok_or("bad figures line")?;
            run = Some(AuditRun {
                rate: rate.parse()?,
                peak_mib: peak.parse()?,
            });
        } else if echo {
            println!("{line}");
        }
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the audit child failed: {status}").into());
    }
    run.ok_or_else(|| "the audit child printed no figures".into())
}

/// Reads `records` records from the beginning; returns records per second.
fn plain_consumer(bootstrap: &str, records: u64, settings: &[(String, String)]) -> Result<f64> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "bench-baseline")
        .set("enable.auto.commit", "false");
    for (k, v) in settings {
        config.set(k, v);
    }
    let consumer: BaseConsumer = config.create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(TOPIC, p, Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let start = Instant::now();
    let (mut n, mut sum) = (0u64, 0u64);
    while n < records && start.elapsed() < BOUND {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            sum += m.payload().map_or(0, |p| p.len() as u64);
            n += 1;
        }
    }
    let elapsed = start.elapsed();
    std::hint::black_box(sum);
    if n < records {
        return Err(format!("the plain consumer read {n} of {records} records").into());
    }
    Ok(n as f64 / elapsed.as_secs_f64())
}

fn audit_child(bootstrap: &str, records: u64, with_rules: bool, extra: &[String]) -> Result<()> {
    use schemactl::audit::{self, Plan, Progress};
    use schemactl::transport::kafka::{KafkaConfig, StartAt};
    use schemactl::validate::resolver::{MemoryRegistry, SchemaLookup};
    let (contract, newest) = schema()?;
    let rt = tokio::runtime::Runtime::new()?;
    let registry = MemoryRegistry::default();
    let id = rt.block_on(registry.register(&contract.subject, &newest.text))?;
    assert_eq!(id, 1);
    let sources = audit::Sources {
        kafka: Some(KafkaConfig::new(bootstrap).with_properties(extra.iter().map(String::as_str))?),
        start: StartAt::Beginning,
        ..audit::Sources::default()
    };
    let mut plan = Plan {
        max_messages: Some(records),
        duration: Some(BOUND),
        max_violations: 1000,
        connect_timeout: Duration::from_secs(30),
        ..Plan::from_contract(&contract, sources)?
    };
    if !with_rules {
        plan.rules = audit::RuleSets::none();
    }
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let started = std::sync::Arc::new(std::sync::Mutex::new(None));
    let mark = started.clone();
    rt.spawn(async move {
        if ready_rx.await.is_ok() {
            *mark.lock().unwrap() = Some(Instant::now());
        }
    });
    let card = rt.block_on(audit::run(
        plan,
        None,
        Some(registry),
        std::sync::Arc::new(Progress::default()),
        Some(ready_tx),
        std::future::pending(),
    ))?;
    let elapsed = started.lock().unwrap().ok_or("never ready")?.elapsed();
    let invalid: u64 = card.summary.values().map(|t| t.invalid).sum();
    println!(
        "audit: {} records, {invalid} invalid, in {:.2} s, peak memory {:.1} MiB",
        card.messages(),
        elapsed.as_secs_f64(),
        peak_mib("self").unwrap_or(f64::NAN)
    );
    let rate = card.messages() as f64 / elapsed.as_secs_f64();
    println!("audit rate: {rate:.0}/s");
    if card.messages() < records {
        return Err(format!("the audit read {} of {records} records", card.messages()).into());
    }
    println!(
        "audit figures: {rate} {}",
        peak_mib("self").unwrap_or(f64::NAN)
    );
    Ok(())
}

fn mqtt(rate: f64, seconds: f64) -> Result<()> {
    let broker = brokers::Mosquitto::start();
    let url = broker.url();
    let bin = std::env::current_exe()?
        .parent()
        .and_then(|d| d.parent())
        .map(|d| d.join("schemactl"))
        .filter(|p| p.is_file())
        .ok_or("build the binary first: cargo build --release --bin schemactl")?;
    let generators = 1000u64;
    let count = ((rate * seconds) / generators as f64).ceil() as u64;
    let sent = generators * count;
    let mut audit = Command::new(&bin)
        .current_dir(root())
        .args(["--color=never", "audit", "--mqtt", &url, "--format", "json"])
        .args(["--max-messages", &sent.to_string()])
        .args(["--duration", &format!("{}s", seconds * 3.0 + 30.0)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = audit.id().to_string();
    let mut err = BufReader::new(audit.stderr.take().ok_or("no stderr")?).lines();
    loop {
        match err.next() {
            Some(Ok(l)) if l.starts_with("schemactl audit: connected") => break,
            Some(Ok(l)) => eprintln!("{l}"),
            _ => return Err("the audit did not connect".into()),
        }
    }
    std::thread::spawn(move || err.for_each(drop));
    let peak = std::sync::Arc::new(std::sync::Mutex::new(0.0f64));
    let watch = {
        let (peak, pid) = (peak.clone(), pid.clone());
        std::thread::spawn(move || {
            while let Some(m) = peak_mib(&pid) {
                *peak.lock().unwrap() = m;
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let sim = Command::new(&bin)
        .current_dir(root())
        .args(["--color=never", "simulate", "--mqtt", &url])
        .args(["--generators", &generators.to_string()])
        .args(["--rate", &format!("{}", rate / generators as f64)])
        .args(["--count", &count.to_string()])
        .output()?;
    let sim_done = Instant::now();
    println!("simulate: {}", String::from_utf8_lossy(&sim.stderr).trim());
    let out = audit.wait_with_output()?;
    println!(
        "the audit finished {:.2} s after the simulator",
        sim_done.elapsed().as_secs_f64()
    );
    let _ = watch.join();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let counted = doc["summary"]["mqtt"]["messages"].as_u64().unwrap_or(0);
    println!(
        "audit counted {counted} of {sent} messages ({} unaccounted), {} invalid, peak memory {:.1} MiB",
        sent - counted.min(sent),
        doc["summary"]["mqtt"]["invalid"],
        *peak.lock().unwrap()
    );
    Ok(())
}
