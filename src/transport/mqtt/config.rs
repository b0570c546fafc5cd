//! MQTT connection settings: broker URL, protocol version, credentials, TLS, keep-alive, QoS and
//! the largest packet accepted.

use crate::transport::{Secret, TransportError};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The password environment variable (a password on a command line is visible to other users).
pub const ENV_PASSWORD: &str = "MQTT_PASSWORD";
/// The user-name environment variable.
pub const ENV_USERNAME: &str = "MQTT_USERNAME";

/// MQTT's own limit on a packet: 256 MiB. Sniffers accept this much so that an oversized
/// payload is counted and reported instead of killing the connection (rumqttc's default is
/// 10 KiB).
pub const MQTT_MAX_PACKET: usize = 268_435_455;

/// The MQTT protocol version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
pub enum MqttVersion {
    /// MQTT 3.1.1.
    #[default]
    #[serde(rename = "3.1.1")]
    #[value(name = "3.1.1")]
    V311,
    /// MQTT 5.
    #[serde(rename = "5")]
    #[value(name = "5")]
    V5,
}

/// Quality of service for subscriptions and publications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
pub enum Qos {
    /// At most once.
    #[default]
    #[serde(rename = "0")]
    #[value(name = "0")]
    AtMostOnce,
    /// At least once.
    #[serde(rename = "1")]
    #[value(name = "1")]
    AtLeastOnce,
}

/// How to reach an MQTT broker.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://host[:1883]` or `mqtts://host[:8883]`; credentials do not belong in the URL.
    pub url: String,
    /// Protocol version (`3.1.1` or `5`).
    #[serde(default)]
    pub version: MqttVersion,
    /// Client id; a unique one is made up when absent.
    #[serde(default)]
    pub client_id: Option<String>,
    /// User name (also `MQTT_USERNAME`).
    #[serde(default)]
    pub username: Option<String>,
    /// Password (also `MQTT_PASSWORD`); never printed.
    #[serde(default)]
    pub password: Option<Secret>,
    /// PEM bundle of the CAs to trust for `mqtts://` (default: the system's).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS.
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    /// PEM (PKCS#8) private key of the client certificate.
    #[serde(default)]
    pub client_key: Option<PathBuf>,
    /// Seconds between pings when the connection is idle.
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u16,
    /// QoS of subscriptions and publications.
    #[serde(default)]
    pub qos: Qos,
    /// The largest packet accepted or sent, in bytes.
    #[serde(default = "default_max_packet")]
    pub max_packet_bytes: usize,
}

fn default_keep_alive() -> u16 {
    30
}

fn default_max_packet() -> usize {
    MQTT_MAX_PACKET
}

impl MqttConfig {
    /// Settings for `url` with every default.
    pub fn new(url: impl Into<String>) -> MqttConfig {
        MqttConfig {
            url: url.into(),
            version: MqttVersion::default(),
            client_id: None,
            username: None,
            password: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            keep_alive_secs: default_keep_alive(),
            qos: Qos::default(),
            max_packet_bytes: default_max_packet(),
        }
    }

    /// Fills the user name and password from `MQTT_USERNAME` / `MQTT_PASSWORD` where unset.
    pub fn with_env(mut self) -> MqttConfig {
        if self.username.is_none() {
            self.username = std::env::var(ENV_USERNAME).ok().filter(|s| !s.is_empty());
        }
        if self.password.is_none() {
            self.password = std::env::var(ENV_PASSWORD)
                .ok()
                .filter(|s| !s.is_empty())
                .map(Secret::new);
        }
        self
    }

    /// The keep-alive interval.
    pub fn keep_alive(&self) -> Duration {
        Duration::from_secs(u64::from(self.keep_alive_secs.max(5)))
    }

