//! Who sent a message: where a contract says a producer's identity lives (the payload, the
//! Kafka key, the MQTT topic level). The audit attributes each message by it; the simulator
//! names its generators by it.

use crate::catalog::{Contract, KafkaKey};
use crate::validate::{Violation, ViolationKind};

/// Where a contract says a producer's identity lives.
#[derive(Clone, Debug, Default)]
pub struct Attribution {
    /// JSON pointer to the id in the payload.
    pub pointer: Option<String>,
    /// What the Kafka key is.
    pub kafka_key: KafkaKey,
    /// The MQTT topic level naming the producer.
    pub mqtt_topic_level: Option<usize>,
}

/// The producer name used when nothing identifies the sender.
pub const UNKNOWN_PRODUCER: &str = "unknown";

impl Attribution {
    /// From a contract's `[identity]` and `[kafka] key`.
    pub fn of(contract: &Contract) -> Attribution {
        Attribution {
            pointer: contract.identity.pointer.clone(),
            kafka_key: contract.kafka.as_ref().map_or(KafkaKey::None, |k| k.key),
            mqtt_topic_level: contract.identity.mqtt_topic_level,
        }
    }

    /// The producer an MQTT topic names.
    pub fn from_topic<'a>(&self, topic: &'a str) -> Option<&'a str> {
        let level = self.mqtt_topic_level?;
        topic.split('/').nth(level).filter(|s| !s.is_empty())
    }

    /// The payload key naming the producer, when the pointer is one top-level key (the fast
    /// path reads it while checking).
    pub fn top_level_key(&self) -> Option<&str> {
        let key = self.pointer.as_deref()?.strip_prefix('/')?;
        (!key.contains(['/', '~'])).then_some(key)
    }

    /// The producer a Kafka key names: only a key the contract says is the producer's id; a
    /// UUID key names no one.
    pub fn from_key<'a>(&self, key: Option<&'a [u8]>) -> Option<&'a str> {
        if self.kafka_key != KafkaKey::Producer {
            return None;
        }
        key.and_then(|k| std::str::from_utf8(k).ok())
            .filter(|s| !s.is_empty())
    }

    /// `KEY_NOT_UUID` when the contract says the key is a UUID and this one is not.
    pub fn check_key(&self, key: Option<&[u8]>) -> Option<Violation> {
        if self.kafka_key != KafkaKey::Uuid {
            return None;
        }
        let text = key.map(String::from_utf8_lossy);
        match &text {
            Some(k) if uuid::Uuid::try_parse(k).is_ok() => None,
            Some(k) => Some(Violation::new(
                ViolationKind::KEY_NOT_UUID,
                format!(
                    "the record's key \"{}\" is not a UUID, and the contract says each key is one",
                    k.chars().take(64).collect::<String>()
                ),
            )),
            None => Some(Violation::new(
                ViolationKind::KEY_NOT_UUID,
                "the record has no key, and the contract says each key is a UUID",
            )),
        }
    }
}
