//! Every error of the contract: status, `error_code`, message and content type. One test per
//! code, named after it. (50001, a failing SQLite, is covered by the unit tests of the error
//! mapping: it cannot be provoked from outside without corrupting the disk.)

use crate::{Api, body, generator, generator_v1};
use serde_json::json;

async fn with_v1() -> Api {
    let api = Api::start();
    api.register("gen-value", &generator_v1()).await;
    api
}

#[tokio::test]
async fn e40401_subject_not_found() {
    let api = with_v1().await;
    let m = api
        .get("/subjects/nobody/versions")
        .await
        .error(404, 40401)
        .to_string();
    assert_eq!(m, "Subject 'nobody' not found.");
    api.get("/subjects/nobody/versions/1")
        .await
        .error(404, 40401);
    api.post("/subjects/nobody", &body(&generator_v1()))
        .await
        .error(404, 40401);
    api.delete("/subjects/nobody").await.error(404, 40401);
}

#[tokio::test]
async fn e40402_version_not_found() {
    let api = with_v1().await;
    let m = api
        .get("/subjects/gen-value/versions/2")
        .await
        .error(404, 40402)
        .to_string();
    assert_eq!(m, "Version 2 not found.");
    api.delete("/subjects/gen-value/versions/2")
        .await
        .error(404, 40402);
}

#[tokio::test]
async fn e40403_schema_not_found() {
    let api = with_v1().await;
    let m = api
        .get("/schemas/ids/99")
        .await
        .error(404, 40403)
        .to_string();
    assert_eq!(m, "Schema 99 not found");
    api.get("/schemas/ids/99/schema").await.error(404, 40403);
    api.get("/schemas/ids/99/subjects").await.error(404, 40403);
    api.get("/schemas/ids/99/versions").await.error(404, 40403);
    api.get("/schemas/ids/notanumber").await.error(404, 40403);
    // Lookup of a schema not under the subject.
    api.post("/subjects/gen-value", &body(&json!({"type": "string"})))
        .await
        .error(404, 40403);
}

#[tokio::test]
async fn e40404_subject_soft_deleted() {
    let api = with_v1().await;
    api.delete("/subjects/gen-value").await.ok();
    api.delete("/subjects/gen-value")
        .await
        .error_says(404, 40404, &["permanent=true"]);
}

#[tokio::test]
async fn e40405_subject_not_soft_deleted_before_permanent_delete() {
    let api = with_v1().await;
    api.delete("/subjects/gen-value?permanent=true")
        .await
        .error(404, 40405);
    api.get("/subjects/gen-value/versions/1").await.ok();
}

#[tokio::test]
async fn e40406_version_soft_deleted() {
    let api = with_v1().await;
    api.delete("/subjects/gen-value/versions/1").await.ok();
    api.delete("/subjects/gen-value/versions/1")
        .await
        .error(404, 40406);
}

#[tokio::test]
async fn e40407_version_not_soft_deleted_before_permanent_delete() {
    let api = with_v1().await;
    api.delete("/subjects/gen-value/versions/1?permanent=true")
        .await
        .error(404, 40407);
}

#[tokio::test]
async fn e40408_no_subject_level_compatibility() {
    let api = with_v1().await;
    let m = api
        .get("/config/gen-value")
        .await
        .error(404, 40408)
        .to_string();
    assert_eq!(
        m,
        "Subject 'gen-value' does not have subject-level compatibility configured"
    );
    api.delete("/config/gen-value").await.error(404, 40408);
}

#[tokio::test]
async fn e40409_no_subject_level_mode() {
    let api = with_v1().await;
    api.get("/mode/gen-value").await.error(404, 40409);
    // Confluent answers a DELETE of a mode that is not there with 40401.
    api.delete("/mode/gen-value").await.error(404, 40401);
}

#[tokio::test]
async fn e40901_incompatible_schema() {
    let api = with_v1().await;
    let m = api
        .post(
            "/subjects/gen-value/versions",
            &body(&generator("string", json!({}))),
        )
        .await
        .error(409, 40901)
        .to_string();
    assert!(
        m.starts_with(
            "Schema being registered is incompatible with an earlier schema for subject \"gen-value\", details: [{errorType:\"TYPE_CHANGED\""
        ),
        "{m}"
    );
}

#[tokio::test]
async fn e42201_invalid_schema_with_the_parsers_message() {
    let api = Api::start();
    let cases = [
        (
            json!({"schemaType": "JSON", "schema": "{\"type\": \"strin\"}"}),
            "unknown type \"strin\"",
        ),
        (
            json!({"schemaType": "JSON", "schema": "{\"type\": 5}"}),
            "invalid `type` at #/type",
        ),
        (
            json!({"schemaType": "JSON", "schema": "{\"minimum\": \"x\"}"}),
            "invalid `minimum`",
        ),
        (
            json!({"schemaType": "JSON", "schema": "[1, 2]"}),
            "not a JSON Schema",
        ),
        (
            json!({"schemaType": "JSON", "schema": "{not json"}),
            "invalid JSON",
        ),
        (
            json!({"schemaType": "JSON", "schema": "{\"$ref\": \"#/definitions/missing\"}"}),
            "does not resolve",
        ),
        // A missing schemaType means AVRO, which this registry does not serve.
        (json!({"schema": "{\"type\": \"string\"}"}), "AVRO"),
        (
            json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";"}),
            "PROTOBUF",
        ),
    ];
    for (req, expected) in cases {
        let reply = api.post("/subjects/bad/versions", &req).await;
        let m = reply.error(422, 42201);
        assert!(
            m.starts_with("Invalid schema: ") && m.contains(expected),
            "{req} → {m}"
        );
        // The compatibility endpoints validate the same way.
        api.post("/compatibility/subjects/bad/versions", &req)
            .await
            .error(422, 42201);
    }
    api.get("/subjects/bad/versions").await.error(404, 40401);
}

