//! The parts of Confluent's API document added for completeness (issue 13): `GET /schemas` with
//! its filters and paging, `DELETE /mode` and `DELETE /mode/{subject}`, repeated query
//! parameters, and `application/octet-stream` bodies.

use crate::{Api, body, generator, generator_v1};
use reqwest::Method;
use serde_json::{Value, json};

/// `(subject, version)` of each record in a `GET /schemas` answer, in order.
fn listed(reply: &Value) -> Vec<(String, i64)> {
    reply
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap().to_string(),
                r["version"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|&(s, v)| (s.to_string(), v)).collect()
}

/// Two subjects under `site-`, one under `other-`, each with versions registered out of
/// alphabetical order; `site-b-value` v2 soft-deleted.
async fn three_subjects() -> Api {
    let api = Api::start();
    api.set_level("site-b-value", "NONE").await;
    api.register("site-b-value", &generator_v1()).await;
    api.register("other-value", &json!({"type": "string"}))
        .await;
    api.register("site-a-value", &generator_v1()).await;
    api.register("site-b-value", &generator("string", json!({})))
        .await;
    api.register("site-b-value", &generator("integer", json!({})))
        .await;
    api.delete("/subjects/site-b-value/versions/2").await.ok();
    api
}

#[tokio::test]
async fn list_schemas_sorted_by_subject_then_version_with_full_records() {
    let api = three_subjects().await;
    let all = api.get("/schemas").await;
    assert_eq!(
        listed(all.ok()),
        pairs(&[
            ("other-value", 1),
            ("site-a-value", 1),
            ("site-b-value", 1),
            ("site-b-value", 3)
        ])
    );
    // Each record is the one GET /subjects/{s}/versions/{v} answers.
    for record in all.ok().as_array().unwrap() {
        let path = format!(
            "/subjects/{}/versions/{}",
            record["subject"].as_str().unwrap(),
            record["version"]
        );
        assert_eq!(record, api.get(&path).await.ok(), "{path}");
    }
}

#[tokio::test]
async fn list_schemas_filters_by_prefix_deleted_and_latest_only() {
    let api = three_subjects().await;
    let get = |q: &'static str| {
        let api = &api;
        async move { listed(api.get(&format!("/schemas?{q}")).await.ok()) }
    };
    assert_eq!(
        get("subjectPrefix=site-").await,
        pairs(&[
            ("site-a-value", 1),
            ("site-b-value", 1),
            ("site-b-value", 3)
        ])
    );
    assert_eq!(
        get("subjectPrefix=site-&deleted=true").await,
        pairs(&[
            ("site-a-value", 1),
            ("site-b-value", 1),
            ("site-b-value", 2),
            ("site-b-value", 3)
        ])
    );
    assert_eq!(
        get("latestOnly=true").await,
        pairs(&[("other-value", 1), ("site-a-value", 1), ("site-b-value", 3)])
    );
    assert_eq!(get("subjectPrefix=nothing-").await, pairs(&[]));
    // After v3 is soft-deleted too, the latest live version is v1; with deleted, v3.
    api.delete("/subjects/site-b-value/versions/3").await.ok();
    assert_eq!(
        get("subjectPrefix=site-b&latestOnly=true").await,
        pairs(&[("site-b-value", 1)])
    );
    assert_eq!(
        get("subjectPrefix=site-b&latestOnly=true&deleted=true").await,
        pairs(&[("site-b-value", 3)])
    );
}

#[tokio::test]
async fn list_schemas_pages_with_offset_and_limit() {
    let api = three_subjects().await;
    let get = |q: &'static str| {
        let api = &api;
        async move { listed(api.get(&format!("/schemas?{q}")).await.ok()) }
    };
    assert_eq!(
        get("offset=1&limit=2").await,
        pairs(&[("site-a-value", 1), ("site-b-value", 1)])
    );
    assert_eq!(get("offset=3").await, pairs(&[("site-b-value", 3)]));
    assert_eq!(get("offset=4").await, pairs(&[]));
    // A limit that is not positive is ignored, as is a negative offset.
    assert_eq!(get("limit=0").await.len(), 4);
    assert_eq!(get("limit=-1&offset=-5").await.len(), 4);
    let bad = api.get("/schemas?limit=ten").await;
    assert!(
        bad.error(400, 400).contains("limit=ten"),
        "the message names the parameter: {bad:?}"
    );
}

