//! Exactly once, fail closed, governed schemas only (issue 9), against real Tansu, Mosquitto
//! and `schemactl registry serve`: every record counted once by partition and offset while a
//! producer trickles; an MQTT redelivery storm counted once; nothing delivered is NO_TRAFFIC;
//! a topic deleted or recreated under the audit is a gap; an id the registry answers 404 for
//! is UNKNOWN_SCHEMA_ID; a schema outside the contract's history is UNGOVERNED_SCHEMA and
//! judged by the contract too.

use super::*;
use crate::common::cli::bounded_audit;
use schemactl::audit::{self, Plan, Progress, Scorecard};
use schemactl::transport::TransportKind;
use schemactl::transport::kafka::{KafkaConfig, KafkaSink, StartAt};
use schemactl::transport::mqtt::MqttConfig;
use schemactl::validate::resolver::{MemoryRegistry, SchemaLookup};
use schemactl::validate::wire::encode_v0;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Instant;

const TOPIC: &str = "emergency_generator";

fn contract() -> schemactl::catalog::Contract {
    schemactl::catalog::load_contract(&root(), "generator").unwrap()
}

/// A reading the contract's newest version accepts.
fn valid_reading(contract: &schemactl::catalog::Contract) -> Vec<u8> {
    contract.valid[0].payload.clone()
}

/// A reading the contract's newest version accepts, sent by `producer`.
fn reading_of(contract: &schemactl::catalog::Contract, producer: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&valid_reading(contract)).unwrap();
    if let Some(pointer) = &contract.identity.pointer {
        *v.pointer_mut(pointer).unwrap() = Value::String(producer.into());
    }
    serde_json::to_vec(&v).unwrap()
}

/// An audit run in this process, stopped by the test.
struct InProcess {
    rt: tokio::runtime::Runtime,
    progress: Arc<Progress>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<Scorecard, audit::AuditError>>,
}

