//! One message's checks: framing (Kafka), the schema, and who sent it. Attribution prefers the
//! transport's word (the Kafka key, the MQTT topic level): that is the channel the message came
//! through, and a payload naming someone else is itself the finding.

use crate::producer::{Attribution, UNKNOWN_PRODUCER};
use crate::validate::rules::RuleEngine;
use crate::validate::{PayloadValidator, Violation, ViolationKind};

/// What the checks concluded about one message.
#[derive(Debug, Default)]
pub struct Inspection {
    /// Who sent it.
    pub producer: String,
    /// Everything wrong.
    pub violations: Vec<Violation>,
}

/// Checks a bare payload against `validator`, then, when it passed, against `rules`, and the
/// identity the transport gave (`channel_id`). `early` is a violation found before the payload
/// (framing, registry), which the payload checks then follow where it makes sense.
pub fn check(
    validator: Option<&PayloadValidator>,
    rules: Option<&RuleEngine>,
    max_bytes: usize,
    payload: &[u8],
    attribution: &Attribution,
    channel_id: Option<&str>,
    early: Option<Violation>,
) -> Inspection {
    let capture = attribution.top_level_key();
    if early.is_none()
        && (capture.is_some() || attribution.pointer.is_none())
        && let Some(v) = validator
        && let Some(payload_id) = v.certify(payload, capture)
    {
        // Valid, read without building a value: the rules read only the fields they use, and
        // the record is parsed in full only to say what failed.
        let failed = match rules {
            Some(r) if !r.passes(payload) => match v.check_parsed(payload) {
                Ok(value) => rule_violations(r, &value),
                Err(e) => vec![e],
            },
            _ => Vec::new(),
        };
        return verdict(channel_id, payload_id, failed);
    }
    let mut violations: Vec<Violation> = early.into_iter().collect();
    let parsed = match validator {
        Some(v) => v.check_parsed(payload),
        None => crate::validate::check_bytes(payload, max_bytes),
    };
    let mut payload_id = None;
    match parsed {
        Err(v) => violations.push(v),
        Ok(value) => {
            if let Some(validator) = validator {
                if validator.value_is_valid(&value) {
                    if let Some(r) = rules {
                        violations.extend(rule_violations(r, &value));
                    }
                } else {
                    violations.extend(validator.check_value(&value));
                }
            }
            payload_id = attribution
                .pointer
                .as_deref()
                .and_then(|p| value.pointer(p))
                .and_then(|v| v.as_str())
                .map(str::to_string);
        }
    }
    verdict(channel_id, payload_id, violations)
}

/// Every rule `record` fails, as violations.
fn rule_violations(rules: &RuleEngine, record: &serde_json::Value) -> Vec<Violation> {
    rules
        .check(record)
        .into_iter()
        .map(Violation::rule)
        .collect()
}

