//! Flags and helpers shared by the commands that touch live traffic (`simulate`, `audit`):
//! broker connections, the registry, durations, and the scorecard as text.

use super::Failure;
use crate::audit::Scorecard;
use crate::audit::expect::Score;
use crate::transport::kafka::KafkaConfig;
use crate::transport::mqtt::{MqttConfig, MqttVersion, Qos};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the MQTT broker.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "MQTT")]
pub struct MqttArgs {
    /// Broker URL: mqtt://HOST[:1883] or mqtts://HOST[:8883].
    #[arg(long, value_name = "URL")]
    pub mqtt: Option<String>,
    /// Protocol version.
    #[arg(long, value_enum, default_value = "3.1.1", value_name = "VERSION")]
    pub mqtt_version: MqttVersion,
    /// Quality of service.
    #[arg(long, value_enum, default_value = "1", value_name = "QOS")]
    pub mqtt_qos: Qos,
    /// User name (the password is read from MQTT_PASSWORD only).
    #[arg(long, env = "MQTT_USERNAME", value_name = "NAME")]
    pub mqtt_username: Option<String>,
    /// PEM bundle of CAs to trust for mqtts:// (default: the system's).
    #[arg(long, value_name = "FILE")]
    pub mqtt_ca_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "mqtt_client_key")]
    pub mqtt_client_cert: Option<PathBuf>,
    /// PEM (PKCS#8) key of the client certificate.
    #[arg(long, value_name = "FILE", requires = "mqtt_client_cert")]
    pub mqtt_client_key: Option<PathBuf>,
    /// Keep-alive interval in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub mqtt_keep_alive: u16,
}

impl MqttArgs {
    /// The connection settings, if `--mqtt` was given.
    pub fn config(&self) -> Option<MqttConfig> {
        let url = self.mqtt.as_ref()?;
        let mut c = MqttConfig::new(url.clone());
        c.version = self.mqtt_version;
        c.qos = self.mqtt_qos;
        c.username = self.mqtt_username.clone();
        c.ca_file = self.mqtt_ca_file.clone();
        c.client_cert = self.mqtt_client_cert.clone();
        c.client_key = self.mqtt_client_key.clone();
        c.keep_alive_secs = self.mqtt_keep_alive;
        Some(c.with_env())
    }
}

/// A `-X key=value` librdkafka property; redacted in `Debug` (it may be a password).
#[derive(Clone)]
pub struct Property(pub String);

impl std::str::FromStr for Property {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Property(s.to_string()))
    }
}

impl std::fmt::Debug for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.split_once('=') {
            Some((k, _)) => write!(f, "{k}=<redacted>"),
            None => f.write_str("<redacted>"),
        }
    }
}

/// How to reach the Kafka cluster.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Kafka")]
pub struct KafkaArgs {
    /// Bootstrap servers: HOST:PORT[,HOST:PORT...].
    #[arg(long, value_name = "BOOTSTRAP")]
    pub kafka: Option<String>,
    /// A librdkafka property, as kcat takes it (repeatable): -X security.protocol=SASL_SSL
    /// -X sasl.mechanism=PLAIN. Prefer KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD for credentials.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub property: Vec<Property>,
}

impl KafkaArgs {
    /// The connection settings, if `--kafka` was given.
    pub fn config(&self) -> Result<Option<KafkaConfig>, Failure> {
        let Some(bootstrap) = &self.kafka else {
            return Ok(None);
        };
        KafkaConfig::new(bootstrap.clone())
            .with_properties(self.property.iter().map(|p| p.0.as_str()))
            .map(|c| Some(c.with_env()))
            .map_err(|e| Failure::Input(e.into()))
    }
}

/// Where the schema registry is: the one set of flags every command that talks to one takes.
pub use super::registry::RegistryArgs;