impl InProcess {
    /// Starts `plan` and returns once the audit is connected.
    fn start(plan: Plan, registry: MemoryRegistry) -> InProcess {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let progress = Arc::new(Progress::default());
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop, mut stop_rx) = tokio::sync::watch::channel(false);
        let validator = plan.mqtt.as_ref().map(|_| {
            let text = audit::contract_history(&contract())
                .unwrap()
                .pop()
                .unwrap()
                .1;
            schemactl::validate::PayloadValidator::from_text(&text).unwrap()
        });
        let task = rt.spawn(audit::run(
            plan,
            validator,
            Some(registry),
            progress.clone(),
            Some(ready_tx),
            async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            },
        ));
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), ready_rx)
                .await
                .expect("the audit did not connect within 30 s")
                .expect("the audit ended before it connected");
        });
        InProcess {
            rt,
            progress,
            stop,
            task,
        }
    }

    /// Waits (at most 60 s) until `done` holds for the live counters.
    fn wait_until(&self, what: &str, done: impl Fn(&Progress) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&self.progress) {
            assert!(
                Instant::now() < deadline,
                "gave up after 60 s waiting for {what}; counted {}",
                self.progress.messages()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (as [`Self::wait_until`]) until the audit has seen its Kafka topic gone.
    fn wait_until_topic_gone(&self, what: &str) {
        self.wait_until(what, |p| {
            p.kafka_topic_gone
                .load(std::sync::atomic::Ordering::Relaxed)
        });
    }

    fn finish(self) -> Scorecard {
        self.stop.send_replace(true);
        self.rt.block_on(self.task).unwrap().expect("audit")
    }
}

/// The audit the command line plans for the contract over these transports, without its
/// rules: these tests are about counting, framing and gaps.
fn plan_for(mqtt: Option<MqttConfig>, kafka: Option<KafkaConfig>, start: StartAt) -> Plan {
    let sources = audit::Sources {
        mqtt,
        kafka,
        start,
        group: None,
    };
    Plan {
        rules: Default::default(),
        duration: Some(Duration::from_secs(300)),
        max_bytes: 64 * 1024,
        max_violations: 100_000,
        keep_seen: true,
        ..Plan::from_contract(&contract(), sources).unwrap()
    }
}

fn kafka_plan(bootstrap: String, start: StartAt) -> Plan {
    plan_for(None, Some(KafkaConfig::new(bootstrap)), start)
}

/// What the tests of a log changed under a running audit start from: Tansu behind the relay
/// with the topic (one partition), a registry holding the contract's newest version (its id),
/// a reading that version accepts from a given producer, and an audit reading the topic from
/// its beginning.
fn topic_under_audit() -> (
    Tansu,
    kafka_front::KafkaFront,
    u32,
    impl Fn(&str) -> Vec<u8>,
    InProcess,
) {
    let (broker, front) = Tansu::behind_front();
    broker.create_topic(TOPIC, 1);
    let (registry, id) = registry_with_contract();
    let contract = contract();
    let payload = move |producer: &str| reading_of(&contract, producer);
    let audit = InProcess::start(kafka_plan(broker.bootstrap(), StartAt::Beginning), registry);
    (broker, front, id, payload, audit)
}

/// A registry holding the contract's newest version; its id.
fn registry_with_contract() -> (MemoryRegistry, u32) {
    let contract = contract();
    let newest = audit::contract_history(&contract).unwrap().pop().unwrap().1;
    let registry = MemoryRegistry::default();
    let id = block(registry.register(&contract.subject, &newest)).unwrap();
    (registry, id)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Produces `n` records framed with `id`, five every 100 ms as the fleet does, each keyed by a
/// fresh UUID (the fleet's keys), twelve generators each sending `payload(its id)`, each
/// acknowledged before the next (so each is a batch of its own, as a device sending one reading
/// at a time produces); returns their partitions and offsets as acknowledged.
fn trickle(
    bootstrap: &str,
    id: u32,
    payload: impl Fn(&str) -> Vec<u8>,
    n: usize,
) -> Vec<(i32, i64)> {
    let sink = KafkaSink::open(&KafkaConfig::new(bootstrap), Duration::from_secs(10)).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut out = Vec::new();
        for i in 0..n {
            let key = uuid::Uuid::new_v4().to_string();
            let value = encode_v0(id, &payload(&format!("gen-{:04}", i % 12 + 1)));
            let d = sink
                .send(TOPIC, Some(key.as_bytes()), &[], &value)
                .await
                .unwrap()
                .await
                .unwrap();
            out.push((d.partition, d.offset));
            // The producer's pace, not a wait for anything.
            if i % 5 == 4 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        out.sort_unstable();
        out
    })
}

fn kafka_offsets(card: &Scorecard) -> Vec<(i32, i64)> {
    let mut seen: Vec<(i32, i64)> = card
        .seen
        .iter()
        .filter(|s| s.transport == TransportKind::Kafka)
        .map(|s| (s.partition.unwrap(), s.offset.unwrap()))
        .collect();
    seen.sort_unstable();
    seen
}

/// The reproduction, for many rounds: a producer trickles into a 3-partition topic
/// while the audit tails it. Every acknowledged record is counted exactly once, by partition
/// and offset; what Tansu delivers twice is reported as replayed.
#[test]
fn kafka_trickle_into_three_partitions_counts_every_record_once() {
    let broker = Tansu::start();
    broker.create_topic(TOPIC, 3);
    let (registry, id) = registry_with_contract();
    let contract = contract();
    let payload = |producer: &str| reading_of(&contract, producer);
    let (rounds, per_round) = (6, 150);
    let mut replayed = 0;
    for round in 0..rounds {
        let audit = InProcess::start(
            kafka_plan(broker.bootstrap(), StartAt::End),
            registry.clone(),
        );
        let acked = trickle(&broker.bootstrap(), id, payload, per_round);
        assert_eq!(acked.len(), per_round);
        let partitions: std::collections::BTreeSet<i32> = acked.iter().map(|a| a.0).collect();
        assert_eq!(partitions.len(), 3, "the keys spread over the partitions");
        audit.wait_until("every record", |p| p.messages() >= per_round as u64);
        let card = audit.finish();
        let seen = kafka_offsets(&card);
        assert_eq!(seen, acked, "round {round}: every record once");
        let kafka = &card.summary[&TransportKind::Kafka];
        assert_eq!(kafka.messages, per_round as u64, "round {round}");
        assert!(
            kafka.gaps.is_empty(),
            "round {round}: nothing was lost: {:?}",
            kafka.gaps
        );
        replayed += kafka.replayed;
    }
    eprintln!("{rounds} rounds of {per_round}: {replayed} redelivered record(s) not counted again");
}

/// A relay in front of Mosquitto that sends every QoS 1 PUBLISH to the client `copies` more
/// times with the DUP flag set and the same packet id: what a broker does when it does not get
/// the PUBACK.
struct RedeliveringRelay {
    port: u16,
}

impl RedeliveringRelay {
    fn start(broker: u16, copies: usize) -> RedeliveringRelay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", broker)) else {
                    continue;
                };
                let (mut c_in, mut u_out) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_in, &mut u_out);
                    let _ = u_out.shutdown(std::net::Shutdown::Both);
                });
                let (mut u_in, mut c_out) = (upstream, client);
                std::thread::spawn(move || {
                    while let Some(packet) = read_packet(&mut u_in) {
                        if c_out.write_all(&packet).is_err() {
                            break;
                        }
                        let publish_qos1 = packet[0] >> 4 == 3 && (packet[0] >> 1) & 3 == 1;
                        if publish_qos1 {
                            let mut again = packet.clone();
                            again[0] |= 0x08;
                            for _ in 0..copies {
                                if c_out.write_all(&again).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                    let _ = c_out.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        RedeliveringRelay { port }
    }
}

/// One MQTT control packet, fixed header included.
fn read_packet(from: &mut TcpStream) -> Option<Vec<u8>> {
    let mut first = [0u8; 1];
    from.read_exact(&mut first).ok()?;
    let mut packet = vec![first[0]];
    let (mut len, mut shift) = (0usize, 0);
    loop {
        let mut b = [0u8; 1];
        from.read_exact(&mut b).ok()?;
        packet.push(b[0]);
        len |= ((b[0] & 0x7f) as usize) << shift;
        shift += 7;
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let start = packet.len();
    packet.resize(start + len, 0);
    from.read_exact(&mut packet[start..]).ok()?;
    Some(packet)
}

/// QoS 1 with lost PUBACKs: every message arrives four times (three with DUP and the same
/// packet id). Each is counted once, the redeliveries are reported.
#[test]
fn mqtt_redelivery_storm_counts_each_message_once() {
    let broker = Mosquitto::start();
    let relay = RedeliveringRelay::start(broker.port, 3);
    let url = format!("mqtt://127.0.0.1:{}", relay.port);
    let n = 20;
    let audit = Audit::start(&[
        "--mqtt",
        &url,
        "--mqtt-qos",
        "1",
        "--idle",
        "3s",
        "--duration",
        "60s",
        "--format",
        "json",
    ]);
    publish(&broker.url(), vec![reading_of(&contract(), "gen-0042"); n]);
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let mqtt = &doc["summary"]["mqtt"];
    assert_eq!(mqtt["messages"], n, "{doc:#}");
    assert_eq!(mqtt["replayed"], 3 * n, "{doc:#}");
    assert_eq!(mqtt["invalid"], 0, "{doc:#}");
    assert_eq!(code, 0, "{stderr}");
}

/// A topic filter that matches nothing the fleet sends: NO_TRAFFIC naming the filters, exit 1;
/// `--allow-empty` accepts the quiet window. The same for a Kafka topic nothing arrives on.
#[test]
fn a_filter_or_topic_that_matches_nothing_is_no_traffic() {
    let broker = Mosquitto::start();
    let registry = services::Registry::start();
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 1);
    let (mqtt_url, bootstrap) = (broker.url(), tansu.bootstrap());
    for allow_empty in [false, true] {
        let mut args = vec![
            "--mqtt",
            mqtt_url.as_str(),
            "--kafka",
            bootstrap.as_str(),
            "--registry",
            registry.url.as_str(),
            "--duration",
            "3s",
            "--format",
            "json",
        ];
        if allow_empty {
            args.push("--allow-empty");
        }
        let audit = Audit::start(&args);
        // Published, but on a topic outside the contract's filter.
        let ok = valid_reading(&contract());
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            use schemactl::transport::mqtt::{MqttSink, Qos};
            let mut cfg = MqttConfig::new(broker.url());
            cfg.qos = Qos::AtLeastOnce;
            let sink = MqttSink::connect(&cfg, Duration::from_secs(10))
                .await
                .unwrap();
            sink.publish("elsewhere/gen-0042/telemetry", ok)
                .await
                .unwrap();
            sink.close(Duration::from_secs(10)).await.unwrap();
        });
        let (code, stdout, stderr) = audit.finish();
        let doc: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        let found: Vec<&Value> = doc["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["kind"] == "NO_TRAFFIC")
            .collect();
        if allow_empty {
            assert_eq!(code, 0, "{doc:#}{stderr}");
            assert!(found.is_empty(), "{doc:#}");
            continue;
        }
        assert_eq!(code, 1, "{doc:#}{stderr}");
        assert_eq!(found.len(), 2, "{doc:#}");
        let mqtt = found.iter().find(|v| v["transport"] == "mqtt").unwrap();
        for filter in &contract().mqtt.unwrap().topics {
            assert!(
                mqtt["topic"].as_str().unwrap().contains(filter.as_str()),
                "{mqtt:#}"
            );
        }
        let kafka = found.iter().find(|v| v["transport"] == "kafka").unwrap();
        assert!(
            kafka["message"].as_str().unwrap().contains(TOPIC),
            "{kafka:#}"
        );
        assert_eq!(doc["summary"]["mqtt"]["violations"]["NO_TRAFFIC"], 1);
        assert_eq!(
            doc["summary"]["mqtt"]["invalid"], 0,
            "no message was invalid"
        );
        // The text report says it too, with the way out.
        let text = schemactl()
            .args(["audit", "--mqtt", &broker.url(), "--duration", "1s"])
            .output()
            .unwrap();
        assert_eq!(text.status.code(), Some(1));
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("error[NO_TRAFFIC]") && text.contains("--allow-empty"),
            "{text}"
        );
    }
    // Scored against a manifest of messages that never reached the audit (sent before it
    // subscribed): no score reads 100%; what could not be divided is "n/a".
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("truth.jsonl");
    let manifest = manifest.to_str().unwrap();
    run_ok(&[
        "simulate",
        "--mqtt",
        &mqtt_url,
        "--generators",
        "2",
        "--count",
        "3",
        "--rate",
        "50",
        "--faults",
        "wrong-type=2:1.0",
        "--manifest",
        manifest,
    ]);
    let out = schemactl()
        .args(["audit", "--mqtt", &mqtt_url, "--duration", "1s"])
        .args(["--expect", manifest])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("wrong-type"))
        .unwrap_or_else(|| panic!("no wrong-type row:\n{text}"));
    // A fault's SENT counts what was sent with it and seen: nothing to divide either way.
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells, ["wrong-type", "0", "0", "0", "n/a", "n/a"], "{text}");
    assert!(text.contains(": 6 sent, 0 seen"), "{text}");
    assert!(text.contains("score: NOT perfect"), "{text}");
    assert!(!text.contains("100.0%"), "{text}");
}

