//! Live traffic against real brokers: Mosquitto and Tansu 0.6.0, each started on a free
//! loopback port. The simulator's ground truth scores the audit: every fault found, nothing
//! reported wrongly, every message counted once. Hostile payloads and a broker restart are
//! findings and gaps, never crashes.

#[path = "../common/mod.rs"]
mod common;
use common::{brokers, kafka_front, services, tls};

mod fleet_traffic;
mod over_tls;

mod once;
mod rules;

mod capture;

use brokers::{Mosquitto, Tansu, free_port};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schemactl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_schemactl"));
    c.current_dir(root())
        .arg("--color=never")
        .env_remove("SCHEMACTL_ROOT")
        .env_remove("SCHEMA_REGISTRY_URL")
        .env_remove("MQTT_USERNAME")
        .env_remove("MQTT_PASSWORD")
        .env_remove("KAFKA_SASL_USERNAME")
        .env_remove("KAFKA_SASL_PASSWORD");
    c
}

/// An audit running in the background; `start` returns once it says it is connected.
struct Audit {
    child: Child,
    stderr: mpsc::Receiver<String>,
}

impl Audit {
    fn start(args: &[&str]) -> Audit {
        Audit::start_with(args, &[])
    }

    /// Like [`Audit::start`], with environment variables (credentials).
    fn start_with(args: &[&str], envs: &[(&str, &str)]) -> Audit {
        let mut child = schemactl()
            .arg("audit")
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start schemactl audit");
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut seen = Vec::new();
        loop {
            match rx.recv_timeout(brokers::BROKER_STARTUP) {
                Ok(line) if line.starts_with("schemactl audit: connected") => break,
                Ok(line) => seen.push(line),
                Err(_) => {
                    let _ = child.kill();
                    panic!("the audit did not connect; stderr:\n{}", seen.join("\n"));
                }
            }
        }
        Audit { child, stderr: rx }
    }

    /// Waits for the audit to end; returns its exit code, stdout and stderr.
    fn finish(self) -> (i32, String, String) {
        let out = self.child.wait_with_output().expect("wait for audit");
        let stderr: Vec<String> = self.stderr.try_iter().collect();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr.join("\n"),
        )
    }
}

#[test]
fn mqtt_every_fault_is_found_and_every_message_counted_once() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("truth.jsonl");
    let manifest = manifest.to_str().unwrap();
    // `all` gives each of the 13 faults its own generator after the first.
    let (generators, count) = (14, 30);
    let total = (generators * count).to_string();
    let audit = Audit::start(&[
        "--mqtt",
        &broker.url(),
        "--max-messages",
        &total,
        "--duration",
        "120s",
        "--expect",
        manifest,
        "--format",
        "json",
    ]);
    let sim = schemactl()
        .args([
            "simulate",
            "--mqtt",
            &broker.url(),
            "--faults",
            "all:0.5",
            "--seed",
            "11",
        ])
        .args([
            "--generators",
            &generators.to_string(),
            "--count",
            &count.to_string(),
        ])
        .args(["--rate", "50", "--manifest", manifest])
        .output()
        .unwrap();
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let score = &doc["expect"]["score"];
    assert_eq!(doc["expect"]["perfect"], true, "{score:#}");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(score["sent"], generators * count);
    assert_eq!(score["matched"], generators * count);
    // Every fault that can travel over MQTT was sent and found (the fleet publishes on one
    // topic, so no topic level names a producer and identity-mismatch cannot happen).
    let found: Vec<&str> = score["faults"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["sent"].as_u64() > Some(0))
        .map(|f| f["fault"].as_str().unwrap())
        .collect();
    for fault in [
        "missing-field",
        "wrong-type",
        "out-of-range",
        "not-json",
        "truncated",
        "binary",
        "oversize",
        "rule-break",
    ] {
        assert!(found.contains(&fault), "{fault} was not sent: {score:#}");
    }
    assert_eq!(doc["summary"]["mqtt"]["messages"], generators * count);
}

#[test]
fn kafka_every_fault_is_found_through_tansu() {
    kafka_every_fault_is_found(schemactl::simulate::run::SchemaIdIn::Prefix);
}