fn verdict(
    channel_id: Option<&str>,
    payload_id: Option<String>,
    mut violations: Vec<Violation>,
) -> Inspection {
    if let (Some(channel), Some(payload)) = (channel_id, payload_id.as_deref())
        && channel != payload
    {
        violations.push(Violation::new(
            ViolationKind::IDENTITY_MISMATCH,
            format!("the topic or key names \"{channel}\" but the payload says \"{payload}\""),
        ));
    }
    Inspection {
        producer: channel_id
            .map(str::to_string)
            .or(payload_id)
            .unwrap_or_else(|| UNKNOWN_PRODUCER.to_string()),
        violations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::KafkaKey;
    use crate::compat::Schema;

    fn validator() -> PayloadValidator {
        let text = std::fs::read_to_string("schemas/generator/v3.json").unwrap();
        PayloadValidator::new(&Schema::parse(serde_json::from_str(&text).unwrap()).unwrap())
            .unwrap()
    }

    fn attribution() -> Attribution {
        Attribution {
            pointer: Some("/generatorID".into()),
            kafka_key: KafkaKey::Producer,
            mqtt_topic_level: Some(1),
        }
    }

    const OK: &[u8] =
        br#"{"generatorID":"generator1","lat":1,"lon":2,"temperature":80,"pressure":300,"fuel":50}"#;

    #[test]
    fn attributes_and_flags_disagreements() {
        let a = attribution();
        let v = validator();
        assert_eq!(
            a.from_topic("generators/generator1/telemetry"),
            Some("generator1")
        );
        assert_eq!(a.from_topic("emergency_generator"), None);
        let ok = check(Some(&v), None, 1 << 20, OK, &a, Some("generator1"), None);
        assert!(ok.violations.is_empty());
        assert_eq!(ok.producer, "generator1");
        let from_payload = check(Some(&v), None, 1 << 20, OK, &a, None, None);
        assert_eq!(from_payload.producer, "generator1");
        let liar = check(Some(&v), None, 1 << 20, OK, &a, Some("generator2"), None);
        assert_eq!(liar.producer, "generator2");
        assert_eq!(liar.violations[0].kind, ViolationKind::IDENTITY_MISMATCH);
        let junk = check(Some(&v), None, 1 << 20, b"\xff", &a, None, None);
        assert_eq!(junk.producer, UNKNOWN_PRODUCER);
        assert_eq!(junk.violations[0].kind, ViolationKind::NOT_UTF8);
    }

    #[test]
    fn a_uuid_key_names_no_one_and_must_be_a_uuid() {
        let a = Attribution {
            kafka_key: KafkaKey::Uuid,
            mqtt_topic_level: None,
            ..attribution()
        };
        let key = b"9f0c1b6e-3f4d-4c2a-8e1f-2b7c5d9a0e31".as_slice();
        assert_eq!(a.from_key(Some(key)), None, "a UUID key names no producer");
        assert_eq!(a.check_key(Some(key)), None);
        let ok = check(
            Some(&validator()),
            None,
            1 << 20,
            OK,
            &a,
            a.from_key(Some(key)),
            None,
        );
        assert!(ok.violations.is_empty(), "{:?}", ok.violations);
        assert_eq!(ok.producer, "generator1");
        for bad in [Some(b"generator1".as_slice()), Some(b"".as_slice()), None] {
            let v = a.check_key(bad).expect("not a UUID");
            assert_eq!(v.kind, ViolationKind::KEY_NOT_UUID, "{bad:?}");
        }
        let none = Attribution {
            kafka_key: KafkaKey::None,
            ..a
        };
        assert_eq!(none.check_key(Some(b"generator1")), None);
        assert_eq!(none.from_key(Some(b"generator1")), None);
    }

    #[test]
    fn hostile_payloads_are_findings() {
        let a = attribution();
        let v = validator();
        let deep = "[".repeat(100_000);
        let r = check(Some(&v), None, 1 << 20, deep.as_bytes(), &a, None, None);
        assert_eq!(r.violations[0].kind, ViolationKind::NOT_JSON);
        let big = vec![b' '; 10 << 20];
        let r = check(Some(&v), None, 1 << 20, &big, &a, None, None);
        assert_eq!(r.violations[0].kind, ViolationKind::OVERSIZE);
        let r = check(Some(&v), None, 1 << 20, b"[1,2,3]", &a, None, None);
        assert_eq!(r.violations[0].kind, ViolationKind::SCHEMA_VIOLATION);
        assert_eq!(r.violations[0].keyword.as_deref(), Some("type"));
    }

    #[test]
    fn rules_run_on_payloads_that_passed_the_schema_on_both_paths() {
        let contract =
            crate::catalog::load_contract(std::path::Path::new("."), "generator").unwrap();
        let sets = crate::audit::RuleSets::of_contract(&contract).unwrap();
        let rules = sets.for_version(3).unwrap().rules;
        let v = validator();
        let dip = br#"{"generatorID":"generator1","lat":1,"lon":2,"temperature":80,"pressure":300,"fuel":-4}"#;
        // The fast path (the id is a top-level key) and the full one (a nested pointer).
        let nested = Attribution {
            pointer: Some("/generatorID/x".into()),
            ..attribution()
        };
        for a in [attribution(), nested] {
            let ok = check(Some(&v), Some(rules), 1 << 20, OK, &a, None, None);
            assert!(ok.violations.is_empty(), "{:?}", ok.violations);
            let r = check(Some(&v), Some(rules), 1 << 20, dip, &a, None, None);
            assert_eq!(r.violations.len(), 1, "{:?}", r.violations);
            assert_eq!(r.violations[0].kind, ViolationKind::RULE_VIOLATION);
            assert_eq!(
                r.violations[0].keyword.as_deref(),
                Some("fuel_not_negative")
            );
            // A schema violation is reported alone: rules run only on what passed.
            let bad = br#"{"generatorID":"generator1","lat":1,"lon":2,"temperature":80,"pressure":300,"fuel":"-4"}"#;
            let r = check(Some(&v), Some(rules), 1 << 20, bad, &a, None, None);
            assert!(
                r.violations
                    .iter()
                    .all(|v| v.kind == ViolationKind::SCHEMA_VIOLATION),
                "{:?}",
                r.violations
            );
        }
    }
}