/// The topic is deleted while the audit runs: what was read before is counted, the deletion
/// is a gap that is still open at the end (the audit could not watch the rest of the window).
#[test]
fn a_kafka_topic_deleted_while_the_audit_runs_is_an_open_gap() {
    let (broker, _front, id, payload, audit) = topic_under_audit();
    let acked = trickle(&broker.bootstrap(), id, &payload, 10);
    audit.wait_until("the records before the deletion", |p| p.messages() >= 10);
    delete_topic(&broker);
    audit.wait_until_topic_gone("the audit to notice the deletion");
    let card = audit.finish();
    assert_eq!(kafka_offsets(&card), acked);
    let kafka = &card.summary[&TransportKind::Kafka];
    assert_eq!(kafka.gaps.len(), 1, "{:?}", kafka.gaps);
    assert!(kafka.gaps[0].open, "{:?}", kafka.gaps);
    assert!(kafka.gaps[0].reason.contains("deleted"), "{:?}", kafka.gaps);
    assert!(card.has_open_gap());
}

/// Records removed under the audit: the topic is deleted and recreated, so the audit's
/// position lies beyond the new log's end (out of range; Tansu 0.6.0 has no DeleteRecords nor
/// retention to expire records otherwise, and its ListOffsets answers are not reliable enough
/// to tell a truncated log). The audit says so and reads the new log from its start: nothing of
/// it is lost, nothing counted twice.
#[test]
fn a_kafka_position_out_of_range_is_a_gap_and_the_new_log_is_read() {
    let (broker, _front, id, payload, audit) = topic_under_audit();
    let before = trickle(&broker.bootstrap(), id, &payload, 20);
    audit.wait_until("the first log", |p| p.messages() >= 20);
    delete_topic(&broker);
    audit.wait_until_topic_gone("the audit to notice the deletion");
    broker.create_topic(TOPIC, 1);
    let after = trickle(&broker.bootstrap(), id, &payload, 5);
    assert_eq!(after, (0..5).map(|o| (0, o)).collect::<Vec<_>>());
    audit.wait_until("the new log", |p| p.messages() >= 25);
    let card = audit.finish();
    let kafka = &card.summary[&TransportKind::Kafka];
    assert_eq!(kafka.messages, 25, "{kafka:?}");
    let mut expected = before.clone();
    expected.extend(&after);
    expected.sort_unstable();
    assert_eq!(kafka_offsets(&card), expected);
    assert_eq!(kafka.gaps.len(), 1, "{:?}", kafka.gaps);
    let reason = &kafka.gaps[0].reason;
    assert!(reason.contains("exists again"), "{reason}");
    assert!(!card.has_open_gap());
}

