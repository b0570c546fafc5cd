//! `schemactl simulate`'s closing lines (stderr): the Kafka topic as found or created, what was
//! registered, what was sent, and which generators misbehaved on purpose.

use crate::simulate::Fault;
use crate::simulate::run::Summary;
use crate::transport::kafka::TopicState;
use std::fmt::Write as _;

/// Each misbehaving producer as `ID FAULT (SHARE%)`, from [`crate::simulate::FaultPlan::by_producer`].
pub fn misbehaving(faults: &[(String, Fault, f64)]) -> Vec<String> {
    faults
        .iter()
        .map(|(id, f, p)| format!("{id} {f} ({:.0}%)", p * 100.0))
        .collect()
}

/// What the simulator says once it stopped. `kafka_topic` is the contract's topic when Kafka
/// was produced to; `faults` are the misbehaving producers.
pub fn summary_text(
    summary: &Summary,
    kafka_topic: Option<&str>,
    faults: &[(String, Fault, f64)],
) -> String {
    let mut out = String::new();
    if let (Some(state), Some(k)) = (summary.topic, kafka_topic) {
        let _ = match state {
            TopicState::Existed { partitions } => {
                writeln!(out, "Kafka topic \"{k}\": {partitions} partition(s)")
            }
            TopicState::Created { partitions } => {
                writeln!(
                    out,
                    "created Kafka topic \"{k}\" with {partitions} partition(s)"
                )
            }
        };
    }
    for r in &summary.registered {
        let _ = writeln!(out, "registered schema id {} under \"{}\"", r.id, r.subject);
    }
    if summary.schema_id.is_some() && summary.registered.is_empty() {
        let _ = writeln!(
            out,
            "nothing registered: the registry already held every schema used"
        );
    }
    if let Some((subject, id)) = &summary.foreign {
        let _ = writeln!(
            out,
            "foreign-schema-id frames records with schema id {id} of subject \"{subject}\""
        );
    }
    let faulty = misbehaving(faults);
    let _ = writeln!(
        out,
        "sent {} MQTT message(s) and {} Kafka record(s) in {:.1} s, {} with a fault{}{}",
        summary.mqtt,
        summary.kafka,
        summary.elapsed.as_secs_f64(),
        summary.faulty,
        match (summary.schema_guid, summary.schema_id) {
            (Some(guid), _) => format!(
                "; Kafka records carry schema GUID {} in the __value_schema_id header",
                uuid::Uuid::from_bytes(guid)
            ),
            (None, Some(id)) => format!("; Kafka values carry schema id {id}"),
            (None, None) => String::new(),
        },
        if faulty.is_empty() {
            String::new()
        } else {
            format!("\nmisbehaving: {}", faulty.join(", "))
        }
    );
    out
}
