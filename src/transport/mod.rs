//! Transports: MQTT and Kafka, each a small folder (`config`, `source` for sniffing, `sink` for
//! the simulator). They move raw bytes with their metadata and know nothing of schemas.

pub mod kafka;
pub mod mqtt;

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Which transport a message travelled on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// MQTT (3.1.1 or 5).
    Mqtt,
    /// Kafka.
    Kafka,
}

impl TransportKind {
    /// The lowercase name used in reports and manifests.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Mqtt => "mqtt",
            TransportKind::Kafka => "kafka",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A credential: never printed, redacted in `Debug` (the one type for every credential).
pub use crate::config::Secret;

/// What went wrong on a transport. Messages never contain credentials.
#[derive(Debug, Error)]
pub enum TransportError {
    /// The settings are wrong (bad URL, unreadable certificate, unknown property).
    #[error("{0}")]
    Config(String),
    /// The broker could not be reached or refused us.
    #[error("{0}")]
    Connect(String),
    /// A send or receive failed after connecting.
    #[error("{0}")]
    Io(String),
    /// The consumer's position was out of the partition's range and was reset: records between
    /// the old position and the new one were not read.
    #[error("{0}")]
    OffsetReset(String),
}

impl TransportError {
    /// Whether the user's settings are at fault (exit 2) rather than the infrastructure (exit 3).
    pub fn is_config(&self) -> bool {
        matches!(self, TransportError::Config(_))
    }
}

impl crate::Classified for TransportError {
    /// The exit code: 2 for settings the user got wrong, 3 when the broker failed us.
    fn exit(&self) -> crate::Exit {
        if self.is_config() {
            crate::Exit::Usage
        } else {
            crate::Exit::Infrastructure
        }
    }
}
