//! The Confluent Schema Registry: the wire types, the client, and the embedded server. Both
//! sides follow the REST contract in `docs/confluent-registry-api.md` (see the README).

pub mod client;
pub mod guid;
pub mod model;
pub mod server;

pub use client::{
    CompatCheck, CompatScope, LevelConfig, RegistryClient, RegistryError, SubjectSettings,
    encode_subject,
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