#[tokio::test]
async fn list_schemas_filters_by_rule_type() {
    let api = Api::start();
    let rule_set = json!({"domainRules": [{
        "name": "fuelInRange", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
        "expr": "message.fuel >= 0.0"
    }]});
    let mut with_rules = body(&generator_v1());
    with_rules["ruleSet"] = rule_set.clone();
    api.post("/subjects/ruled-value/versions", &with_rules)
        .await
        .ok();
    api.register("plain-value", &generator_v1()).await;
    let cel = api.get("/schemas?ruleType=CEL").await;
    assert_eq!(listed(cel.ok()), pairs(&[("ruled-value", 1)]));
    assert_eq!(cel.ok()[0]["ruleSet"], rule_set);
    assert_eq!(
        listed(api.get("/schemas?ruleType=JSONATA").await.ok()),
        pairs(&[])
    );
    assert_eq!(listed(api.get("/schemas?ruleType=").await.ok()).len(), 2);
}

#[tokio::test]
async fn delete_global_mode_reverts_to_readwrite_and_answers_the_old_mode() {
    let api = Api::start();
    assert_eq!(
        api.delete("/mode").await.ok(),
        &json!({"mode": "READWRITE"})
    );
    api.put("/mode", &json!({"mode": "READONLY"})).await.ok();
    api.put("/mode/gen-value", &json!({"mode": "IMPORT"}))
        .await
        .ok();
    assert_eq!(api.delete("/mode").await.ok(), &json!({"mode": "READONLY"}));
    assert_eq!(api.get("/mode").await.ok(), &json!({"mode": "READWRITE"}));
    // Without recursive, subject modes stay.
    assert_eq!(
        api.get("/mode/gen-value").await.ok(),
        &json!({"mode": "IMPORT"})
    );
    api.register("other-value", &generator_v1()).await;
}

#[tokio::test]
async fn delete_global_mode_recursive_removes_subject_modes_too() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::on(crate::services::Registry::start_on(dir.path()));
    api.put("/mode", &json!({"mode": "READONLY"})).await.ok();
    api.put("/mode/a-value", &json!({"mode": "READONLY"}))
        .await
        .ok();
    api.put("/mode/b-value", &json!({"mode": "READWRITE"}))
        .await
        .ok();
    assert_eq!(
        api.delete("/mode?recursive=true").await.ok(),
        &json!({"mode": "READONLY"})
    );
    api.get("/mode/a-value").await.error(404, 40409);
    api.get("/mode/b-value").await.error(404, 40409);
    api.register("a-value", &generator_v1()).await;
    // The removals were stored: a restarted registry has no modes either.
    drop(api);
    let api = Api::on(crate::services::Registry::start_on(dir.path()));
    assert_eq!(api.get("/mode").await.ok(), &json!({"mode": "READWRITE"}));
    api.get("/mode/a-value").await.error(404, 40409);
}

#[tokio::test]
async fn delete_subject_mode_answers_the_removed_mode_or_40401() {
    let api = Api::start();
    api.put("/mode/gen-value", &json!({"mode": "READONLY"}))
        .await
        .ok();
    assert_eq!(
        api.delete("/mode/gen-value").await.ok(),
        &json!({"mode": "READONLY"})
    );
    let m = api.delete("/mode/gen-value").await;
    assert_eq!(m.error(404, 40401), "Subject 'gen-value' not found.");
    // With recursive, nothing to remove is not an error: Confluent answers a null mode, `{}`.
    assert_eq!(
        api.delete("/mode/gen-value?recursive=true").await.ok(),
        &json!({})
    );
}

#[tokio::test]
async fn a_repeated_query_parameter_takes_its_first_value() {
    let api = Api::start();
    api.register("gen-value", &generator_v1()).await;
    api.delete("/subjects/gen-value").await.ok();
    assert_eq!(
        api.get("/subjects?deleted=false&deleted=false").await.ok(),
        &json!([])
    );
    assert_eq!(
        api.get("/subjects?deleted=true&deleted=false").await.ok(),
        &json!(["gen-value"])
    );
    assert_eq!(
        api.get("/subjects?deleted=false&deleted=true").await.ok(),
        &json!([])
    );
    assert_eq!(
        listed(
            api.get("/schemas?deleted=true&deleted=nope&limit=1&limit=x")
                .await
                .ok()
        ),
        pairs(&[("gen-value", 1)])
    );
}