/// A real restart of Tansu mid-audit, on the same port: the in-memory broker comes back
/// without the topic (what crashed librdkafka 2.12.1 before the test relay, see
/// tests/services/kafka_front.rs). The audit rides the outage, sees the topic missing, and
/// once it is created again reads the new log from its start: nothing lost, nothing counted
/// twice, no gap left open.
#[test]
fn a_kafka_broker_restarted_mid_audit_is_a_gap_and_the_new_log_is_read() {
    let (mut broker, front, id, payload, audit) = topic_under_audit();
    let before = trickle(&broker.bootstrap(), id, &payload, 10);
    audit.wait_until("the records before the restart", |p| p.messages() >= 10);
    let port = broker.port;
    broker.restart();
    assert_eq!(broker.port, port, "the clients' port is kept");
    audit.wait_until_topic_gone("the audit to notice the topic missing");
    broker.create_topic(TOPIC, 1);
    let after = trickle(&broker.bootstrap(), id, &payload, 5);
    assert_eq!(after, (0..5).map(|o| (0, o)).collect::<Vec<_>>());
    audit.wait_until("the new log", |p| p.messages() >= 15);
    let card = audit.finish();
    let kafka = &card.summary[&TransportKind::Kafka];
    assert_eq!((kafka.messages, kafka.replayed), (15, 0), "{kafka:?}");
    let mut expected = before.clone();
    expected.extend(&after);
    expected.sort_unstable();
    assert_eq!(kafka_offsets(&card), expected);
    assert!(
        kafka.gaps.iter().any(|g| g.reason.contains("exists again")),
        "{:?}",
        kafka.gaps
    );
    assert!(!card.has_open_gap(), "{:?}", kafka.gaps);
    // The consumer fetched the topic through the restart, never with a version the relay
    // keeps it from.
    let fetches: Vec<i16> = front
        .exchanges()
        .iter()
        .filter(|e| e.api_key == kafka_front::FETCH)
        .map(|e| e.api_version)
        .collect();
    assert!(!fetches.is_empty());
    assert!(
        fetches
            .iter()
            .all(|v| *v <= kafka_front::FETCH_WITHOUT_TAGS),
        "{fetches:?}"
    );
}