/// Records naming their schema by GUID in a header (Confluent 8's HeaderSchemaIdSerializer)
/// resolve like ids: every fault found, nothing left UNRESOLVED.
#[test]
fn kafka_guids_in_headers_are_resolved_through_tansu() {
    kafka_every_fault_is_found(schemactl::simulate::run::SchemaIdIn::Header);
}

fn kafka_every_fault_is_found(schema_id_in: schemactl::simulate::run::SchemaIdIn) {
    use schemactl::audit::{self, Plan, Progress};
    use schemactl::simulate::run as sim;
    use schemactl::transport::TransportKind;
    use schemactl::transport::kafka::{KafkaConfig, StartAt};
    use schemactl::validate::resolver::MemoryRegistry;

    let broker = Tansu::start();
    broker.create_topic("emergency_generator", 3);
    let contract = schemactl::catalog::load_contract(&root(), "generator").unwrap();
    let registry = MemoryRegistry::default();
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("truth.jsonl");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let kafka = KafkaConfig::new(broker.bootstrap());
    let summary = rt
        .block_on(sim::run(
            sim::Plan::from_contract(
                contract.clone(),
                schemactl::simulate::Request {
                    mqtt: None,
                    kafka: Some(kafka.clone()),
                    generators: Some(14),
                    rate: Some(200.0),
                    count: Some(20),
                    duration: None,
                    seed: 5,
                    faults: Some("all:0.5".into()),
                    schema_id_in,
                    oversize_bytes: 64 * 1024,
                    connect_timeout: Duration::from_secs(10),
                    // An empty in-memory registry of the test's own: simulate registers the
                    // contract's schema and the foreign fault's decoy, and says so.
                    register: true,
                    create_topic: None,
                },
            )
            .expect("the simulation's plan"),
            Some(&registry),
            Some(Box::new(std::fs::File::create(&manifest_path).unwrap())),
            std::future::pending(),
        ))
        .expect("simulate");
    assert_eq!(summary.kafka, 280);
    assert_eq!(
        summary
            .registered
            .iter()
            .map(|r| r.subject.as_str())
            .collect::<Vec<_>>(),
        [
            contract.subject.as_str(),
            schemactl::simulate::run::FOREIGN_SUBJECT
        ],
        "simulate says what it registered"
    );
    assert_eq!(
        summary.schema_guid.is_some(),
        schema_id_in == schemactl::simulate::run::SchemaIdIn::Header
    );
    let sources = audit::Sources {
        kafka: Some(kafka),
        start: StartAt::Beginning,
        ..audit::Sources::default()
    };
    let plan = Plan {
        max_messages: Some(summary.kafka),
        duration: Some(Duration::from_secs(60)),
        max_bytes: 64 * 1024,
        max_violations: 10_000,
        keep_seen: true,
        ..Plan::from_contract(&contract, sources).unwrap()
    };
    let card = rt
        .block_on(audit::run(
            plan,
            None,
            Some(registry),
            std::sync::Arc::new(Progress::default()),
            None,
            std::future::pending(),
        ))
        .expect("audit");
    let manifest = schemactl::producer::manifest::read(&manifest_path).unwrap();
    let score = audit::score::score(&manifest, &card.seen, &[TransportKind::Kafka].into());
    assert!(score.perfect(), "{score:#?}");
    assert_eq!(score.matched, summary.kafka);
    let kinds: Vec<_> = score
        .faults
        .iter()
        .filter(|f| f.sent > 0)
        .map(|f| f.fault)
        .collect();
    assert_eq!(
        kinds.len(),
        12,
        "every fault but identity-mismatch (a UUID key names no one), the wire-format ones and key-not-uuid included: {kinds:?}"
    );
    // A UUID key names no one: records that are not readable JSON are nobody's.
    assert!(
        card.producers
            .iter()
            .all(|p| p.producer.starts_with("generator")
                || p.producer == "unknown" && p.invalid == p.messages),
        "{:?}",
        card.producers
    );
}

