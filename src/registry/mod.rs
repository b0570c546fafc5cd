//! The Confluent Schema Registry: the wire types, the client, the use cases built on it
//! (publishing contracts), and the embedded server. Both sides follow the REST contract in
//! `docs/confluent-registry-api.md` (see the README).

pub mod browse;
pub mod client;
pub mod delete;
pub mod guid;
pub mod levels;
pub mod model;
pub mod publish;
pub mod pull;
pub mod server;

pub use client::{
    CompatCheck, CompatScope, LevelConfig, LevelSource, RegistryClient, RegistryError,
    SubjectSettings, encode_subject,
};

/// The registry's words for a person: at most `max` characters, saying how much was left out
/// (the JSON output keeps them whole). Registries quote whole schemas in their messages.
pub fn shorten(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!(
        "{kept}… ({} more characters; --format json has them all)",
        total - max
    )
}

/// Pretty-prints schema text that is JSON; other text is returned as it is.
pub fn pretty(schema: &str) -> String {
    serde_json::from_str::<serde_json::Value>(schema)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| schema.to_string())
}
