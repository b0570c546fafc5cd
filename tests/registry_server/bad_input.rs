//! Bad and odd input: versions out of range, subject names with `/`, `..`, spaces and unicode,
//! and the same schema registered by 20 clients at once.

use crate::{Api, body, enc, generator, generator_v1};
use serde_json::{Value, json};

#[tokio::test]
async fn invalid_versions_are_42202_on_every_endpoint_taking_one() {
    let api = Api::start();
    api.register("gen-value", &generator_v1()).await;
    for v in [
        "0",
        "abc",
        "2147483648",
        "-2",
        "1.5",
        "99999999999999999999",
        "%20",
    ] {
        api.get(&format!("/subjects/gen-value/versions/{v}"))
            .await
            .error(422, 42202);
        api.get(&format!("/subjects/gen-value/versions/{v}/schema"))
            .await
            .error(422, 42202);
        api.delete(&format!("/subjects/gen-value/versions/{v}"))
            .await
            .error(422, 42202);
        api.post(
            &format!("/compatibility/subjects/gen-value/versions/{v}"),
            &body(&generator_v1()),
        )
        .await
        .error(422, 42202);
    }
    // The edges of the valid range.
    api.get("/subjects/gen-value/versions/2147483647")
        .await
        .error(404, 40402);
    api.get("/subjects/gen-value/versions/1").await.ok();
    api.get("/subjects/gen-value/versions/LATEST").await.ok();
}

#[tokio::test]
async fn subject_names_are_stored_verbatim() {
    let api = Api::start();
    let names = [
        "fleet/generators-value",
        "a/../b",
        "x..y",
        "with space",
        " leading and trailing ",
        "générateur-température-值",
        "emoji-⛽-value",
        "percent%2Fliteral",
        "question?mark#hash",
    ];
    let mut ids = Vec::new();
    for name in names {
        ids.push(api.register(name, &generator_v1()).await);
        let path = enc(name);
        assert_eq!(
            api.get(&format!("/subjects/{path}/versions")).await.ok(),
            &json!([1]),
            "{name}"
        );
        let record = api.get(&format!("/subjects/{path}/versions/1")).await;
        assert_eq!(record.ok()["subject"], name);
        let lookup = api
            .post(&format!("/subjects/{path}"), &body(&generator_v1()))
            .await;
        assert_eq!(lookup.ok()["subject"], name);
        api.put(
            &format!("/config/{path}"),
            &json!({"compatibility": "FULL"}),
        )
        .await
        .ok();
        assert_eq!(
            api.get(&format!("/config/{path}")).await.ok()["compatibilityLevel"],
            "FULL"
        );
    }
    assert!(ids.iter().all(|&id| id == ids[0]));
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort();
    assert_eq!(api.get("/subjects").await.ok(), &json!(sorted));
    assert_eq!(
        api.get(&format!("/schemas/ids/{}/subjects", ids[0]))
            .await
            .ok(),
        &json!(sorted)
    );
    // Deleting one leaves the others alone.
    api.delete(&format!("/subjects/{}", enc("a/../b")))
        .await
        .ok();
    api.get(&format!("/subjects/{}/versions", enc("a/../b")))
        .await
        .error(404, 40401);
    api.get(&format!("/subjects/{}/versions", enc("x..y")))
        .await
        .ok();
}

#[tokio::test]
async fn the_same_schema_from_20_concurrent_clients_gets_one_id_and_one_version() {
    let api = Api::start();
    let url = api.registry.url.clone();
    let schema = generator_v1();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let url = url.clone();
            let req = body(&schema).to_string();
            tokio::spawn(async move {
                // One client each: separate connections, as separate producers would have.
                let client = reqwest::Client::new();
                let resp = client
                    .post(format!("{url}/subjects/gen-value/versions"))
                    .header("content-type", crate::VND)
                    .body(req)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([1])
    );
}

#[tokio::test]
async fn distinct_schemas_from_20_concurrent_clients_get_distinct_ids_and_dense_versions() {
    let api = Api::start();
    api.set_level("gen-value", "NONE").await;
    let url = api.registry.url.clone();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let url = url.clone();
            let mut schema = generator("number", json!({}));
            schema["description"] = json!(format!("revision {i}"));
            let req = body(&schema).to_string();
            tokio::spawn(async move {
                let resp = reqwest::Client::new()
                    .post(format!("{url}/subjects/gen-value/versions"))
                    .header("content-type", crate::VND)
                    .body(req)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    let versions: Vec<i64> = (1..=20).collect();
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!(versions)
    );
}

#[tokio::test]
async fn boolean_query_flags_read_as_java_does() {
    // Confluent's Python client sends `normalize=False`, `verbose=True`.
    let api = Api::start();
    api.register("gen-value", &generator_v1()).await;
    let reply = api
        .post(
            "/compatibility/subjects/gen-value/versions/latest?verbose=True&normalize=False",
            &body(&generator("string", json!({}))),
        )
        .await;
    assert!(reply.ok()["messages"].is_array(), "{reply:?}");
    api.delete("/subjects/gen-value").await.ok();
    assert_eq!(
        api.get("/subjects?deleted=TRUE").await.ok(),
        &json!(["gen-value"])
    );
    assert_eq!(api.get("/subjects?deleted=yes").await.ok(), &json!([]));
}