fn publish(url: &str, payloads: Vec<Vec<u8>>) {
    use schemactl::transport::mqtt::{MqttConfig, MqttSink, Qos};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut cfg = MqttConfig::new(url);
        cfg.qos = Qos::AtLeastOnce;
        let sink = MqttSink::connect(&cfg, Duration::from_secs(10))
            .await
            .unwrap();
        for p in payloads {
            sink.publish("emergency_generator", p).await.unwrap();
        }
        sink.close(Duration::from_secs(30)).await.unwrap();
    });
}

#[test]
fn hostile_payloads_are_counted_and_reported() {
    let broker = Mosquitto::start();
    let audit = Audit::start(&[
        "--mqtt",
        &broker.url(),
        "--max-messages",
        "4",
        "--duration",
        "60s",
        "--format",
        "json",
    ]);
    let big = {
        let mut b = br#"{"generatorID":"generator42","firmware":""#.to_vec();
        b.extend(std::iter::repeat_n(b'x', 10 << 20));
        b.extend_from_slice(br#""}"#);
        b
    };
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x80)
        .collect();
    publish(
        &broker.url(),
        vec![
            big,
            garbage,
            "[".repeat(100_000).into_bytes(),
            b"[1,2,3]".to_vec(),
        ],
    );
    let (code, stdout, stderr) = audit.finish();
    assert_eq!(code, 1, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let mqtt = &doc["summary"]["mqtt"];
    assert_eq!(mqtt["messages"], 4, "{doc:#}");
    assert_eq!(mqtt["invalid"], 4);
    for kind in ["OVERSIZE", "NOT_UTF8", "NOT_JSON", "SCHEMA_VIOLATION"] {
        assert!(
            mqtt["violations"][kind].as_u64() >= Some(1),
            "{kind}: {mqtt:#}"
        );
    }
    // One topic for the whole fleet, and no payload that names its sender: nobody to blame.
    assert_eq!(doc["producers"][0]["producer"], "unknown");
}

#[test]
fn unreachable_broker_is_an_infrastructure_error() {
    let port = free_port();
    let out = schemactl()
        .args([
            "audit",
            "--mqtt",
            &format!("mqtt://127.0.0.1:{port}"),
            "--duration",
            "1s",
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect to the MQTT broker"), "{err}");
}

#[test]
fn a_broker_restart_is_reported_as_a_gap() {
    let broker = Mosquitto::start();
    let url = broker.url();
    let audit = Audit::start(&[
        "--mqtt",
        &url,
        "--max-messages",
        "1",
        "--duration",
        "60s",
        "--format",
        "json",
    ]);
    let port = broker.kill();
    let _again = Mosquitto::start_on(port);
    // The audit resubscribes on its own schedule: publish until it has counted one message.
    let ok =
        br#"{"generatorID":"generator42","lat":1,"lon":2,"temperature":80,"pressure":300,"fuel":50}"#;
    let mut audit = audit;
    for _ in 0..200 {
        publish(&url, vec![ok.to_vec()]);
        if audit.child.try_wait().unwrap().is_some() {
            break;
        }
    }
    one_gap(audit, "mqtt");
}

/// Waits for an audit that ends by itself; checks it passed and reported exactly one gap on
/// `transport`; returns its report.
fn one_gap(audit: Audit, transport: &str) -> Value {
    let (code, stdout, stderr) = audit.finish();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let gaps = doc["summary"][transport]["gaps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(gaps.len(), 1, "{doc:#}");
    assert!(gaps[0]["millis"].as_u64().is_some(), "{doc:#}");
    doc
}

/// Runs schemactl to success.
fn run_ok(args: &[&str]) {
    let out = schemactl().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "schemactl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Kafka broker goes away mid-audit (every connection reset, then refused) and comes back:
/// the audit reconnects on its own, reads what is produced afterwards, and reports the outage
/// as a gap. The broker is cut off by pulling a [`brokers::Cable`], so it comes back with its
/// topic; a real restart of Tansu, which loses its in-memory topic, is
/// `once::a_kafka_broker_restarted_mid_audit_is_a_gap_and_the_new_log_is_read`.
#[test]
fn a_kafka_broker_outage_is_reported_as_a_gap() {
    let registry = services::Registry::start();
    run_ok(&[
        "register",
        "--contract",
        "generator",
        "--registry",
        &registry.url,
    ]);
    let (tansu, mut cable) = Tansu::behind_cable();
    tansu.create_topic("emergency_generator", 1);
    let bootstrap = tansu.bootstrap();
    let audit = Audit::start(&[
        "--kafka",
        &bootstrap,
        "--registry",
        &registry.url,
        "--from-beginning",
        "--max-messages",
        "10",
        "--duration",
        "120s",
        "--format",
        "json",
    ]);
    cable.pull();
    cable.plug_in();
    run_ok(&[
        "simulate",
        "--kafka",
        &bootstrap,
        "--registry",
        &registry.url,
        "--generators",
        "2",
        "--count",
        "5",
        "--rate",
        "50",
    ]);
    let doc = one_gap(audit, "kafka");
    assert_eq!(doc["summary"]["kafka"]["messages"], 10, "{doc:#}");
    assert_eq!(doc["summary"]["kafka"]["invalid"], 0, "{doc:#}");
}

/// Two audit instances split one Kafka topic (a consumer group) and one Mosquitto (a shared
/// subscription); their reports merge, through the CLI, into counts equal to what was sent, and
/// the ground truth shows every message was seen by exactly one of them.
#[test]
fn two_instances_split_the_fleet_and_their_reports_merge() {
    use schemactl::audit::{self, AuditReport, Plan, Progress};
    use schemactl::simulate::run as sim;
    use schemactl::transport::TransportKind;
    use schemactl::transport::kafka::{KafkaConfig, StartAt};
    use schemactl::transport::mqtt::{MqttConfig, MqttVersion};
    use schemactl::validate::resolver::MemoryRegistry;
    use std::sync::Arc;

    let mosquitto = Mosquitto::start();
    let tansu = Tansu::start();
    tansu.create_topic("emergency_generator", 3);
    let contract = schemactl::catalog::load_contract(&root(), "generator").unwrap();
    let schema_text = std::fs::read_to_string(root().join("schemas/generator/v3.json")).unwrap();
    let registry = MemoryRegistry::default();
    let kafka = KafkaConfig::new(tansu.bootstrap());
    let group = format!("split-{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let validator = || {
        schemactl::validate::PayloadValidator::new(
            &schemactl::compat::Schema::parse(serde_json::from_str(&schema_text).unwrap()).unwrap(),
        )
        .unwrap()
        .with_max_bytes(64 * 1024)
    };
    // The contract must be registered before an audit loads its subject.
    rt.block_on(async {
        use schemactl::validate::resolver::SchemaLookup;
        registry
            .register(&contract.subject, &schema_text)
            .await
            .unwrap()
    });
    let mut mqtt = MqttConfig::new(mosquitto.url());
    mqtt.version = MqttVersion::V5;
    // The library plans the split: `$share/GROUP/...` filters over MQTT 5, the group on Kafka.
    let sources = audit::Sources {
        mqtt: Some(mqtt),
        kafka: Some(kafka.clone()),
        start: StartAt::Beginning,
        group: Some(group.clone()),
    };
    let plan = Plan {
        duration: Some(Duration::from_secs(120)),
        max_bytes: 64 * 1024,
        max_violations: 100_000,
        keep_seen: true,
        connect_timeout: Duration::from_secs(30),
        ..Plan::from_contract(&contract, sources).unwrap()
    };
    assert_eq!(
        plan.mqtt.as_ref().unwrap().filters,
        [format!("$share/{group}/emergency_generator")]
    );

    // Each instance stops when the test says so: once both together counted everything sent.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let start = |progress: Arc<Progress>| {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let mut stop = stop_rx.clone();
        let task = rt.spawn(audit::run(
            plan.clone(),
            Some(validator()),
            Some(registry.clone()),
            progress,
            Some(ready_tx),
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        ));
        rt.block_on(ready_rx)
            .expect("the instance did not become ready");
        task
    };
    let progress = [Arc::new(Progress::default()), Arc::new(Progress::default())];
    let a = start(progress[0].clone());
    let b = start(progress[1].clone());

    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("truth.jsonl");
    let (generators, count) = (14, 25);
    let summary = rt
        .block_on(sim::run(
            sim::Plan::from_contract(
                contract.clone(),
                schemactl::simulate::Request {
                    mqtt: Some(MqttConfig::new(mosquitto.url())),
                    kafka: Some(kafka.clone()),
                    generators: Some(generators),
                    rate: Some(200.0),
                    count: Some(count),
                    duration: None,
                    seed: 9,
                    faults: Some("all:0.5".into()),
                    schema_id_in: Default::default(),
                    oversize_bytes: 64 * 1024,
                    connect_timeout: Duration::from_secs(10),
                    register: true,
                    create_topic: None,
                },
            )
            .expect("the simulation's plan"),
            Some(&registry),
            Some(Box::new(std::fs::File::create(&manifest_path).unwrap())),
            std::future::pending(),
        ))
        .expect("simulate");
    let sent = summary.mqtt + summary.kafka;
    assert_eq!(sent, 2 * generators as u64 * count);
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        while progress.iter().map(|p| p.messages()).sum::<u64>() < sent {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the instances counted {} of {sent} messages within 60 s",
                progress.iter().map(|p| p.messages()).sum::<u64>()
            );
            tick.tick().await;
        }
    });
    stop_tx.send_replace(true);
    let cards: Vec<_> = [a, b]
        .into_iter()
        .map(|t| rt.block_on(t).unwrap().expect("audit"))
        .collect();

    // Each instance did part of the work on each transport.
    for (i, card) in cards.iter().enumerate() {
        for t in [TransportKind::Mqtt, TransportKind::Kafka] {
            let n = card.summary.get(&t).map_or(0, |s| s.messages);
            assert!(n > 0 && n < sent, "instance {i} saw {n} {t} messages");
        }
    }
    // Kafka: every record seen by exactly one instance (matched by partition and offset), every
    // fault found.
    let manifest = schemactl::producer::manifest::read(&manifest_path).unwrap();
    let seen: Vec<_> = cards
        .iter()
        .flat_map(|c| c.seen.clone())
        .filter(|s| s.transport == TransportKind::Kafka)
        .collect();
    let score = audit::score::score(&manifest, &seen, &[TransportKind::Kafka].into());
    assert!(score.perfect(), "{score:#?}");
    assert_eq!(score.matched, summary.kafka);
    // MQTT has no offsets, and a shared subscription interleaves each topic between the
    // instances: compare each generator's messages and faulty messages with the ground truth.
    // The fleet publishes on one topic, so a payload that is not readable JSON names no one.
    let mut truth: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for line in manifest
        .iter()
        .filter(|l| l.transport == TransportKind::Mqtt)
    {
        let sender = match line.fault {
            Some(f) if f.hides_the_sender() => "unknown".to_string(),
            _ => line.generator.clone(),
        };
        let e = truth.entry(sender).or_default();
        e.0 += 1;
        // Invalid: a fault, or a rule the fleet's own reading breaks (its below-zero dip).
        e.1 += u64::from(line.fault.is_some() || !line.fleet_rules.is_empty());
    }
    let mut merged_mqtt = audit::Scorecard::new(0, false);
    for card in &cards {
        merged_mqtt.merge(card.clone());
    }
    merged_mqtt.sort();
    let counted: std::collections::BTreeMap<String, (u64, u64)> = merged_mqtt
        .producers
        .iter()
        .filter(|p| p.transport == TransportKind::Mqtt)
        .map(|p| (p.producer.clone(), (p.messages, p.invalid)))
        .collect();
    assert_eq!(counted, truth);

    // The offsets were committed to the named group, up to the end of every partition.
    {
        use rdkafka::TopicPartitionList;
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", tansu.bootstrap())
            .set("group.id", &group)
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in 0..3 {
            tpl.add_partition("emergency_generator", p);
        }
        let committed = consumer
            .committed_offsets(tpl, Duration::from_secs(10))
            .unwrap();
        let total: i64 = committed
            .elements()
            .iter()
            .map(|e| e.offset().to_raw().unwrap_or(0).max(0))
            .sum();
        assert_eq!(total as u64, summary.kafka, "{committed:?}");
    }

    // The reports merge through the CLI into what was sent, and each instance's score against
    // the manifest into the whole run's: every message of both transports matched once.
    let (_, digest) = schemactl::producer::manifest::read_with_digest(&manifest_path).unwrap();
    let both: std::collections::BTreeSet<TransportKind> =
        [TransportKind::Mqtt, TransportKind::Kafka].into();
    let mut files = Vec::new();
    for (i, card) in cards.into_iter().enumerate() {
        let path = dir.path().join(format!("audit-{i}.json"));
        let score = audit::score::Score {
            manifest: Some(digest.clone()),
            ..audit::score::score(&manifest, &card.seen, &both)
        };
        assert!(score.missing > 0, "instance {i} saw everything alone");
        let report = AuditReport {
            contract: contract.name.clone(),
            subject: contract.subject.clone(),
            group: Some(group.clone()),
            runs: vec![format!("run-{i}")],
            card,
            expect: Some(score.into()),
        };
        std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
        files.push(path.display().to_string());
    }
    let out = schemactl()
        .args(["report", "merge", "--format", "json"])
        .args(&files)
        .output()
        .unwrap();
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    let score = &merged["expect"]["score"];
    assert_eq!(merged["expect"]["perfect"], true, "{score:#}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a perfect merged score passes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (&score["matched"], &score["missing"]),
        (&json!(sent), &json!(0))
    );
    let faults = score["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 12, "{score:#}");
    assert_eq!(merged["summary"]["mqtt"]["messages"], summary.mqtt);
    assert_eq!(merged["summary"]["kafka"]["messages"], summary.kafka);
    let per_producer: u64 = merged["producers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["messages"].as_u64().unwrap())
        .sum();
    assert_eq!(per_producer, sent);
    let invalid: u64 = ["mqtt", "kafka"]
        .iter()
        .map(|t| merged["summary"][t]["invalid"].as_u64().unwrap())
        .sum();
    assert_eq!(invalid, summary.faulty);
    let text = schemactl()
        .args(["report", "merge"])
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("2 report(s) merged"), "{text}");
    assert!(text.contains("score: perfect"), "{text}");
}

/// The whole loop through the CLI: `schemactl registry serve` as a process, `simulate` on both
/// transports registering the contract, `audit` on both resolving ids through the registry;
/// scored against the manifest, every fault kind is found with full precision and recall.
#[test]
fn cli_simulate_and_audit_both_transports_through_the_registry() {
    cli_simulate_and_audit("prefix");
}

/// The same with Confluent 8's framing: the schema's GUID in a header, looked up through the
/// registry's `/schemas/guids/{guid}`.
#[test]
fn cli_schema_guids_in_headers_through_the_registry() {
    cli_simulate_and_audit("header");
}

fn cli_simulate_and_audit(schema_id_in: &str) {
    let registry = services::Registry::start();
    let mosquitto = Mosquitto::start();
    let tansu = Tansu::start();
    tansu.create_topic("emergency_generator", 3);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("truth.jsonl");
    let manifest = manifest.to_str().unwrap();
    let (generators, count) = (14u64, 20u64);
    let total = 2 * generators * count;
    let audit = Audit::start(&[
        "--mqtt",
        &mosquitto.url(),
        "--kafka",
        &tansu.bootstrap(),
        "--registry",
        &registry.url,
        "--from-beginning",
        "--max-messages",
        &total.to_string(),
        "--duration",
        "120s",
        "--expect",
        manifest,
        "--format",
        "json",
    ]);
    let sim = schemactl()
        .args([
            "simulate",
            "--mqtt",
            &mosquitto.url(),
            "--kafka",
            &tansu.bootstrap(),
        ])
        .args([
            "--registry",
            &registry.url,
            "--register",
            "--faults",
            "all:0.5",
            "--seed",
            "3",
        ])
        .args([
            "--generators",
            &generators.to_string(),
            "--count",
            &count.to_string(),
        ])
        .args(["--rate", "50", "--manifest", manifest])
        .args(["--schema-id-in", schema_id_in])
        .output()
        .unwrap();
    let sim_err = String::from_utf8_lossy(&sim.stderr);
    assert!(sim.status.success(), "{sim_err}");
    let named = if schema_id_in == "header" {
        "Kafka records carry schema GUID"
    } else {
        "Kafka values carry schema id"
    };
    assert!(sim_err.contains(named), "{sim_err}");
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let score = &doc["expect"]["score"];
    assert_eq!(doc["expect"]["perfect"], true, "{score:#}");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(score["sent"], total);
    assert_eq!(score["matched"], total);
    let faults = score["faults"].as_array().unwrap();
    let sent: Vec<&str> = faults
        .iter()
        .filter(|f| f["sent"].as_u64() > Some(0))
        .map(|f| f["fault"].as_str().unwrap())
        .collect();
    assert_eq!(sent.len(), 12, "every fault kind was sent: {score:#}");
    for f in faults {
        assert_eq!(f["precision"], 1.0, "{f}");
        assert_eq!(f["recall"], 1.0, "{f}");
    }
    for t in ["mqtt", "kafka"] {
        assert_eq!(doc["summary"][t]["messages"], generators * count, "{t}");
    }
}

/// The registry dies in the middle of an audit: ids the audit already knew keep validating,
/// an id it never saw is UNRESOLVED (never valid, never "unknown": nobody could be asked).
#[test]
fn registry_killed_mid_audit_cached_ids_work_unknown_ids_are_unresolved() {
    use schemactl::transport::kafka::{KafkaConfig, KafkaSink};
    use schemactl::validate::wire::encode_v0;

    let registry = services::Registry::start();
    let tansu = Tansu::start();
    tansu.create_topic("emergency_generator", 1);
    // The contract's schema gets its id by the simulator (asked to register it), before the
    // audit starts.
    let sim = schemactl()
        .args([
            "simulate",
            "--register",
            "--kafka",
            &tansu.bootstrap(),
            "--registry",
            &registry.url,
        ])
        .args(["--generators", "2", "--count", "5", "--rate", "100"])
        .output()
        .unwrap();
    let sim_err = String::from_utf8_lossy(&sim.stderr);
    assert!(sim.status.success(), "{sim_err}");
    let id: u32 = sim_err
        .split("schema id ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no schema id in: {sim_err}"));
    let (before, good, unknown) = (10u64, 30u64, 20u64);
    let audit = Audit::start(&[
        "--kafka",
        &tansu.bootstrap(),
        "--registry",
        &registry.url,
        "--from-beginning",
        "--max-messages",
        &(before + good + unknown).to_string(),
        "--duration",
        "120s",
        "--format",
        "json",
    ]);
    registry.kill();
    let ok =
        br#"{"generatorID":"generator42","lat":1,"lon":2,"temperature":80,"pressure":300,"fuel":50}"#;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sink = KafkaSink::open(
            &KafkaConfig::new(tansu.bootstrap()),
            Duration::from_secs(10),
        )
        .unwrap();
        let mut acks = Vec::new();
        for n in 0..good + unknown {
            let schema = if n < good { id } else { id + 1000 };
            let value = encode_v0(schema, ok);
            acks.push(
                sink.send(
                    "emergency_generator",
                    Some(b"3f1c9a52-6a2e-4c1b-9a53-0c7d2e8b4f10"),
                    &[],
                    &value,
                )
                .await
                .unwrap(),
            );
        }
        for a in acks {
            a.await.unwrap();
        }
    });
    let (code, stdout, stderr) = audit.finish();
    assert_eq!(code, 1, "{stdout}{stderr}");
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let kafka = &doc["summary"]["kafka"];
    assert_eq!(kafka["messages"], before + good + unknown, "{doc:#}");
    assert_eq!(kafka["invalid"], unknown, "{doc:#}");
    assert_eq!(kafka["violations"]["UNRESOLVED"], unknown, "{doc:#}");
    assert!(
        kafka["violations"].get("UNKNOWN_SCHEMA_ID").is_none(),
        "{doc:#}"
    );
}