/// The broker is cut off mid-trickle (every connection reset, then refused) and comes back
/// with its log: the records read before the outage are not counted again after the
/// reconnect, those produced after it are counted once, and the outage is one closed gap.
#[test]
fn kafka_records_are_counted_once_across_an_outage_and_reconnect() {
    let (broker, mut cable) = Tansu::behind_cable();
    broker.create_topic(TOPIC, 3);
    let (registry, id) = registry_with_contract();
    let contract = contract();
    let payload = |producer: &str| reading_of(&contract, producer);
    let audit = InProcess::start(kafka_plan(broker.bootstrap(), StartAt::Beginning), registry);
    let mut acked = trickle(&broker.bootstrap(), id, payload, 30);
    audit.wait_until("the records before the outage", |p| p.messages() >= 30);
    cable.pull();
    audit.wait_until("the audit to lose the broker", |p| {
        p.kafka_down.load(std::sync::atomic::Ordering::Relaxed)
    });
    cable.plug_in();
    acked.extend(trickle(&broker.bootstrap(), id, payload, 30));
    acked.sort_unstable();
    audit.wait_until("the records after the outage", |p| p.messages() >= 60);
    let card = audit.finish();
    assert_eq!(kafka_offsets(&card), acked, "every record once");
    let kafka = &card.summary[&TransportKind::Kafka];
    assert_eq!(kafka.messages, 60, "{kafka:?}");
    assert_eq!(kafka.gaps.len(), 1, "{:?}", kafka.gaps);
    assert!(!kafka.gaps[0].open, "{:?}", kafka.gaps);
}

/// MQTT across a broker restart (Mosquitto killed and started again on its port): the audit
/// reconnects with a clean session, so nothing from before is delivered again; each message
/// published before the restart and after the audit subscribed again is counted exactly once
/// (by the digest of its body), and the outage is one closed gap.
#[test]
fn mqtt_messages_are_counted_once_across_a_broker_restart() {
    use std::sync::atomic::Ordering;
    let broker = Mosquitto::start();
    let contract = contract();
    let plan = plan_for(Some(MqttConfig::new(broker.url())), None, StartAt::End);

    let audit = InProcess::start(plan, MemoryRegistry::default());
    // Distinct bodies, so each can be told apart by its digest.
    let reading = |n: usize| reading_of(&contract, &format!("gen-{n:04}"));
    let before: Vec<Vec<u8>> = (1..=10).map(reading).collect();
    publish(&broker.url(), before.clone());
    audit.wait_until("the messages before the restart", |p| p.messages() >= 10);
    let port = broker.kill();
    audit.wait_until("the audit to lose the broker", |p| {
        p.mqtt_down.load(Ordering::Relaxed)
    });
    let broker = Mosquitto::start_on(port);
    audit.wait_until("the audit to reconnect", |p| {
        !p.mqtt_down.load(Ordering::Relaxed)
    });
    // The audit subscribes again on its own schedule: probe until one probe is counted.
    let mut probes = Vec::new();
    for n in 0.. {
        assert!(n < 100, "no probe was counted after the reconnect");
        let probe = reading(1000 + n);
        probes.push(probe.clone());
        let counted = audit.progress.messages();
        publish(&broker.url(), vec![probe]);
        let deadline = Instant::now() + Duration::from_secs(1);
        while audit.progress.messages() == counted && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if audit.progress.messages() > counted {
            break;
        }
    }
    let after: Vec<Vec<u8>> = (11..=20).map(reading).collect();
    publish(&broker.url(), after.clone());
    audit.wait_until("the messages after the restart", |p| p.messages() >= 21);
    let card = audit.finish();
    let digests: Vec<String> = card
        .seen
        .iter()
        .filter(|s| s.transport == TransportKind::Mqtt)
        .map(|s| s.digest.clone().unwrap())
        .collect();
    let times = |body: &[u8]| {
        let d = schemactl::producer::manifest::digest(body);
        digests.iter().filter(|x| **x == d).count()
    };
    for body in before.iter().chain(&after) {
        assert_eq!(times(body), 1, "{}", String::from_utf8_lossy(body));
    }
    for body in &probes {
        assert!(times(body) <= 1, "a probe counted twice");
    }
    let mqtt = &card.summary[&TransportKind::Mqtt];
    assert_eq!(mqtt.messages, digests.len() as u64);
    assert_eq!((mqtt.replayed, mqtt.invalid), (0, 0), "{mqtt:?}");
    assert_eq!(mqtt.gaps.len(), 1, "{:?}", mqtt.gaps);
    assert!(!mqtt.gaps[0].open, "{:?}", mqtt.gaps);
}

