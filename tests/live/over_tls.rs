//! The fleet connects as production does: MQTT over TLS (8883 in the field) and Kafka over
//! SASL_SSL with PLAIN (Confluent Cloud), with a private CA made at test time. `simulate` and
//! `audit` cross TLS on both transports, a certificate the client does not trust is refused
//! with exit 3, and no credential appears in any output.
//!
//! Kafka's TLS and SASL PLAIN end at [`TlsFront`](super::tls::TlsFront), in front of a real
//! Tansu: Tansu 0.6.0 serves neither (see `tests/services/tls.rs` for what it does and says).

use super::brokers::{Mosquitto, Tansu};
use super::fleet_traffic::{cards_on, fleet_traffic, sent_on};
use super::tls::{Pki, TlsFront};
use super::{Audit, schemactl, services};
use crate::common::cli::bounded_audit;
use serde_json::Value;

const MQTT_USER: &str = "fleet-mqtt";
const MQTT_PASSWORD: &str = "mqtt-pw-5f0c1e9a7b";
const SASL_USER: &str = "fleet-api-key";
const SASL_PASSWORD: &str = "sasl-secret-8d2b64c1e3";

/// The credentials as schemactl takes them: from the environment only.
const CREDENTIALS: [(&str, &str); 4] = [
    ("MQTT_USERNAME", MQTT_USER),
    ("MQTT_PASSWORD", MQTT_PASSWORD),
    ("KAFKA_SASL_USERNAME", SASL_USER),
    ("KAFKA_SASL_PASSWORD", SASL_PASSWORD),
];

struct Secure {
    pki: Pki,
    registry: services::Registry,
    mosquitto: Mosquitto,
    tansu: Tansu,
    front: TlsFront,
}

impl Secure {
    /// The registry, Mosquitto with a TLS listener (with a password when `mqtt_login`), Tansu
    /// requiring SASL behind TLS, the fleet's topic created.
    fn start(mqtt_login: bool) -> Secure {
        let pki = Pki::generate();
        let registry = services::Registry::start();
        let mosquitto =
            Mosquitto::start_tls(&pki, mqtt_login.then_some((MQTT_USER, MQTT_PASSWORD)));
        let (tansu, front) = Tansu::behind_tls(&pki, (SASL_USER, SASL_PASSWORD));
        tansu.create_topic("emergency_generator", 3);
        Secure {
            pki,
            registry,
            mosquitto,
            tansu,
            front,
        }
    }

    /// schemactl's connection flags for both transports, trusting `ca`.
    fn flags(&self, ca: &std::path::Path) -> Vec<String> {
        let ca = ca.to_str().unwrap().to_string();
        [
            "--mqtt",
            &self.mosquitto.tls_url(),
            "--mqtt-ca-file",
            &ca,
            "--kafka",
            &self.tansu.bootstrap(),
            "-X",
            "security.protocol=SASL_SSL",
            "-X",
            "sasl.mechanism=PLAIN",
            "-X",
            &format!("ssl.ca.location={ca}"),
            "--registry",
            &self.registry.url,
        ]
        .map(str::to_string)
        .to_vec()
    }
}

/// Fails when any credential appears in `text` (named `what`).
fn no_credential(what: &str, text: &str) {
    for secret in [MQTT_PASSWORD, SASL_PASSWORD] {
        assert!(!text.contains(secret), "{what} shows a password:\n{text}");
    }
}

