//! Kafka connection settings: bootstrap servers and any librdkafka property, passed through as
//! kcat's `-X key=value` does. Secret properties are never printed.

use crate::transport::TransportError;
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// SASL user name from the environment (Confluent Cloud: the API key).
pub const ENV_SASL_USERNAME: &str = "KAFKA_SASL_USERNAME";
/// SASL password from the environment (Confluent Cloud: the API secret).
pub const ENV_SASL_PASSWORD: &str = "KAFKA_SASL_PASSWORD";

/// How to reach a Kafka cluster.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// `host:port[,host:port...]`.
    pub bootstrap_servers: String,
    /// librdkafka properties (`security.protocol`, `sasl.mechanism`, `sasl.username`, ...).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// Whether a librdkafka property holds a secret.
pub fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password")
        || key.contains("secret")
        || key.ends_with(".pem")
        || key == "sasl.oauthbearer.config"
}

impl fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .properties
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_secret(k) {
                        "<redacted>"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("KafkaConfig")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("properties", &shown)
            .finish()
    }
}

/// librdkafka's own words for the last broker connection that failed (a certificate that did
/// not verify, SASL authentication refused), taken from its log: the error a request returns
/// says only "BrokerTransportFailure".
#[derive(Clone, Default)]
pub(crate) struct BrokerReason(Arc<Mutex<Option<String>>>);

impl BrokerReason {
    /// Keeps `message` when librdkafka logs a connection failure (`FAIL`) or an error.
    pub(crate) fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        let error = matches!(
            level,
            RDKafkaLogLevel::Emerg
                | RDKafkaLogLevel::Alert
                | RDKafkaLogLevel::Critical
                | RDKafkaLogLevel::Error
        );
        if (error || fac == "FAIL")
            && let Ok(mut last) = self.0.lock()
        {
            // Log lines start with the thread's name, "[thrd:...]: ".
            let text = match message.strip_prefix("[thrd:") {
                Some(rest) => rest.split_once("]: ").map_or(message, |(_, text)| text),
                None => message,
            };
            *last = Some(text.to_string());
        }
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", "librdkafka: {fac} {message}")
            }
            RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "librdkafka", "librdkafka: {fac} {message}")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "librdkafka: {fac} {message}")
            }
            RDKafkaLogLevel::Debug => {
                tracing::debug!(target: "librdkafka", "librdkafka: {fac} {message}")
            }
        }
    }

    /// Keeps a global error's reason, unless it only says that every broker is down.
    pub(crate) fn error(&self, error: &KafkaError, reason: &str) {
        use rdkafka::types::RDKafkaErrorCode;
        if error.rdkafka_error_code() != Some(RDKafkaErrorCode::AllBrokersDown)
            && let Ok(mut last) = self.0.lock()
        {
            *last = Some(reason.to_string());
        }
    }

    /// The last reason logged, if any.
    pub(crate) fn last(&self) -> Option<String> {
        self.0.lock().ok().and_then(|l| l.clone())
    }
}

/// A client context that keeps [`BrokerReason`]; global errors are logged as rdkafka's default
/// context does.
#[derive(Clone, Default)]
pub(crate) struct ReasonContext {
    pub(crate) reason: BrokerReason,
}

impl ClientContext for ReasonContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.reason.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.reason.error(&error, reason);
        tracing::debug!("librdkafka: {error}: {reason}");
    }
}

impl KafkaConfig {
    /// Settings for `bootstrap` with no extra property.
    pub fn new(bootstrap: impl Into<String>) -> KafkaConfig {
        KafkaConfig {
            bootstrap_servers: bootstrap.into(),
            properties: BTreeMap::new(),
        }
    }

