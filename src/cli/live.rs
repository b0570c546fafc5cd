//! Flags and helpers shared by the commands that touch live traffic (`simulate`, `audit`):
//! broker connections, the registry and durations.

use super::Failure;
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

/// The contract named, or the only one in the catalog under `--root`.
pub fn contract(cli: &super::Cli, name: Option<&str>) -> Result<crate::catalog::Contract, Failure> {
    crate::catalog::Catalog::at(&cli.root)
        .contract(name)
        .map_err(Failure::from)
}

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
        .map_err(super::Failure::from)
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
