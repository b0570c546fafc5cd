//! The reference producer: a fleet of generators whose payloads are valid against the
//! contract's newest schema, some of them turned into misbehaving producers, with the ground
//! truth written down.

pub mod fault;
pub mod fleet;
pub mod pace;
pub mod plan;
pub mod run;

pub use fault::{Fault, FaultPlan, FaultSpecError};
pub use plan::Request;
