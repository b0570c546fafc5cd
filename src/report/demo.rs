//! `schemactl demo` as a person reads it: what started and what runs (stderr, before the run),
//! then the scorecard and what the audit found against the faults the demo injected (stdout).

use crate::demo::DemoPlan;
use crate::demo::in_process::{Ran, Started};
use std::fmt::Write as _;

/// The lines said once the services listen: where they are, what is registered and produced,
/// and which generators misbehave on purpose.
pub fn started(plan: &DemoPlan, started: &Started) -> String {
    let contract = &plan.contract;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "schemactl demo: schema registry {}, MQTT broker {}, Kafka mock cluster {}",
        started.registry_url, started.services.mqtt_url, started.services.kafka_bootstrap
    );
    let misbehaving =
        super::simulate::misbehaving(&plan.faults.by_producer(contract.simulator.as_ref()));
    let _ = writeln!(
        out,
        "registering contract \"{}\" v1..v{} under {}; {} generators × {}/s for {:.0} s on MQTT and Kafka\nmisbehaving on purpose: {}",
        contract.name,
        plan.history.len(),
        contract.subject,
        plan.generators,
        plan.rate,
        plan.duration.as_secs_f64(),
        if misbehaving.is_empty() {
            "none".into()
        } else {
            misbehaving.join(", ")
        }
    );
    if let Some(model) = &contract.simulator {
        let (lo, hi) = model.interval;
        let _ = writeln!(
            out,
            "the fleet's model, sped up: its generators read once every {}–{} s each; the demo has them read {}× a second (--rate)",
            lo.as_secs_f64(),
            hi.as_secs_f64(),
            plan.rate
        );
    }
    out
}

/// The demo's result: the scorecard, what was sent and audited, the misbehaving generators
/// found, missed and wrongly flagged, and the rules the fleet's own readings break.
pub fn text(plan: &DemoPlan, ran: &Ran) -> String {
    let contract = &plan.contract;
    let outcome = &ran.outcome;
    let title = format!(
        "\naudit of contract \"{}\" (subject {}) over MQTT and Kafka",
        contract.name, contract.subject
    );
    let mut out = super::audit::scorecard_text(&outcome.card, &title);
    let found = outcome.findings(contract);
    let _ = writeln!(
        out,
        "\nsent {} MQTT message(s) and {} Kafka record(s), audited {}",
        outcome.sent.mqtt, outcome.sent.kafka, found.audited
    );
    let _ = writeln!(
        out,
        "found {} of {} misbehaving generator(s): {}",
        found.found.len(),
        found.misbehaving,
        if found.found.is_empty() {
            "-".into()
        } else {
            found
                .found
                .iter()
                .map(|(g, how)| format!("{g} ({how})"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if !found.missed.is_empty() {
        let _ = writeln!(out, "missed: {}", found.missed.join(", "));
    }
    if !found.wrongly_flagged.is_empty() {
        let _ = writeln!(
            out,
            "flagged but compliant: {}",
            found.wrongly_flagged.join(", ")
        );
    }
    for r in &found.fleet_rules {
        let _ = writeln!(
            out,
            "the fleet's own readings: {} of {} that break rule {} as its producers make them reported, from {} generator(s){}",
            r.detected,
            r.expected,
            r.rule,
            r.generators,
            r.doc
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(out, "done in {:.1} s", ran.elapsed.as_secs_f64());
    out
}