/// `--group` through the CLI: MQTT 5 shared subscription on Mosquitto, the group in the report;
/// without MQTT 5 the flag is refused before anything connects.
#[test]
fn cli_group_subscribes_through_a_shared_subscription_and_reports_the_group() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("a.json");
    let audit = Audit::start(&[
        "--mqtt",
        &broker.url(),
        "--mqtt-version",
        "5",
        "--group",
        "fleet-audit",
        "--max-messages",
        "3",
        "--duration",
        "60s",
        "--report",
        report.to_str().unwrap(),
    ]);
    let ok =
        br#"{"generatorID":"generator42","lat":1,"lon":2,"temperature":80,"pressure":300,"fuel":50}"#;
    publish(&broker.url(), vec![ok.to_vec(); 3]);
    let (code, stdout, stderr) = audit.finish();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(doc["group"], "fleet-audit");
    assert_eq!(doc["summary"]["mqtt"]["messages"], 3);
    assert_eq!(doc["runs"].as_array().map(Vec::len), Some(1));

    let refused = schemactl()
        .args([
            "audit",
            "--mqtt",
            &broker.url(),
            "--group",
            "g",
            "--duration",
            "1s",
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--mqtt-version 5"));
}

/// `--idle`: the audit ends once nothing has arrived for that long, after counting what came.
#[test]
fn idle_ends_the_audit_once_traffic_stops() {
    let broker = Mosquitto::start();
    let audit = Audit::start(&[
        "--mqtt",
        &broker.url(),
        "--idle",
        "5s",
        "--duration",
        "120s",
        "--format",
        "json",
    ]);
    let ok =
        br#"{"generatorID":"generator42","lat":1,"lon":2,"temperature":80,"pressure":300,"fuel":50}"#;
    publish(&broker.url(), vec![ok.to_vec(); 5]);
    let (code, stdout, stderr) = audit.finish();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["summary"]["mqtt"]["messages"], 5, "{doc:#}");
}

