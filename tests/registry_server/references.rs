//! Schema references: `$ref`s into referenced subjects resolved for compatibility, bad
//! references refused with 42201, and nothing ever fetched.

use super::{Api, body, enc};
use crate::services::Registry;
use serde_json::{Value, json};
use std::net::TcpListener;

/// A shared location type, as many records would use it.
fn location(lat_type: &str) -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "lat": {"type": lat_type, "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180}
        },
        "required": ["lat", "lon"]
    })
}

/// A record using the location through the reference named `location.json`.
fn record() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "siteID": {"type": "string"},
            "location": {"$ref": "location.json"},
            "lat": {"$ref": "location.json#/properties/lat"}
        },
        "required": ["siteID", "location"]
    })
}

fn with_references(schema: &Value, references: Value) -> Value {
    let mut req = body(schema);
    req["references"] = references;
    req
}

fn location_ref(version: i64) -> Value {
    json!([{"name": "location.json", "subject": "location", "version": version}])
}

#[tokio::test]
async fn a_change_in_a_referenced_schema_is_checked_where_it_is_used() {
    let api = Api::start();
    api.register("location", &location("number")).await;
    let v1 = with_references(&record(), location_ref(1));
    api.post("/subjects/site-value/versions", &v1).await.ok();

    // The location subject itself takes anything; the record's subject is BACKWARD.
    api.set_level("location", "NONE").await;
    api.register("location", &location("string")).await;

    // The same record text, now naming location v2: the change is found inside the record.
    let v2 = with_references(&record(), location_ref(2));
    let check = api
        .post(
            "/compatibility/subjects/site-value/versions/latest?verbose=true",
            &v2,
        )
        .await;
    assert_eq!(check.ok()["is_compatible"], json!(false), "{check:?}");
    let messages = check.json["messages"].to_string();
    assert!(
        messages.contains("TYPE_CHANGED")
            && messages.contains("#/properties/location/properties/lat"),
        "{messages}"
    );
    api.post("/subjects/site-value/versions", &v2)
        .await
        .error(409, 40901);
    // Naming v1 again is the version already registered.
    let again = api.post("/subjects/site-value/versions", &v1).await;
    assert_eq!(again.ok()["id"], json!(2));
}

#[tokio::test]
async fn a_reference_to_a_missing_subject_or_version_is_42201() {
    let api = Api::start();
    api.register("location", &location("number")).await;
    for (subject, version) in [("nowhere", 1), ("location", 7)] {
        let req = with_references(
            &record(),
            json!([{"name": "location.json", "subject": subject, "version": version}]),
        );
        api.post("/subjects/site-value/versions", &req)
            .await
            .error_says(422, 42201, &[&format!("'{subject}' version {version}")]);
        api.post("/compatibility/subjects/site-value/versions", &req)
            .await
            .error(422, 42201);
    }
    api.get("/subjects/site-value/versions")
        .await
        .error(404, 40401);
}

#[tokio::test]
async fn a_reference_name_used_twice_is_42201() {
    let api = Api::start();
    api.register("location", &location("number")).await;
    api.register("point", &json!({"type": "number"})).await;
    let req = with_references(
        &record(),
        json!([
            {"name": "location.json", "subject": "location", "version": 1},
            {"name": "location.json", "subject": "point", "version": 1}
        ]),
    );
    api.post("/subjects/site-value/versions", &req)
        .await
        .error_says(422, 42201, &["\"location.json\" is used twice"]);
}

#[tokio::test]
async fn a_ref_that_names_no_reference_is_42201() {
    let api = Api::start();
    // No references at all, then a reference under another name.
    for references in [
        json!([]),
        json!([{"name": "loc.json", "subject": "location", "version": 1}]),
    ] {
        api.register("location", &location("number")).await;
        let m = api
            .post(
                "/subjects/site-value/versions",
                &with_references(&record(), references),
            )
            .await
            .error(422, 42201)
            .to_string();
        assert!(
            m.contains("location.json") && m.contains("references"),
            "{m}"
        );
    }
}

#[tokio::test]
async fn a_ref_to_a_url_is_refused_and_nothing_is_fetched() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/location.json", listener.local_addr().unwrap());
    let api = Api::start();
    let schema = json!({"type": "object", "properties": {"location": {"$ref": url}}});
    for path in [
        "/subjects/site-value/versions",
        "/compatibility/subjects/site-value/versions",
        "/subjects/site-value",
    ] {
        let reply = api.post(path, &body(&schema)).await;
        if path == "/subjects/site-value" {
            // A lookup does not parse the schema: the subject is simply unknown.
            reply.error(404, 40401);
        } else {
            let m = reply.error(422, 42201).to_string();
            assert!(m.contains(&url) && m.contains("never fetches"), "{m}");
        }
    }
    // The registry has answered every request, so a fetch would have connected by now.
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the registry connected to the $ref's URL: {other:?}"),
    }
}

/// Registers `location` (its `lat` a number), then `site-value`, whose record references it.
async fn location_then_record(api: &Api) {
    api.register("location", &location("number")).await;
    api.post(
        "/subjects/site-value/versions",
        &with_references(&record(), location_ref(1)),
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_reopened_registry_resolves_its_references_again() {
    let dir = tempfile::tempdir().unwrap();
    {
        let api = Api::on(Registry::start_on(dir.path()));
        location_then_record(&api).await;
        api.registry.terminate();
    }
    let api = Api::on(Registry::start_on(dir.path()));
    api.set_level("location", "NONE").await;
    api.register("location", &location("string")).await;
    // The stored record still parses with its reference, so the check can compare with it.
    let check = api
        .post(
            &format!(
                "/compatibility/subjects/{}/versions/latest",
                enc("site-value")
            ),
            &with_references(&record(), location_ref(2)),
        )
        .await;
    assert_eq!(check.ok()["is_compatible"], json!(false), "{check:?}");
    assert_eq!(
        api.get("/subjects/location/versions/1/referencedby")
            .await
            .ok(),
        &json!([2])
    );
}

#[tokio::test]
async fn a_referenced_version_cannot_be_deleted_soft_or_hard() {
    let api = Api::start();
    location_then_record(&api).await;
    api.delete("/subjects/location/versions/1")
        .await
        .error(422, 42206);
    api.delete("/subjects/location/versions/1?permanent=true")
        .await
        .error(422, 42206);
    api.delete("/subjects/location").await.error(422, 42206);
    // Once the record is gone, the location may go too.
    api.delete("/subjects/site-value").await.ok();
    api.delete("/subjects/site-value?permanent=true").await.ok();
    api.delete("/subjects/location/versions/1").await.ok();
    api.delete("/subjects/location/versions/1?permanent=true")
        .await
        .ok();
}

/// confluent-kafka-python, unmodified: registers a schema with a reference, and its serializer
/// and deserializer use it (tests/interop/references_python.py).
#[tokio::test]
async fn confluent_kafka_python_registers_and_serializes_with_references() {
    super::interop::python_client("references_python.py", "com.example");
}