fn delete_topic(broker: &Tansu) {
    use rdkafka::admin::{AdminClient, AdminOptions};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .unwrap();
    let results = block(admin.delete_topics(
        &[TOPIC],
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
    ))
    .expect("delete_topics");
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("delete topic {t}: {e}"));
    }
}

/// The registry process answers 404 for an id the fleet frames records with mid-audit: those
/// records are UNKNOWN_SCHEMA_ID, the others valid, every one counted, and the ground truth
/// scores the audit perfect.
#[test]
fn a_registry_404_for_a_framed_id_is_unknown_schema_id() {
    let registry = services::Registry::start();
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 3);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("truth.jsonl");
    let manifest = manifest.to_str().unwrap();
    let (generators, count) = (4u64, 10u64);
    let (kafka, total) = (tansu.bootstrap(), (generators * count).to_string());
    let audit = Audit::start(&bounded_audit(
        &["--kafka", &kafka, "--registry", &registry.url],
        &total,
        Some(manifest),
    ));
    run_ok(&[
        "register",
        "--contract",
        "generator",
        "--registry",
        &registry.url,
    ]);
    run_ok(&[
        "simulate",
        "--kafka",
        &tansu.bootstrap(),
        "--registry",
        &registry.url,
        "--generators",
        &generators.to_string(),
        "--count",
        &count.to_string(),
        "--rate",
        "50",
        "--faults",
        "unknown-schema-id=2:1.0",
        "--manifest",
        manifest,
    ]);
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    assert_eq!(doc["expect"]["perfect"], true, "{doc:#}");
    let kafka = &doc["summary"]["kafka"];
    assert_eq!(kafka["messages"], generators * count, "{doc:#}");
    assert_eq!(kafka["violations"]["UNKNOWN_SCHEMA_ID"], count, "{doc:#}");
    assert_eq!(kafka["invalid"], count, "{doc:#}");
    assert_eq!(code, 0, "a perfect score passes: {stderr}");
    // The simulator asked once to find an id nobody issued; the audit asked at least once.
    let log = registry.stderr.text();
    let unknown = format!("/schemas/ids/{}", i32::MAX);
    assert!(
        log.lines()
            .filter(|l| l.contains(&unknown) && l.contains(" 404 "))
            .count()
            >= 2,
        "the registry answered 404 for the framed id to the audit:\n{log}"
    );
}

