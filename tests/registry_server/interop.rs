//! Clients users run, unmodified, against the embedded registry: confluent-kafka-python
//! (SchemaRegistryClient, JSONSerializer, JSONDeserializer), the Rust
//! `schema_registry_converter`, and on Node `@kafkajs/confluent-schema-registry` and Confluent's
//! `@confluentinc/schemaregistry` (scripts in `tests/interop/node/`).

use crate::common::interop;
use crate::{Api, generator_v1};
use schema_registry_converter::async_impl::json::{JsonDecoder, JsonEncoder};
use schema_registry_converter::async_impl::schema_registry::{
    SrSettings, get_all_subjects, get_all_versions, get_schema_by_id, get_schema_by_subject,
    is_compatible_schema, post_schema,
};
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedSchema,
};
use serde_json::json;

#[tokio::test]
async fn confluent_kafka_python_client_serializer_and_deserializer() {
    python_client("confluent_python.py", "py");
}

/// Runs one of the Python scripts in `tests/interop/` against a fresh registry (its URL, then
/// `arg`); they print that all their checks passed.
pub fn python_client(script: &str, arg: &str) {
    let api = Api::start();
    interop::python(script, &[&api.registry.url, arg], &[], || {
        format!("server log:\n{}", api.registry.stderr.text())
    })
    .says(&["all interop checks passed"]);
}

fn supplied(schema: &serde_json::Value) -> SuppliedSchema {
    SuppliedSchema::new(None, SchemaType::Json, schema.to_string())
}

#[tokio::test]
async fn schema_registry_converter_registers_encodes_and_decodes() {
    let api = Api::start();
    let settings = SrSettings::new(api.registry.url.clone());
    let v1 = generator_v1();

    let registered = post_schema(&settings, "rs-value".into(), supplied(&v1))
        .await
        .expect("post_schema");
    let by_id = get_schema_by_id(registered.id, &settings)
        .await
        .expect("get_schema_by_id");
    assert_eq!(by_id.schema_type, SchemaType::Json);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&by_id.schema).unwrap(),
        v1
    );
    let latest = get_schema_by_subject(
        &settings,
        &SubjectNameStrategy::TopicNameStrategy("rs".into(), false),
    )
    .await
    .expect("latest by subject");
    assert_eq!(latest.id, registered.id);
    assert_eq!(latest.version, Some(1));
    assert_eq!(get_all_subjects(&settings).await.unwrap(), vec!["rs-value"]);
    assert_eq!(
        get_all_versions(&settings, "rs-value".into())
            .await
            .unwrap(),
        vec![1]
    );
    let mut broken = v1.clone();
    broken["properties"]["fuel"] = json!({"type": "string"});
    assert!(
        !is_compatible_schema(&settings, "rs-value".into(), supplied(&broken))
            .await
            .unwrap()
    );
    let mut retitled = v1.clone();
    retitled["title"] = json!("Reading");
    assert!(
        is_compatible_schema(&settings, "rs-value".into(), supplied(&retitled))
            .await
            .unwrap()
    );

    // Encode with the schema (registers it under "telemetry-value"), decode from the id.
    let encoder = JsonEncoder::new(settings.clone());
    let reading = json!({"generatorID": "gen-0042", "lat": 48.85, "lon": 2.35, "fuel": 63.0});
    let bytes = encoder
        .encode(
            &reading,
            SubjectNameStrategy::TopicNameStrategyWithSchema(
                "telemetry".into(),
                false,
                supplied(&v1),
            ),
        )
        .await
        .expect("encode");
    assert_eq!(bytes[0], 0);
    assert_eq!(
        u32::from_be_bytes(bytes[1..5].try_into().unwrap()),
        registered.id,
        "the same schema has the same id under another subject"
    );
    let decoder = JsonDecoder::new(settings);
    let decoded = decoder
        .decode(Some(&bytes))
        .await
        .expect("decode")
        .expect("a value");
    assert_eq!(decoded.value, reading);
    assert_eq!(decoded.schema.id, registered.id);
    // The encoder validates against the registered schema.
    let invalid = json!({"generatorID": 42, "lat": 0, "lon": 0});
    assert!(
        encoder
            .encode(
                &invalid,
                SubjectNameStrategy::TopicNameStrategyWithSchema(
                    "telemetry".into(),
                    false,
                    supplied(&v1)
                ),
            )
            .await
            .is_err()
    );
}

/// Runs one of the Node scripts in `tests/interop/node/` against a fresh registry. Never skips:
/// a missing Node or client package fails with the command that installs it.
fn node_client(script: &str) {
    let api = Api::start();
    interop::node(script, &[&api.registry.url], || {
        format!("server log:\n{}", api.registry.stderr.text())
    })
    .says(&["all interop checks passed"]);
}

#[test]
fn kafkajs_confluent_schema_registry_registers_encodes_and_decodes() {
    node_client("kafkajs.js");
}

#[test]
fn confluentinc_schemaregistry_serde_config_and_cel_rule() {
    node_client("confluent.js");
}
