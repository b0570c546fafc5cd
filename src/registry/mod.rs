//! The Confluent Schema Registry: wire types shared by the client and the embedded server, and
//! the client. The REST contract is the one in `docs/confluent-registry-api.md` (see the README).

pub mod client;
pub mod model;

pub use client::{CompatCheck, CompatScope, RegistryClient, RegistryError, encode_subject};