/// A producer auto-registered a schema the repository's history does not hold: its records
/// are UNGOVERNED_SCHEMA naming the registry version and id, judged by that schema and by the
/// contract's newest version, so the same reading is judged alike on Kafka and on MQTT.
#[test]
fn an_ungoverned_schema_is_reported_and_both_transports_judged_by_the_contract() {
    let contract = contract();
    let history = audit::contract_history(&contract).unwrap();
    let (newest_version, newest) = history.last().unwrap().clone();
    let (registry, governed) = registry_with_contract();
    // The producer's own schema: the contract's newest without its required fields.
    let mut loose: Value = serde_json::from_str(&newest).unwrap();
    let required: Vec<String> = loose["required"]
        .as_array()
        .expect("the contract's newest version requires fields")
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    loose.as_object_mut().unwrap().remove("required");
    let ungoverned = block(registry.register(&contract.subject, &loose.to_string())).unwrap();
    assert_ne!(ungoverned, governed);
    // A reading without the first required field: valid under the producer's schema only.
    let incomplete = |producer: &str| {
        let mut reading: Value = serde_json::from_slice(&reading_of(&contract, producer)).unwrap();
        reading.as_object_mut().unwrap().remove(&required[0]);
        serde_json::to_vec(&reading).unwrap()
    };

    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 1);
    let mosquitto = Mosquitto::start();
    let plan = plan_for(
        Some(MqttConfig::new(mosquitto.url())),
        Some(KafkaConfig::new(tansu.bootstrap())),
        StartAt::Beginning,
    );

    let audit = InProcess::start(plan, registry);
    trickle(
        &tansu.bootstrap(),
        governed,
        |p| reading_of(&contract, p),
        5,
    );
    trickle(&tansu.bootstrap(), ungoverned, incomplete, 5);
    publish(&mosquitto.url(), vec![incomplete("gen-0042"); 5]);
    audit.wait_until("both transports", |p| p.messages() >= 15);
    let card = audit.finish();

    let kafka = &card.summary[&TransportKind::Kafka];
    let mqtt = &card.summary[&TransportKind::Mqtt];
    assert_eq!((kafka.messages, kafka.invalid), (10, 5), "{kafka:?}");
    assert_eq!(
        kafka.violations[&schemactl::validate::ViolationKind::UNGOVERNED_SCHEMA],
        5
    );
    assert_eq!(
        kafka.violations[&schemactl::validate::ViolationKind::SCHEMA_VIOLATION],
        5,
        "judged by the contract: {kafka:?}"
    );
    assert_eq!(
        (mqtt.messages, mqtt.invalid),
        (5, 5),
        "the same reading on MQTT: {mqtt:?}"
    );
    let named = card
        .violations
        .iter()
        .find(|v| v.kind == schemactl::validate::ViolationKind::UNGOVERNED_SCHEMA)
        .unwrap();
    assert!(
        named.message.contains(&format!("id {ungoverned}"))
            && named.message.contains("version 2 of"),
        "{}",
        named.message
    );
    let judged = card
        .violations
        .iter()
        .find(|v| {
            v.transport == TransportKind::Kafka
                && v.kind == schemactl::validate::ViolationKind::SCHEMA_VIOLATION
        })
        .unwrap();
    assert!(
        judged
            .message
            .starts_with(&format!("against the contract's v{newest_version}")),
        "{}",
        judged.message
    );
    let producer = card
        .producers
        .iter()
        .find(|p| p.transport == TransportKind::Kafka && !p.other_schemas.is_empty())
        .expect("a producer judged by another schema");
    assert!(producer.schema_versions.contains(&(newest_version as i32)));
}

/// The same through the CLI and the registry process: the text scorecard says which schemas
/// judged the producer's records, and the finding names the registry version and id.
#[test]
fn cli_text_says_which_schemas_judged_an_ungoverned_producer() {
    use schemactl::config::RegistrySettings;
    use schemactl::registry::RegistryClient;
    let contract = contract();
    let (newest_version, newest) = audit::contract_history(&contract).unwrap().pop().unwrap();
    let registry = services::Registry::with_generator();
    let client = RegistryClient::new(&RegistrySettings {
        url: Some(registry.url.clone()),
        ..RegistrySettings::default()
    })
    .unwrap();
    // A producer auto-registering its own variant, as Confluent's serializers do by default.
    let mut own: Value = serde_json::from_str(&newest).unwrap();
    own["title"] = Value::String("registered by a producer".into());
    let id = block(SchemaLookup::register(
        &client,
        &contract.subject,
        &own.to_string(),
    ))
    .unwrap();
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 1);
    let audit = Audit::start(&[
        "--kafka",
        &tansu.bootstrap(),
        "--registry",
        &registry.url,
        "--from-beginning",
        "--max-messages",
        "3",
        "--duration",
        "60s",
    ]);
    trickle(&tansu.bootstrap(), id, |p| reading_of(&contract, p), 3);
    let (code, stdout, stderr) = audit.finish();
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("UNGOVERNED_SCHEMA×"), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains(&format!("named registry schema id {id} (version ")))
        .unwrap_or_else(|| panic!("no line naming schema {id}:\n{stdout}"));
    assert!(
        line.ends_with(&format!(
            "\"{}\"): judged by it and by the contract's v{newest_version}",
            contract.subject
        )),
        "{line}"
    );
}