#[tokio::test]
async fn e42202_invalid_version() {
    let api = with_v1().await;
    api.get("/subjects/gen-value/versions/0").await.error_says(
        422,
        42202,
        &["'0' is not a valid version"],
    );
}

#[tokio::test]
async fn e42203_invalid_compatibility_level() {
    let api = with_v1().await;
    api.put("/config", &json!({"compatibility": "SIDEWAYS"}))
        .await
        .error_says(422, 42203, &["FULL_TRANSITIVE"]);
    api.put("/config/gen-value", &json!({"compatibility": "SIDEWAYS"}))
        .await
        .error(422, 42203);
    api.put("/config", &json!({})).await.error(422, 42203);
}

#[tokio::test]
async fn e42204_invalid_mode() {
    let api = with_v1().await;
    api.put("/mode", &json!({"mode": "WRITEONLY"}))
        .await
        .error(422, 42204);
    api.put("/mode/gen-value", &json!({"mode": "READONLY_OVERRIDE"}))
        .await
        .error(422, 42204);
}

#[tokio::test]
async fn e42205_operation_not_permitted() {
    let api = with_v1().await;
    api.put("/mode", &json!({"mode": "READONLY"})).await.ok();
    api.post(
        "/subjects/gen-value/versions",
        &body(&json!({"type": "object"})),
    )
    .await
    .error_says(422, 42205, &["read-only"]);
    api.delete("/subjects/gen-value/versions/1")
        .await
        .error(422, 42205);
    // READONLY_OVERRIDE wins over a subject's own READWRITE.
    api.put("/mode/gen-value", &json!({"mode": "READWRITE"}))
        .await
        .ok();
    api.put("/mode", &json!({"mode": "READONLY_OVERRIDE"}))
        .await
        .ok();
    api.post(
        "/subjects/gen-value/versions",
        &body(&json!({"type": "object"})),
    )
    .await
    .error(422, 42205);
}

#[tokio::test]
async fn e42206_reference_exists() {
    let api = with_v1().await;
    let mut req = body(&json!({"type": "object"}));
    req["references"] = json!([{"name": "g.json", "subject": "gen-value", "version": 1}]);
    api.post("/subjects/fleet/versions", &req).await.ok();
    api.delete("/subjects/gen-value/versions/1")
        .await
        .error_says(422, 42206, &["subject=gen-value,version=1"]);
}

#[tokio::test]
async fn e42209_schema_too_large() {
    let api = Api::start();
    let padding = "x".repeat(1 << 20);
    let big = json!({"type": "object", "description": padding});
    api.post("/subjects/big/versions", &body(&big))
        .await
        .error_says(422, 42209, &["1048576"]);
    api.post("/compatibility/subjects/big/versions", &body(&big))
        .await
        .error(422, 42209);
    api.post("/subjects/big", &body(&big))
        .await
        .error(422, 42209);
    // Just under the limit is fine.
    let fits = json!({"type": "object", "description": "x".repeat((1 << 20) - 64)});
    api.register("big", &fits).await;
}

#[tokio::test]
async fn e400_malformed_json_body() {
    let api = Api::start();
    let reply = Api::reply(
        api.request(reqwest::Method::POST, "/subjects/s/versions")
            .header("content-type", crate::VND)
            .body("{\"schema\": "),
    )
    .await;
    assert!(reply.error(400, 400).contains("Malformed JSON"));
}

#[tokio::test]
async fn e422_body_of_the_wrong_shape() {
    let api = Api::start();
    for bad in [
        json!({"schemaType": "JSON"}),
        json!({"schema": 42}),
        json!(["not", "an", "object"]),
    ] {
        api.post("/subjects/s/versions", &bad).await.error(422, 422);
    }
    api.put("/config", &json!({"compatibility": 7}))
        .await
        .error(422, 422);
    api.put("/mode", &json!({})).await.error(422, 422);
}

#[tokio::test]
async fn e415_unsupported_content_type() {
    let api = Api::start();
    for ct in [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
    ] {
        let reply = Api::reply(
            api.request(reqwest::Method::POST, "/subjects/s/versions")
                .header("content-type", ct)
                .body(body(&generator_v1()).to_string()),
        )
        .await;
        assert!(reply.error(415, 415).contains(ct));
    }
}

#[tokio::test]
async fn e413_request_body_over_the_server_limit() {
    let api = Api::start();
    let reply = Api::reply(
        api.request(reqwest::Method::POST, "/subjects/s/versions")
            .header("content-type", crate::VND)
            .body(vec![b' '; 17 << 20]),
    )
    .await;
    reply.error(413, 413);
}

#[tokio::test]
async fn e404_unknown_endpoint_and_e405_wrong_method() {
    let api = Api::start();
    api.get("/nothing/here").await.error(404, 404);
    api.put("/subjects", &json!({})).await.error(405, 405);
    api.delete("/schemas/types").await.error(405, 405);
}