    /// Adds `key=value` properties (kcat's `-X`); later ones win.
    pub fn with_properties<'a>(
        mut self,
        pairs: impl IntoIterator<Item = &'a str>,
    ) -> Result<KafkaConfig, TransportError> {
        for pair in pairs {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                let shown = pair.split_once('=').map_or(pair, |(k, _)| k);
                TransportError::Config(format!(
                    "-X {shown}: expected key=value (a librdkafka property, as kcat takes it)"
                ))
            })?;
            let k = k.trim();
            if k == "bootstrap.servers" {
                self.bootstrap_servers = v.trim().to_string();
            } else {
                self.properties.insert(k.to_string(), v.to_string());
            }
        }
        Ok(self)
    }

    /// Fills `sasl.username` / `sasl.password` from `KAFKA_SASL_USERNAME` / `KAFKA_SASL_PASSWORD`
    /// where unset.
    pub fn with_env(mut self) -> KafkaConfig {
        for (env, key) in [
            (ENV_SASL_USERNAME, "sasl.username"),
            (ENV_SASL_PASSWORD, "sasl.password"),
        ] {
            if !self.properties.contains_key(key)
                && let Some(v) = std::env::var(env).ok().filter(|v| !v.is_empty())
            {
                self.properties.insert(key.to_string(), v);
            }
        }
        self
    }

    /// The librdkafka configuration: ours first, then the user's properties (which win).
    pub(crate) fn client_config(&self, ours: &[(&str, &str)]) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in ours {
            c.set(*k, *v);
        }
        for (k, v) in &self.properties {
            c.set(k, v);
        }
        c
    }

    /// A librdkafka error as a sentence that never contains a secret value.
    pub(crate) fn describe(&self, e: &KafkaError) -> String {
        let text = match e {
            KafkaError::ClientConfig(_, desc, key, _) => {
                format!("invalid librdkafka property \"{key}\": {desc}")
            }
            other => other.to_string(),
        };
        self.redact(text)
    }

    /// Like [`Self::describe`], followed by librdkafka's reason for the last failed broker
    /// connection when it logged one (a request's error alone does not say why).
    pub(crate) fn describe_with(&self, e: &KafkaError, reason: &BrokerReason) -> String {
        let text = self.describe(e);
        match reason.last() {
            Some(why) => format!("{text} (librdkafka: {})", self.redact(why)),
            None => text,
        }
    }

    fn redact(&self, mut text: String) -> String {
        for (k, v) in &self.properties {
            if is_secret(k) && !v.is_empty() {
                text = text.replace(v.as_str(), "<redacted>");
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_pass_through_and_secrets_stay_hidden() {
        let cfg = KafkaConfig::new("127.0.0.1:9092")
            .with_properties([
                "security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.password=hunter2",
            ])
            .unwrap();
        assert_eq!(cfg.properties["security.protocol"], "SASL_SSL");
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(KafkaConfig::new("x").with_properties(["nonsense"]).is_err());
    }

    #[test]
    fn the_reason_librdkafka_logged_is_named_without_secrets() {
        use rdkafka::types::RDKafkaErrorCode;
        let cfg = KafkaConfig::new("127.0.0.1:1")
            .with_properties(["sasl.password=hunter2"])
            .unwrap();
        let reason = BrokerReason::default();
        let err = KafkaError::MetadataFetch(RDKafkaErrorCode::BrokerTransportFailure);
        assert_eq!(cfg.describe_with(&err, &reason), cfg.describe(&err));
        reason.log(
            RDKafkaLogLevel::Error,
            "FAIL",
            "[thrd:sasl_ssl://b:9092/bootstrap]: sasl_ssl://b:9092/bootstrap: SASL authentication error: Authentication failed (hunter2)",
        );
        // Neither a debug line nor "every broker is down" replaces the reason.
        reason.log(RDKafkaLogLevel::Debug, "BROKER", "state change");
        reason.error(
            &KafkaError::Global(RDKafkaErrorCode::AllBrokersDown),
            "1/1 brokers are down",
        );
        let text = cfg.describe_with(&err, &reason);
        assert!(
            text.ends_with(
                "(librdkafka: sasl_ssl://b:9092/bootstrap: SASL authentication error: Authentication failed (<redacted>))"
            ),
            "{text}"
        );
        assert!(text.contains("BrokerTransportFailure"), "{text}");
    }

    #[test]
    fn librdkafka_errors_never_echo_secrets() {
        let cfg = KafkaConfig::new("127.0.0.1:1")
            .with_properties(["sasl.pasword=hunter2"])
            .unwrap();
        let Err(err) = cfg
            .client_config(&[])
            .create::<rdkafka::producer::BaseProducer>()
        else {
            panic!("a misspelt property must be refused");
        };
        let text = cfg.describe(&err);
        assert!(text.contains("sasl.pasword"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
