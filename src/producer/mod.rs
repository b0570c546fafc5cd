//! What the audit and the simulator both know about producers: who sent a message
//! ([`Attribution`]), the ways a producer misbehaves ([`Fault`]), and the ground truth of what a
//! fleet sent ([`manifest`]), which the simulator writes and the audit scores against.

mod attribution;
mod fault;
pub mod manifest;

pub use attribution::{Attribution, UNKNOWN_PRODUCER};
pub use fault::Fault;
