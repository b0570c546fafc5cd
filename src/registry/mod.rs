//! The Confluent Schema Registry: wire types shared by the client and the embedded server.
//! The REST contract is the one in `docs/confluent-registry-api.md` (see the README).

pub mod model;
pub mod server;