#[test]
fn simulate_and_audit_cross_tls_on_both_transports_with_sasl_plain_on_kafka() {
    let env = Secure::start(true);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("truth.jsonl");
    let manifest = manifest.to_str().unwrap();
    let report = dir.path().join("audit.json");
    let (generators, count) = (6u64, 15u64);
    let total = 2 * generators * count;
    let flags = env.flags(&env.pki.ca);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let total_text = total.to_string();
    let mut args = bounded_audit(&flags, &total_text, Some(manifest));
    args.extend(["--report", report.to_str().unwrap(), "-vvv"]);
    let audit = Audit::start_with(&args, &CREDENTIALS);
    let sim = schemactl()
        .args(["simulate", "--register"])
        .args(&flags)
        .args([
            "--faults",
            "wrong-type=2,missing-field=3,not-json=4,unknown-schema-id=5",
        ])
        .args(["--seed", "21", "--rate", "50"])
        .args(["--generators", &generators.to_string()])
        .args([
            "--count",
            &count.to_string(),
            "--manifest",
            manifest,
            "-vvv",
        ])
        .envs(CREDENTIALS)
        .output()
        .unwrap();
    let sim_out = format!(
        "{}{}",
        String::from_utf8_lossy(&sim.stdout),
        String::from_utf8_lossy(&sim.stderr)
    );
    assert!(sim.status.success(), "{sim_out}");
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let score = &doc["expect"]["score"];
    assert_eq!(score["sent"], total, "{sim_out}");
    assert_eq!(
        doc["expect"]["perfect"], true,
        "{score:#}\n{:#}",
        doc["summary"]
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(score["matched"], total, "{score:#}");
    for t in ["mqtt", "kafka"] {
        assert_eq!(doc["summary"][t]["messages"], generators * count, "{t}");
    }
    no_credential("simulate's output", &sim_out);
    no_credential("the audit's stdout", &stdout);
    no_credential("the audit's stderr", &stderr);
    no_credential("the report", &std::fs::read_to_string(&report).unwrap());
    no_credential("the manifest", &std::fs::read_to_string(manifest).unwrap());
}

/// The fleet's own producers as FLEET.md configures them (SASL_SSL + PLAIN with
/// SASL_USERNAME / SASL_PASSWORD; paho-mqtt with TLS), audited over TLS: no violation.
#[test]
fn the_fleets_producers_over_sasl_ssl_and_mqtt_tls_have_no_violation() {
    let env = Secure::start(false);
    super::run_ok(&["register", "--all", "--registry", &env.registry.url]);
    let (generators, count) = (4u64, 20u64);
    let total = (2 * generators * count).to_string();
    let flags = env.flags(&env.pki.ca);
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend([
        "--from-beginning",
        "--max-messages",
        &total,
        "--duration",
        "120s",
        "--format",
        "json",
    ]);
    // The publisher is anonymous; schemactl's MQTT credentials are not set for this broker.
    let audit = Audit::start_with(&args, &CREDENTIALS[2..]);
    let ca = env.pki.ca.to_str().unwrap();
    let (report, producer_out) = fleet_traffic(
        &[
            "--mqtt",
            &format!("127.0.0.1:{}", env.mosquitto.port),
            "--mqtt-ca",
            ca,
            "--kafka",
            &env.tansu.bootstrap(),
            "--kafka-security",
            "SASL_SSL",
            "--kafka-ca",
            ca,
            "--registry",
            &env.registry.url,
            "--generators",
            &generators.to_string(),
            "--count",
            &count.to_string(),
        ],
        &[
            ("SASL_USERNAME", SASL_USER),
            ("SASL_PASSWORD", SASL_PASSWORD),
        ],
    );
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    for t in ["mqtt", "kafka"] {
        let sent = sent_on(&report, t);
        assert_eq!(
            doc["summary"][t]["messages"],
            generators * count,
            "{t}: {doc:#}"
        );
        assert_eq!(doc["summary"][t]["invalid"], 0, "{t}: {doc:#}");
        let cards = cards_on(&doc, t);
        assert_eq!(cards.len(), sent.len(), "{t}: {doc:#}");
        for (id, (messages, _)) in &sent {
            assert_eq!(cards[id.as_str()]["messages"], *messages, "{id} on {t}");
        }
    }
    assert_eq!(code, 0, "{stderr}");
    no_credential("the fleet producer's output", &producer_out);
    no_credential("the audit's output", &format!("{stdout}{stderr}"));
}

/// A broker whose certificate the client cannot verify is refused, on each transport, by
/// `audit` and by `simulate`: exit 3 (infrastructure), a message saying what to check, and
/// no credential in it. Trusting an unrelated CA and trusting only the system's store (which
/// does not know the private CA) are both refusals.
#[test]
fn an_untrusted_certificate_is_refused_with_exit_3_on_both_transports() {
    let env = Secure::start(true);
    let other = env.pki.other_ca.to_str().unwrap().to_string();
    let runs: Vec<(&str, Vec<String>)> = vec![
        (
            "mqtt, an unrelated CA",
            vec![
                "--mqtt".into(),
                env.mosquitto.tls_url(),
                "--mqtt-ca-file".into(),
                other.clone(),
            ],
        ),
        (
            "mqtt, the system's CAs",
            vec!["--mqtt".into(), env.mosquitto.tls_url()],
        ),
        (
            "kafka, an unrelated CA",
            vec![
                "--kafka".into(),
                env.tansu.bootstrap(),
                "-X".into(),
                "security.protocol=SASL_SSL".into(),
                "-X".into(),
                "sasl.mechanism=PLAIN".into(),
                "-X".into(),
                format!("ssl.ca.location={other}"),
            ],
        ),
        (
            "kafka, the system's CAs",
            vec![
                "--kafka".into(),
                env.tansu.bootstrap(),
                "-X".into(),
                "security.protocol=SASL_SSL".into(),
                "-X".into(),
                "sasl.mechanism=PLAIN".into(),
            ],
        ),
    ];
    for (what, flags) in &runs {
        for command in [
            vec!["audit", "--duration", "30s", "--timeout", "5"],
            vec!["simulate", "--count", "1", "--timeout", "5", "--register"],
        ] {
            let text = exits_3(
                schemactl()
                    .args(&command)
                    .args(flags)
                    .args(["--registry", &env.registry.url])
                    .envs(CREDENTIALS),
                &format!("{} with {what}", command[0]),
            );
            no_credential(&format!("{} with {what}", command[0]), &text);
            // librdkafka's own reason, not only "BrokerTransportFailure".
            if what.starts_with("kafka") {
                assert!(
                    text.contains("certificate verify failed"),
                    "{} with {what}: {text}",
                    command[0]
                );
            }
        }
    }
    assert!(
        env.front.handshakes_failed() >= 4,
        "the Kafka clients aborted their handshakes: {}",
        env.front.handshakes_failed()
    );
}

/// A wrong MQTT password over TLS is refused by the broker: exit 3, and neither the password
/// sent nor anything else secret is shown.
#[test]
fn a_wrong_mqtt_password_over_tls_exits_3_without_showing_it() {
    let pki = Pki::generate();
    let mosquitto = Mosquitto::start_tls(&pki, Some((MQTT_USER, MQTT_PASSWORD)));
    let wrong = "wrong-pw-0b7e21c4";
    for command in [
        vec!["audit", "--duration", "30s", "--timeout", "5"],
        vec!["simulate", "--count", "1", "--timeout", "5"],
    ] {
        let text = exits_3(
            schemactl()
                .args(&command)
                .args(["--mqtt", &mosquitto.tls_url(), "--mqtt-ca-file"])
                .arg(&pki.ca)
                .args(["-vvv"])
                .envs([("MQTT_USERNAME", MQTT_USER), ("MQTT_PASSWORD", wrong)]),
            command[0],
        );
        assert!(text.contains("NotAuthorized"), "{}: {text}", command[0]);
        assert!(
            !text.contains(wrong),
            "{} shows the password:\n{text}",
            command[0]
        );
    }
}

/// A wrong SASL password on Kafka (SASL_SSL + PLAIN, as Confluent Cloud takes an API secret)
/// is refused: exit 3 from `audit` and `simulate`, and the password sent is never shown.
#[test]
fn a_wrong_sasl_password_exits_3_without_showing_it() {
    let pki = Pki::generate();
    let registry = services::Registry::start();
    let (tansu, _front) = Tansu::behind_tls(&pki, (SASL_USER, SASL_PASSWORD));
    let wrong = "wrong-sasl-secret-41d9c0";
    let ca = format!("ssl.ca.location={}", pki.ca.display());
    for command in [
        vec!["audit", "--duration", "30s", "--timeout", "5"],
        vec!["simulate", "--count", "1", "--timeout", "5", "--register"],
    ] {
        let text = exits_3(
            schemactl()
                .args(&command)
                .args(["--kafka", &tansu.bootstrap(), "--registry", &registry.url])
                .args([
                    "-X",
                    "security.protocol=SASL_SSL",
                    "-X",
                    "sasl.mechanism=PLAIN",
                ])
                .args(["-X", &ca, "-vvv"])
                .envs([
                    ("KAFKA_SASL_USERNAME", SASL_USER),
                    ("KAFKA_SASL_PASSWORD", wrong),
                ]),
            command[0],
        );
        assert!(
            !text.contains(wrong),
            "{} shows the password:\n{text}",
            command[0]
        );
        assert!(!text.contains(SASL_PASSWORD), "{}:\n{text}", command[0]);
        // librdkafka's reason, as the broker gave it, not only "BrokerTransportFailure".
        let line = text
            .lines()
            .find(|l| l.contains("cannot reach the Kafka cluster"))
            .unwrap_or_else(|| panic!("{}: {text}", command[0]));
        assert!(
            line.contains("SASL authentication error: Authentication failed"),
            "{}: {line}",
            command[0]
        );
    }
}

/// Runs `command`, which must fail as an infrastructure error (exit 3); both its streams as one
/// text. `what` names the run in a failure.
#[track_caller]
fn exits_3(command: &mut std::process::Command, what: &str) -> String {
    let out = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3), "{what}: {text}");
    text
}
