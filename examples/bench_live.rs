//! The live benchmarks of docs/BENCHMARKS.md ("Audit"), each starting its own broker on a free
//! loopback port (Mosquitto, Tansu 0.6.0: `scripts/install-test-deps.sh`), bounded in count and
//! time. Build in release first:
//!
//!     cargo build --release --bin schemactl --example bench_live
//!     target/release/examples/bench_live kafka [RECORDS]        # default 1,000,000
//!     target/release/examples/bench_live mqtt [RATE] [SECONDS]   # default 20,000/s for 10 s
//!
//! kafka: produces RECORDS compliant wire-format records to a 3-partition topic, reads them all
//! with a plain rdkafka consumer (the baseline), then audits them in a child process, without
//! the contract's data-contract rules and with them, and compares rates; the child reports its
//! peak resident memory (VmHWM).
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
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(default))
    };
    match args.first().map(String::as_str) {
        Some("kafka") => kafka(arg(1, 1e6)? as u64),
        Some("mqtt") => mqtt(arg(1, 20_000.0)?, arg(2, 10.0)?),
        Some("audit-child") => audit_child(
            &args[1],
            args[2].parse()?,
            args.get(3).map(String::as_str) != Some("no-rules"),
        ),
        _ => Err("usage: bench_live kafka [RECORDS] | mqtt [RATE] [SECONDS]".into()),
    }
}

/// Peak resident memory of a process, from /proc (Linux), in MiB.
fn peak_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn kafka(records: u64) -> Result<()> {
    let tansu = brokers::Tansu::start();
    tansu.create_topic(TOPIC, PARTITIONS);
    let bootstrap = tansu.bootstrap();
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
        .set("bootstrap.servers", &bootstrap)
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

    // The baselines: plain consumers reading every record and touching its value, with
    // librdkafka's defaults and with the fetch settings the audit's source uses.
    let mut plain_rate: f64 = 0.0;
    for (name, ours) in [
        ("librdkafka defaults", &[][..]),
        (
            "the audit's fetch settings",
            &[
                ("fetch.wait.max.ms", "100"),
                ("queued.min.messages", "200000"),
            ][..],
        ),
    ] {
        let rate = plain_consumer(&bootstrap, records, ours)?;
        println!("plain rdkafka consumer ({name}): {rate:.0} records/s");
        plain_rate = plain_rate.max(rate);
    }

    // The audit, in a process of its own so that its memory is its own: without the
    // contract's data-contract rules, then with them.
    let mut rates = Vec::new();
    for rules in ["no-rules", "rules"] {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["audit-child", &bootstrap, &records.to_string(), rules])
            .stdout(Stdio::piped())
            .spawn()?;
        let out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut audit_rate = 0.0;
        for line in out.lines() {
            let line = line?;
            println!("{line}");
            if let Some(rate) = line.strip_prefix("audit rate: ") {
                audit_rate = rate.trim_end_matches("/s").parse()?;
            }
        }
        child.wait()?;
        println!(
            "audit ({rules}) / the faster plain consumer: {:.0}% (target at least 80%)",
            100.0 * audit_rate / plain_rate
        );
        rates.push(audit_rate);
    }
    println!(
        "audit with rules / without: {:.0}% (target at least 80%)",
        100.0 * rates[1] / rates[0]
    );
    Ok(())
}

/// Reads `records` records from the beginning; returns records per second.
fn plain_consumer(bootstrap: &str, records: u64, settings: &[(&str, &str)]) -> Result<f64> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "bench-baseline")
        .set("enable.auto.commit", "false");
    for (k, v) in settings {
        config.set(*k, *v);
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

fn audit_child(bootstrap: &str, records: u64, with_rules: bool) -> Result<()> {
    use schemactl::audit::{self, Attribution, KafkaPlan, Plan, Progress};
    use schemactl::transport::kafka::{KafkaConfig, StartAt};
    use schemactl::validate::resolver::{MemoryRegistry, SchemaLookup};
    let (contract, newest) = schema()?;
    let rt = tokio::runtime::Runtime::new()?;
    let registry = MemoryRegistry::default();
    let id = rt.block_on(registry.register(&contract.subject, &newest.text))?;
    assert_eq!(id, 1);
    let plan = Plan {
        mqtt: None,
        kafka: Some(KafkaPlan {
            config: KafkaConfig::new(bootstrap),
            topic: TOPIC.into(),
            start: StartAt::Beginning,
            group: None,
            subject: contract.subject.clone(),
            history: audit::contract_history(&contract)?,
        }),
        attribution: Attribution::of(&contract),
        rules: if with_rules {
            audit::RuleSets::of_contract(&contract)?
        } else {
            audit::RuleSets::none()
        },
        max_messages: Some(records),
        duration: Some(BOUND),
        idle: None,
        max_bytes: schemactl::validate::DEFAULT_MAX_PAYLOAD,
        max_violations: 1000,
        keep_seen: false,
        connect_timeout: Duration::from_secs(30),
        allow_empty: false,
    };
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
    println!(
        "audit rate: {:.0}/s",
        card.messages() as f64 / elapsed.as_secs_f64()
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