#[tokio::test]
async fn octet_stream_bodies_are_read_as_json() {
    let api = Api::start();
    let octet = |method: Method, path: &str, body: &Value| {
        api.request(method, path)
            .header("content-type", "application/octet-stream")
            .body(body.to_string())
    };
    let registered = Api::reply(octet(
        Method::POST,
        "/subjects/gen-value/versions",
        &body(&generator_v1()),
    ))
    .await;
    assert_eq!(registered.ok(), &json!({"id": 1}));
    let config = Api::reply(octet(
        Method::PUT,
        "/config",
        &json!({"compatibility": "FULL"}),
    ))
    .await;
    assert_eq!(config.ok(), &json!({"compatibility": "FULL"}));
    let mode = Api::reply(octet(
        Method::PUT,
        "/mode/gen-value",
        &json!({"mode": "READONLY"}),
    ))
    .await;
    assert_eq!(mode.ok(), &json!({"mode": "READONLY"}));
    let lookup = Api::reply(octet(
        Method::POST,
        "/subjects/gen-value",
        &body(&generator_v1()),
    ))
    .await;
    assert_eq!(lookup.ok()["version"], 1);
    // Not JSON: the same 400 as with a JSON content type.
    let broken = Api::reply(
        api.request(Method::POST, "/subjects/gen-value/versions")
            .header("content-type", "application/octet-stream")
            .body(vec![0xff, 0x00, 0x7b]),
    )
    .await;
    broken.error(400, 400);
}

