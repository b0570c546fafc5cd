//! The services one live run of the fleet needs: `schemactl registry serve`, Mosquitto, and
//! Tansu with the contract's topic, and the flags that point a command at all three.

use super::brokers::{Mosquitto, Tansu};
use super::cli::bounded_audit;
use super::services::Registry;

/// The contract's Kafka topic, as FLEET.md names it.
pub const TOPIC: &str = "emergency_generator";

/// A registry, Mosquitto and Tansu, each on a free loopback port.
pub struct Fleet {
    pub registry: Registry,
    pub mosquitto: Mosquitto,
    pub tansu: Tansu,
    /// Mosquitto's URL.
    pub mqtt: String,
    /// Tansu's bootstrap address.
    pub kafka: String,
}

impl Fleet {
    /// Starts the three, and creates [`TOPIC`] with three partitions.
    pub fn start() -> Fleet {
        let registry = Registry::start();
        let mosquitto = Mosquitto::start();
        let tansu = Tansu::start();
        tansu.create_topic(TOPIC, 3);
        let (mqtt, kafka) = (mosquitto.url(), tansu.bootstrap());
        Fleet {
            registry,
            mosquitto,
            tansu,
            mqtt,
            kafka,
        }
    }

    /// `--mqtt URL --kafka BOOTSTRAP --registry URL`.
    pub fn transports(&self) -> [&str; 6] {
        [
            "--mqtt",
            &self.mqtt,
            "--kafka",
            &self.kafka,
            "--registry",
            &self.registry.url,
        ]
    }

    /// An audit's flags: [`Fleet::transports`], then [`bounded_audit`]'s.
    pub fn audit_args<'a>(&'a self, total: &'a str, expect: Option<&'a str>) -> Vec<&'a str> {
        bounded_audit(&self.transports(), total, expect)
    }
}
