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