#[tokio::test]
async fn latest_with_metadata_finds_the_newest_version_holding_every_pair() {
    let api = Api::start();
    api.set_level("gen-value", "NONE").await;
    let with_meta = |schema: &Value, properties: Value| {
        let mut b = body(schema);
        b["metadata"] = json!({ "properties": properties });
        b
    };
    let post = |b: Value| {
        let api = &api;
        async move {
            api.post("/subjects/gen-value/versions", &b).await.ok()["id"]
                .as_i64()
                .unwrap()
        }
    };
    post(with_meta(
        &generator_v1(),
        json!({"owner": "fleet-ops", "site": "ny"}),
    ))
    .await;
    post(with_meta(
        &generator("string", json!({})),
        json!({"owner": "fleet-ops", "site": "nj"}),
    ))
    .await;
    // Empty metadata given explicitly, so that version 3 does not inherit version 2's.
    let mut v3 = body(&generator("integer", json!({})));
    v3["metadata"] = json!({});
    post(v3).await;
    let version = |q: &'static str| {
        let api = &api;
        async move {
            api.get(&format!("/subjects/gen-value/metadata?{q}"))
                .await
                .ok()["version"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(version("key=owner&value=fleet-ops").await, 2);
    assert_eq!(
        version("key=owner&value=fleet-ops&key=site&value=ny").await,
        1
    );
    // No pairs: the newest version that has metadata properties at all.
    assert_eq!(version("").await, 2);
    let record = api
        .get("/subjects/gen-value/metadata?key=site&value=nj")
        .await;
    assert_eq!(
        record.ok(),
        api.get("/subjects/gen-value/versions/2").await.ok()
    );
    api.get("/subjects/gen-value/metadata?key=site&value=ca")
        .await
        .error(404, 40403);
    api.get("/subjects/nothing-value/metadata?key=site&value=ny")
        .await
        .error(404, 40401);
    // Soft-deleted versions only with deleted=true.
    api.delete("/subjects/gen-value/versions/1").await.ok();
    api.get("/subjects/gen-value/metadata?key=site&value=ny")
        .await
        .error(404, 40403);
    assert_eq!(version("key=site&value=ny&deleted=true").await, 1);
}

#[tokio::test]
async fn a_version_registered_without_metadata_or_rules_keeps_the_latest_ones() {
    let api = Api::start();
    api.set_level("gen-value", "NONE").await;
    let metadata = json!({"properties": {"owner": "fleet-ops"}});
    let rule_set = json!({"domainRules": [{
        "name": "fuelNotNegative", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
        "expr": "message.fuel >= 0.0"
    }]});
    let mut v1 = body(&generator_v1());
    v1["metadata"] = metadata.clone();
    v1["ruleSet"] = rule_set.clone();
    let id1 = api.post("/subjects/gen-value/versions", &v1).await.ok()["id"].clone();
    // The same text without them is the same schema: version 1, not a new one.
    assert_eq!(api.register("gen-value", &generator_v1()).await, id1);
    let v2 = api
        .register("gen-value", &generator("string", json!({})))
        .await;
    let latest = api.get("/subjects/gen-value/versions/latest").await;
    assert_eq!(
        (&latest.ok()["id"], latest.ok()["version"].as_i64()),
        (&json!(v2), Some(2))
    );
    assert_eq!(latest.ok()["metadata"], metadata);
    assert_eq!(latest.ok()["ruleSet"], rule_set);
    // Given explicitly, they replace the inherited ones; only what is missing is inherited.
    let mut v3 = body(&generator("integer", json!({})));
    v3["ruleSet"] = json!({"domainRules": []});
    api.post("/subjects/gen-value/versions", &v3).await.ok();
    let latest = api.get("/subjects/gen-value/versions/3").await;
    assert_eq!(latest.ok()["ruleSet"], json!({"domainRules": []}));
    assert_eq!(latest.ok()["metadata"], metadata);
    // Another subject inherits nothing.
    let other = api.register("other-value", &generator_v1()).await;
    let record = api.get(&format!("/schemas/ids/{other}")).await;
    assert!(record.ok().get("ruleSet").is_none(), "{record:?}");
}

/// The fleet's producer auto-registers v1's text, with no rules, after the team registered a
/// later version carrying rules: Confluent looks the schema up as sent first
/// (`registerOrForward`), so the producer gets version 1 back and no new version inherits the
/// rules onto v1's text.
#[tokio::test]
async fn an_older_schema_sent_without_rules_is_its_own_version_not_a_new_one() {
    let api = Api::start();
    api.set_level("gen-value", "NONE").await;
    let id1 = api.register("gen-value", &generator_v1()).await;
    let mut v2 = body(&generator("string", json!({})));
    v2["ruleSet"] = json!({"domainRules": [{
        "name": "fuelNotNegative", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
        "expr": "message.fuel >= 0"
    }]});
    api.post("/subjects/gen-value/versions", &v2).await.ok();
    assert_eq!(api.register("gen-value", &generator_v1()).await, id1);
    let versions = api.get("/subjects/gen-value/versions").await;
    assert_eq!(versions.ok(), &json!([1, 2]));
}

#[tokio::test]
async fn import_mode_inherits_nothing() {
    let api = Api::start();
    let mut v1 = body(&generator_v1());
    v1["ruleSet"] = json!({"domainRules": []});
    api.post("/subjects/gen-value/versions", &v1).await.ok();
    api.put("/mode/gen-value?force=true", &json!({"mode": "IMPORT"}))
        .await
        .ok();
    let mut v2 = body(&generator("string", json!({})));
    v2["id"] = json!(100);
    v2["version"] = json!(2);
    api.post("/subjects/gen-value/versions", &v2).await.ok();
    let record = api.get("/subjects/gen-value/versions/2").await;
    assert!(record.ok().get("ruleSet").is_none(), "{record:?}");
}

#[tokio::test]
async fn a_rule_set_confluent_refuses_is_refused_before_anything_is_stored() {
    let api = Api::start();
    let register = |rule_set: Value| {
        let api = &api;
        async move {
            let mut b = body(&generator_v1());
            b["ruleSet"] = rule_set;
            api.post("/subjects/gen-value/versions", &b).await
        }
    };
    let rule = json!({"name": "fuelNotNegative", "kind": "CONDITION", "mode": "WRITE",
                      "type": "CEL", "expr": "message.fuel >= 0.0"});
    let twice = register(json!({"domainRules": [rule, rule]})).await;
    assert!(
        twice.error(422, 42210).contains("duplicate name"),
        "{twice:?}"
    );
    let unnamed = register(json!({"domainRules": [{"type": "CEL", "expr": "true"}]})).await;
    assert!(
        unnamed.error(422, 42210).contains("missing rule name"),
        "{unnamed:?}"
    );
    let migration = register(json!({"migrationRules": [rule]})).await;
    assert!(
        migration.error(422, 42210).contains("UPGRADE"),
        "{migration:?}"
    );
    let kind =
        register(json!({"domainRules": [{"name": "r", "type": "CEL", "kind": "CHECK"}]})).await;
    assert!(kind.error(422, 422).contains("ruleSet"), "{kind:?}");
    api.get("/subjects/gen-value/versions")
        .await
        .error(404, 40401);
    register(json!({"domainRules": [rule]})).await.ok();
}