/// Parses `500ms`, `15s`, `2m`, `1h` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("\"{s}\" is not a duration (e.g. 500ms, 15s, 2m, 1h)"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "unknown unit \"{other}\" in \"{s}\" (use ms, s, m or h)"
            ));
        }
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("\"{s}\" is not a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub use crate::report::rfc3339;

/// The scorecard as a person reads it.
pub fn scorecard_text(card: &Scorecard, title: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    if card.summary.is_empty() {
        let _ = writeln!(out, "no messages seen");
    }
    for (t, s) in &card.summary {
        let pct = if s.messages == 0 {
            0.0
        } else {
            100.0 * s.invalid as f64 / s.messages as f64
        };
        let _ = writeln!(
            out,
            "{t:<6} {} messages, {} invalid ({pct:.1}%){}",
            s.messages,
            s.invalid,
            if s.gaps.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} gap(s): {}",
                    s.gaps.len(),
                    s.gaps
                        .iter()
                        .map(|g| if g.partition.is_some() {
                            g.reason.clone()
                        } else {
                            format!(
                                "{:.1} s blind until {} ({})",
                                g.millis as f64 / 1000.0,
                                rfc3339(g.regained_at_millis),
                                g.reason
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        );
        if s.replayed > 0 {
            let _ = writeln!(
                out,
                "{:<6} {} message(s) delivered again and not counted again",
                "", s.replayed
            );
        }
    }
    if !card.producers.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<16} {:<9} {:>9} {:>8}  {:<10} {:<24} {:<24} VIOLATIONS",
            "PRODUCER", "TRANSPORT", "MESSAGES", "INVALID", "VERSIONS", "FIRST SEEN", "LAST SEEN"
        );
        // Worst first; many compliant producers are one line after the table.
        let summary = crate::report::audit::compliant_line(card);
        for p in card
            .worst_first()
            .into_iter()
            .filter(|p| summary.is_none() || p.invalid > 0)
        {
            let pct = 100.0 * p.invalid as f64 / p.messages.max(1) as f64;
            let versions = if p.schema_versions.is_empty() {
                "-".to_string()
            } else {
                p.schema_versions
                    .iter()
                    .map(|v| format!("v{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let kinds = if p.violations.is_empty() {
                "-".to_string()
            } else {
                p.violations
                    .iter()
                    .map(|(k, n)| format!("{k}×{n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(
                out,
                "{:<16} {:<9} {:>9} {:>7.1}%  {:<10} {:<24} {:<24} {kinds}",
                p.producer,
                p.transport.name(),
                p.messages,
                pct,
                versions,
                rfc3339(p.first_seen_millis),
                rfc3339(p.last_seen_millis),
            );
        }
        if let Some(line) = &summary {
            let _ = writeln!(out, "{line}");
        }
        let wrong: Vec<String> = card
            .worst_first()
            .into_iter()
            .filter_map(|p| {
                p.what_is_wrong()
                    .map(|w| format!("{} on {}: {w}", p.producer, p.transport.name()))
            })
            .collect();
        if !wrong.is_empty() {
            let _ = writeln!(out, "\nwhat is wrong, worst first:");
            for line in wrong {
                let _ = writeln!(out, "  {line}");
            }
        }
        for p in card
            .producers
            .iter()
            .filter(|p| !p.other_schemas.is_empty())
        {
            let contract = p
                .schema_versions
                .iter()
                .map(|v| format!("v{v}"))
                .collect::<Vec<_>>()
                .join(",");
            let _ = writeln!(
                out,
                "{} on {} named {}: judged by it and by the contract's {contract}",
                p.producer,
                p.transport.name(),
                p.other_schemas
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let rules = card.violations_by_rule();
    if !rules.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<28} {:<8} {:>10}  PRODUCERS",
            "RULE", "ACTION", "VIOLATIONS"
        );
        for (rule, t) in &rules {
            let producers = card
                .producers
                .iter()
                .filter_map(|p| {
                    p.rules
                        .get(rule)
                        .map(|n| format!("{}/{}×{n}", p.producer, p.transport.name()))
                })
                .collect::<Vec<_>>()
                .join(" ");
            let action = match &t.dlq_topic {
                Some(topic) => format!("DLQ → {topic}"),
                None => t.action.clone(),
            };
            let errors = if t.errors > 0 {
                format!(" ({} could not be evaluated)", t.errors)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{rule:<28} {action:<8} {:>10}  {producers}{errors}",
                t.violations
            );
        }
    }
    for (version, of) in &card.rules_borrowed {
        let _ = writeln!(
            out,
            "rules: payloads of v{version} were checked against v{of}'s rules (the contract's history holds no rule set for v{version})"
        );
    }
    for v in card
        .violations
        .iter()
        .filter(|v| v.kind == crate::validate::ViolationKind::NO_TRAFFIC)
    {
        let _ = writeln!(
            out,
            "\nerror[NO_TRAFFIC]: {}\nhelp: check the topic names and that the producers run; --allow-empty accepts a quiet window",
            v.message
        );
    }
    out
}

/// The live progress display of `audit` and `simulate`: a spinner on stderr when both stdout and stderr are terminals, else a hidden one (a pipe, a
/// file or a test reads the output, and must not get the display's redraws).
pub fn progress_bar(initial: &str) -> indicatif::ProgressBar {
    if !(std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    bar.set_message(initial.to_string());
    bar
}

/// The registry behind the [`SchemaLookup`](crate::validate::resolver::SchemaLookup) seam.
pub type Lookup = crate::registry::RegistryClient;

/// The registry client, if a URL is configured: `--registry`, `SCHEMA_REGISTRY_URL`, or url
/// under [registry] in schemactl.toml, with that file's credentials and TLS settings.
pub fn lookup(cli: &super::Cli, args: &RegistryArgs) -> Result<Option<Lookup>, Failure> {
    let config = crate::config::Config::load(&cli.root, cli.config.as_deref())
        .map_err(|e| Failure::Input(e.into()))?;
    let settings = config.registry.with_url_flag(args.registry.as_deref());
    if settings.url.is_none() {
        return Ok(None);
    }
    crate::registry::RegistryClient::new(&settings)
        .map(Some)
        .map_err(super::registry::failure)
}

/// A ratio as a percentage, or "n/a" when there was nothing to divide.
fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// The score against a simulator manifest, as a person reads it.
pub fn score_text(s: &Score) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nagainst the manifest: {} sent, {} seen, {} matched once, {} missing, {} unexpected, {} false alarm(s) on compliant messages",
        s.sent, s.seen, s.matched, s.missing, s.unexpected, s.false_alarms
    );
    let _ = writeln!(
        out,
        "{:<20} {:>8} {:>9} {:>9} {:>10} {:>8}",
        "FAULT", "SENT", "DETECTED", "FALSE+", "PRECISION", "RECALL"
    );
    for f in &s.faults {
        let _ = writeln!(
            out,
            "{:<20} {:>8} {:>9} {:>9} {:>10} {:>8}",
            f.fault.name(),
            f.sent,
            f.detected,
            f.false_positives,
            percent(f.precision),
            percent(f.recall)
        );
    }
    for r in &s.fleet_rules {
        let _ = writeln!(
            out,
            "the fleet's own readings break rule {}: {} expected (as its firmware sends them, not a fault), {} reported",
            r.rule, r.expected, r.detected
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if s.perfect() {
            "score: perfect"
        } else {
            "score: NOT perfect"
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_dates() {
        assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("soon").is_err());
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_000_000_123), "2026-11-18T11:06:40.123Z");
    }

    #[test]
    fn properties_are_redacted_in_debug() {
        let p: Property = "sasl.password=hunter2".parse().unwrap();
        assert_eq!(format!("{p:?}"), "sasl.password=<redacted>");
    }
}
