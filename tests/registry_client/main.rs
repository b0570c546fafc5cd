//! The registry commands against the real binary: end to end against schemactl's own registry,
//! and against registries that misbehave. Nothing leaves the loopback interface.

#[path = "../common/mod.rs"]
mod common;
use common::{brokers, services};

mod bad_registries;
mod end_to_end;
mod fake;

pub use common::cli::{Run, schemactl_env, temp};