/// The condition exactly: the audit starts (and stops) while the producer trickles, so
/// it looks the end up while records are being appended, and Tansu may answer with an offset
/// short of the end (then its fetch answers repeat batches). Round after round, from wherever
/// the audit started on each partition, every acknowledged record is counted exactly once:
/// no duplicate, no hole.
#[test]
fn kafka_audit_started_mid_trickle_counts_every_record_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let broker = Tansu::start();
    broker.create_topic(TOPIC, 3);
    let (registry, id) = registry_with_contract();
    let contract = contract();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(i32, i64)>::new()));
    let producer = {
        let (bootstrap, stop, acked) = (broker.bootstrap(), stop.clone(), acked.clone());
        let payload = reading_of(&contract, "gen-0001");
        std::thread::spawn(move || {
            let sink =
                KafkaSink::open(&KafkaConfig::new(bootstrap), Duration::from_secs(10)).unwrap();
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let value = encode_v0(id, &payload);
                while !stop.load(Ordering::Relaxed) {
                    let mut pending = Vec::new();
                    for _ in 0..5 {
                        let key = uuid::Uuid::new_v4().to_string();
                        pending.push(
                            sink.send(TOPIC, Some(key.as_bytes()), &[], &value)
                                .await
                                .unwrap(),
                        );
                    }
                    for p in pending {
                        let d = p.await.unwrap();
                        acked.lock().unwrap().push((d.partition, d.offset));
                    }
                    // The fleet's pace: five every 100 ms.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
        })
    };
    let (rounds, per_round) = (6, 100u64);
    let mut replayed = 0;
    let mut cards = Vec::new();
    for _ in 0..rounds {
        let audit = InProcess::start(
            kafka_plan(broker.bootstrap(), StartAt::End),
            registry.clone(),
        );
        audit.wait_until("a round of records", |p| p.messages() >= per_round);
        cards.push(audit.finish());
    }
    stop.store(true, Ordering::Relaxed);
    producer.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    for (round, card) in cards.iter().enumerate() {
        let seen = kafka_offsets(card);
        let kafka = &card.summary[&TransportKind::Kafka];
        assert_eq!(kafka.messages, seen.len() as u64, "round {round}");
        let mut distinct = seen.clone();
        distinct.dedup();
        assert_eq!(distinct, seen, "round {round}: a record counted twice");
        for p in 0..3 {
            let mine: Vec<i64> = seen.iter().filter(|s| s.0 == p).map(|s| s.1).collect();
            let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
                continue;
            };
            let expected: Vec<i64> = {
                let mut e: Vec<i64> = acked
                    .iter()
                    .filter(|a| a.0 == p && a.1 >= *first && a.1 <= *last)
                    .map(|a| a.1)
                    .collect();
                e.sort_unstable();
                e
            };
            assert_eq!(mine, expected, "round {round}, partition {p}: a hole");
        }
        replayed += kafka.replayed;
    }
    eprintln!(
        "{rounds} rounds started mid-trickle: {replayed} redelivered record(s) not counted again"
    );
}

/// The ApiVersions rewrite on hand-made answers in both encodings: only Fetch's highest version
/// changes, and only downwards. (Here, not in `common/kafka_front.rs`, so that it runs once
/// rather than in every test crate that includes `common/`.)
#[test]
fn api_versions_answers_get_fetch_capped_and_nothing_else() {
    let entries = [(0i16, 0i16, 11i16), (kafka_front::FETCH, 0, 16), (3, 0, 12)];
    // v3+: error, compact array (count + 1), each entry with an empty tag buffer, then the
    // throttle time and the top-level tags.
    let mut flexible = vec![0, 0, entries.len() as u8 + 1];
    for (key, min, max) in entries {
        for v in [key, min, max] {
            flexible.extend(v.to_be_bytes());
        }
        flexible.push(0);
    }
    flexible.extend([0, 0, 0, 0, 0]);
    let mut capped = flexible.clone();
    assert_eq!(
        kafka_front::cap_fetch(&mut capped, 3, kafka_front::FETCH_WITHOUT_TAGS),
        Some(())
    );
    let fetch_max = 3 + 6 + 1 + 4;
    assert_eq!(&capped[fetch_max..fetch_max + 2], &11i16.to_be_bytes());
    capped[fetch_max..fetch_max + 2].copy_from_slice(&16i16.to_be_bytes());
    assert_eq!(capped, flexible, "nothing else changed");
    // v0-2: a 4-byte count and 6-byte entries.
    let mut plain = vec![0, 0];
    plain.extend((entries.len() as i32).to_be_bytes());
    for (key, min, max) in entries {
        for v in [key, min, max] {
            plain.extend(v.to_be_bytes());
        }
    }
    assert_eq!(kafka_front::cap_fetch(&mut plain, 0, 20), Some(()));
    assert_eq!(
        &plain[6 + 6 + 4..6 + 6 + 6],
        &16i16.to_be_bytes(),
        "never raised"
    );
    assert_eq!(kafka_front::cap_fetch(&mut plain, 0, 11), Some(()));
    assert_eq!(&plain[6 + 6 + 4..6 + 6 + 6], &11i16.to_be_bytes());
    // An error answer is left alone.
    let mut refused = vec![0, 35, 1];
    assert_eq!(kafka_front::cap_fetch(&mut refused, 3, 11), None);
    assert_eq!(refused, [0, 35, 1]);
}