/// `simulate` on a Kafka topic that does not exist stops at once (exit 2) naming the topic and
/// the command that creates it, and produces nothing; with `--create-topic` it creates the
/// topic as asked and says so.
#[test]
fn simulate_on_a_missing_topic_fails_fast_or_creates_it() {
    let registry = services::Registry::start();
    let tansu = Tansu::start();
    run_ok(&[
        "register",
        "--contract",
        "generator",
        "--registry",
        &registry.url,
    ]);
    let base = [
        "simulate",
        "--kafka",
        &tansu.bootstrap(),
        "--registry",
        &registry.url,
        "--generators",
        "2",
        "--count",
        "3",
        "--rate",
        "100",
    ];
    let started = std::time::Instant::now();
    let missing = schemactl().args(base).output().unwrap();
    let elapsed = started.elapsed();
    let err = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{err}");
    for needle in [
        "the Kafka topic \"emergency_generator\" does not exist",
        "kafka-topics --bootstrap-server",
        "--create --topic emergency_generator",
        "tansu topic create emergency_generator",
        "--create-topic",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    // Failing fast means before any producer timeout (10 s here), not after one.
    assert!(
        elapsed < Duration::from_secs(10),
        "took {elapsed:?} to say the topic is missing"
    );
    assert!(!err.contains("not acknowledged"), "{err}");

    let created = schemactl()
        .args(base)
        .args(["--create-topic", "--partitions", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&created.stderr);
    assert!(created.status.success(), "{err}");
    assert!(
        err.contains("created Kafka topic \"emergency_generator\" with 2 partition(s)"),
        "{err}"
    );
    assert!(
        err.contains("sent 0 MQTT message(s) and 6 Kafka record(s)"),
        "{err}"
    );
    // Now it exists: a second run finds it, creates nothing, and registers nothing.
    let again = schemactl().args(base).output().unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{err}");
    assert!(
        err.contains("Kafka topic \"emergency_generator\": 2 partition(s)"),
        "{err}"
    );
    assert!(err.contains("nothing registered"), "{err}");
}
