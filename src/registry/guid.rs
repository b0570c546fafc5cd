//! Schema GUIDs (Confluent Schema Registry 8): a UUID naming a schema's content across every
//! registry and context, carried by Kafka records in wire format V1 (`0x01` + 16 bytes).
//!
//! Confluent derives it from the MD5 digest of the content, and so does schemactl's registry,
//! so that a GUID means the same schema in both: the schema text (UTF-8); each reference's name,
//! subject and version (4 bytes, big-endian); then, when present, a `0x01` marker and the
//! metadata (tags, properties, sensitive names, each in sorted order), and a `0x01` marker and
//! the rule set (each rule's name, doc, kind, mode, type, tags, params, expression and actions).

use super::model::SchemaReference;
use serde_json::Value;
use uuid::Uuid;

/// The GUID of a schema with its references, metadata and rule set.
pub fn schema_guid(
    text: &str,
    references: &[SchemaReference],
    metadata: Option<&Value>,
    rule_set: Option<&Value>,
) -> Uuid {
    let mut input = Vec::with_capacity(text.len() + 64);
    input.extend_from_slice(text.as_bytes());
    for r in references {
        input.extend_from_slice(r.name.as_bytes());
        input.extend_from_slice(r.subject.as_bytes());
        input.extend_from_slice(&r.version.to_be_bytes());
    }
    if let Some(m) = metadata.filter(|m| !m.is_null()) {
        input.push(1);
        hash_metadata(&mut input, m);
    }
    if let Some(rs) = rule_set.filter(|r| !r.is_null()) {
        input.push(1);
        for list in ["migrationRules", "domainRules", "encodingRules"] {
            for rule in rs.get(list).and_then(Value::as_array).into_iter().flatten() {
                hash_rule(&mut input, rule);
            }
        }
    }
    let digest = openssl::hash::hash(openssl::hash::MessageDigest::md5(), &input)
        .map(|d| d.to_vec())
        .unwrap_or_default();
    // OpenSSL without MD5 (a FIPS-only build) leaves the digest empty: the nil UUID then names
    // no schema rather than the wrong one.
    Uuid::from_slice(&digest).unwrap_or_default()
}

fn push_str(input: &mut Vec<u8>, v: Option<&Value>) {
    if let Some(s) = v.and_then(Value::as_str) {
        input.extend_from_slice(s.as_bytes());
    }
}

/// The strings of a JSON array, sorted (Confluent keeps them in sorted sets).
fn sorted_strings(v: Option<&Value>) -> Vec<&str> {
    let mut out: Vec<&str> = v
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The entries of a JSON object, sorted by key (Confluent keeps them in sorted maps).
fn sorted_entries(v: Option<&Value>) -> Vec<(&String, &Value)> {
    let mut out: Vec<(&String, &Value)> =
        v.and_then(Value::as_object).into_iter().flatten().collect();
    out.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out
}

fn hash_metadata(input: &mut Vec<u8>, m: &Value) {
    for (key, values) in sorted_entries(m.get("tags")) {
        input.extend_from_slice(key.as_bytes());
        for v in sorted_strings(Some(values)) {
            input.extend_from_slice(v.as_bytes());
        }
    }
    for (key, value) in sorted_entries(m.get("properties")) {
        input.extend_from_slice(key.as_bytes());
        push_str(input, Some(value));
    }
    for s in sorted_strings(m.get("sensitive")) {
        input.extend_from_slice(s.as_bytes());
    }
}

fn hash_rule(input: &mut Vec<u8>, rule: &Value) {
    for field in ["name", "doc", "kind", "mode", "type"] {
        push_str(input, rule.get(field));
    }
    for t in sorted_strings(rule.get("tags")) {
        input.extend_from_slice(t.as_bytes());
    }
    for (key, value) in sorted_entries(rule.get("params")) {
        input.extend_from_slice(key.as_bytes());
        push_str(input, Some(value));
    }
    for field in ["expr", "onSuccess", "onFailure"] {
        push_str(input, rule.get(field));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected values computed independently:
    // python3 -c 'import hashlib,uuid; print(uuid.UUID(bytes=hashlib.md5(b"...").digest()))'
    #[test]
    fn is_the_md5_of_the_content_as_a_uuid() {
        let text = r#"{"type":"object"}"#;
        assert_eq!(
            schema_guid(text, &[], None, None).to_string(),
            "01fc056e-ed58-c88f-e1c5-07fcd84dd4b7"
        );
        // References: name, subject, then the version as 4 big-endian bytes.
        let refs = [SchemaReference {
            name: "a.json".into(),
            subject: "a-value".into(),
            version: 2,
        }];
        assert_eq!(
            schema_guid(text, &refs, None, None).to_string(),
            "25307f49-b721-6d64-e39e-4eef5c02b136"
        );
        // Metadata: a 0x01 marker, then properties in key order.
        let meta = json!({"properties": {"owner": "fleet", "confluent:reserved": "cost"}});
        assert_eq!(
            schema_guid(text, &[], Some(&meta), None).to_string(),
            "e649f83c-fcab-11da-e184-829a12c1015d"
        );
        // A rule set: a 0x01 marker, then each rule's fields that are present.
        let rules = json!({"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true", "disabled": false}]});
        assert_eq!(
            schema_guid(text, &[], None, Some(&rules)).to_string(),
            "f3d4f313-0788-889e-b396-d0642bc02d1e"
        );
    }
}