    /// Parses the URL into host, port and whether to use TLS.
    pub fn endpoint(&self) -> Result<Endpoint, TransportError> {
        let bad = |why: &str| {
            TransportError::Config(format!(
                "MQTT broker URL {}: {why}\nhelp: write mqtt://HOST[:1883] or mqtts://HOST[:8883]",
                redact_url(&self.url)
            ))
        };
        let url = url::Url::parse(&self.url).map_err(|e| bad(&e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TransportError::Config(format!(
                "MQTT broker URL {} carries credentials\nhelp: set {ENV_USERNAME} and {ENV_PASSWORD} instead, or username/password under [mqtt] in schemactl.toml",
                redact_url(&self.url)
            )));
        }
        let tls = match url.scheme() {
            "mqtt" | "tcp" => false,
            "mqtts" | "ssl" => true,
            other => return Err(bad(&format!("unknown scheme \"{other}\""))),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port().unwrap_or(if tls { 8883 } else { 1883 });
        Ok(Endpoint { host, port, tls })
    }

    /// The TLS connector for `mqtts://`: OpenSSL through native-tls, the tree's one TLS stack.
    pub(crate) fn tls_connector(
        &self,
    ) -> Result<rumqttc::tokio_native_tls::native_tls::TlsConnector, TransportError> {
        use rumqttc::tokio_native_tls::native_tls::{Certificate, Identity, TlsConnector};
        let read = |what: &str, path: &PathBuf| {
            std::fs::read(path).map_err(|e| {
                TransportError::Config(format!("cannot read MQTT {what} {}: {e}", path.display()))
            })
        };
        let mut builder = TlsConnector::builder();
        if let Some(path) = &self.ca_file {
            let pem = read("CA bundle", path)?;
            let certs = Certificate::stack_from_pem(&pem).map_err(|e| {
                TransportError::Config(format!("MQTT CA bundle {}: {e}", path.display()))
            })?;
            if certs.is_empty() {
                return Err(TransportError::Config(format!(
                    "MQTT CA bundle {} holds no PEM certificate",
                    path.display()
                )));
            }
            for cert in certs {
                builder.add_root_certificate(cert);
            }
        }
        match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => {
                let identity = Identity::from_pkcs8(&read("client certificate", cert)?, &read("client key", key)?)
                    .map_err(|e| {
                        TransportError::Config(format!(
                            "MQTT client certificate {} and key {}: {e}\nhelp: the key must be PEM PKCS#8 (openssl pkcs8 -topk8 -nocrypt)",
                            cert.display(),
                            key.display()
                        ))
                    })?;
                builder.identity(identity);
            }
            (None, None) => {}
            _ => {
                return Err(TransportError::Config(
                    "an MQTT client certificate needs both the certificate and its key".into(),
                ));
            }
        }
        builder
            .build()
            .map_err(|e| TransportError::Config(format!("MQTT TLS setup: {e}")))
    }
}

/// Where a broker listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether to speak TLS.
    pub tls: bool,
}

/// The URL with any user info removed, for messages.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(_) => raw.to_string(),
        Err(_) => "(unparsable URL)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints() {
        let e = MqttConfig::new("mqtt://127.0.0.1").endpoint().unwrap();
        assert_eq!((e.host.as_str(), e.port, e.tls), ("127.0.0.1", 1883, false));
        let e = MqttConfig::new("mqtts://broker.example:9883")
            .endpoint()
            .unwrap();
        assert_eq!((e.port, e.tls), (9883, true));
        assert!(MqttConfig::new("http://x").endpoint().is_err());
    }

    #[test]
    fn refuses_credentials_in_the_url_without_echoing_them() {
        let err = MqttConfig::new("mqtt://fleet:hunter2@host")
            .endpoint()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains(ENV_PASSWORD), "{err}");
    }

    #[test]
    fn config_refuses_unknown_keys() {
        let err =
            toml::from_str::<MqttConfig>("url = \"mqtt://h\"\npasword = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let ok: MqttConfig =
            toml::from_str("url = \"mqtt://h\"\nversion = \"5\"\nqos = \"1\"\n").unwrap();
        assert_eq!((ok.version, ok.qos), (MqttVersion::V5, Qos::AtLeastOnce));
    }
}
