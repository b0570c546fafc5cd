//! The one test harness every integration-test crate shares: `mod common;` from a crate at the
//! top of `tests/`, `#[path = "../common/mod.rs"] mod common;` from a crate in a folder. Each
//! crate uses only some of it.
//!
//! - [`cli`]: running the binary under test (colour off, nothing from the caller's environment);
//! - [`git`]: git in a scratch project, for the base-ref checks;
//! - [`services`]: `schemactl registry serve` as a process, and waiting for a child's output;
//! - [`brokers`]: Mosquitto and Tansu on free loopback ports;
//! - [`kafka_front`]: a Kafka protocol front that caps Fetch for librdkafka;
//! - [`fleet`]: the registry, Mosquitto and Tansu of one live run, and the flags for them;
//! - [`tls`]: a throwaway PKI and TLS fronts for the brokers;
//! - [`interop`]: the scripts in `tests/interop/` under the real Python and Node clients.
#![allow(dead_code)]

pub mod brokers;
pub mod cli;
pub mod fleet;
pub mod git;
pub mod interop;
pub mod kafka_front;
pub mod services;
pub mod tls;
