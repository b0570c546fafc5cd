//! The endpoints of the contract, used as clients use them.

use crate::{Api, VND, body, generator, generator_v1};
use serde_json::{Value, json};

#[tokio::test]
async fn register_then_read_back_every_way() {
    let api = Api::start();
    let v1 = generator_v1();
    let id = api.register("gen-value", &v1).await;
    assert_eq!(id, 1);
    let canonical = v1.to_string();

    let by_id = api.get(&format!("/schemas/ids/{id}")).await;
    let guid = by_id.ok()["guid"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&guid).is_ok(), "{guid}");
    assert_eq!(
        by_id.ok(),
        &json!({"schemaType": "JSON", "schema": canonical, "guid": guid})
    );
    let raw = api.get(&format!("/schemas/ids/{id}/schema")).await;
    assert_eq!(raw.ok(), &v1);
    assert_eq!(
        api.get(&format!("/schemas/ids/{id}/subjects")).await.ok(),
        &json!(["gen-value"])
    );
    assert_eq!(
        api.get(&format!("/schemas/ids/{id}/versions")).await.ok(),
        &json!([{"subject": "gen-value", "version": 1}])
    );
    assert_eq!(api.get("/subjects").await.ok(), &json!(["gen-value"]));
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([1])
    );
    let record = json!({
        "subject": "gen-value", "version": 1, "id": 1,
        "schemaType": "JSON", "schema": canonical, "references": [], "guid": guid
    });
    for v in ["1", "latest", "-1"] {
        let reply = api.get(&format!("/subjects/gen-value/versions/{v}")).await;
        assert_eq!(reply.ok(), &record, "version {v}");
    }
    assert_eq!(
        api.get("/subjects/gen-value/versions/latest/schema")
            .await
            .ok(),
        &v1
    );
    let lookup = api.post("/subjects/gen-value", &body(&v1)).await;
    assert_eq!(lookup.ok(), &record);
    assert_eq!(api.get("/schemas/types").await.ok(), &json!(["JSON"]));
    assert_eq!(api.get("/").await.ok(), &json!({}));

    // By GUID (Confluent 8), as Kafka readers of wire format V1 ask, deleted versions included.
    let by_guid = api
        .get(&format!("/schemas/guids/{guid}?deleted=true"))
        .await;
    assert_eq!(by_guid.ok(), by_id.ok());
    assert_eq!(
        api.get(&format!("/schemas/guids/{guid}/ids")).await.ok(),
        &json!([{"context": ".", "id": id}])
    );
}

#[tokio::test]
async fn guids_name_content_and_unknown_ones_are_not_found() {
    let api = Api::start();
    let a = api.register("site-a-value", &generator_v1()).await;
    let b = api.register("site-b-value", &generator_v1()).await;
    let other = api
        .register("other-value", &json!({"type": "string"}))
        .await;
    let guid_of = |body: &Value| body["guid"].as_str().unwrap().to_string();
    let ga = guid_of(api.get(&format!("/schemas/ids/{a}")).await.ok());
    let gb = guid_of(api.get("/subjects/site-b-value/versions/1").await.ok());
    let go = guid_of(api.get(&format!("/schemas/ids/{other}")).await.ok());
    assert_eq!(
        (a, ga.as_str()),
        (b, gb.as_str()),
        "same content, same id and GUID"
    );
    assert_ne!(ga, go);

    for missing in ["00000000-0000-0000-0000-000000000000", "not-a-guid"] {
        let reply = api.get(&format!("/schemas/guids/{missing}")).await;
        reply.error(404, 40403);
        assert_eq!(
            api.get(&format!("/schemas/guids/{missing}/ids")).await.ok(),
            &json!([])
        );
    }

    // Soft-deleted versions keep their GUID readable; permanently deleted ones do not.
    api.delete("/subjects/other-value").await.ok();
    api.get(&format!("/schemas/guids/{go}")).await.ok();
    api.delete("/subjects/other-value?permanent=true")
        .await
        .ok();
    api.get(&format!("/schemas/guids/{go}"))
        .await
        .error(404, 40403);
}

#[tokio::test]
async fn an_identical_schema_returns_the_existing_id_without_a_new_version() {
    let api = Api::start();
    let v1 = generator_v1();
    let id = api.register("gen-value", &v1).await;
    // Same document, other whitespace: canonical JSON equality.
    let pretty = serde_json::to_string_pretty(&v1).unwrap();
    let reply = api
        .post(
            "/subjects/gen-value/versions",
            &json!({"schemaType": "JSON", "schema": pretty}),
        )
        .await;
    assert_eq!(reply.ok()["id"], id);
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([1])
    );
}

#[tokio::test]
async fn the_same_schema_under_another_subject_gets_the_same_id() {
    let api = Api::start();
    let a = api.register("site-a-value", &generator_v1()).await;
    let other = api.register("site-a-key", &json!({"type": "string"})).await;
    let b = api.register("site-b-value", &generator_v1()).await;
    assert_eq!(a, b);
    assert_ne!(a, other);
    assert_eq!(
        api.get(&format!("/schemas/ids/{a}/subjects")).await.ok(),
        &json!(["site-a-value", "site-b-value"])
    );
}

#[tokio::test]
async fn normalize_matches_documents_with_reordered_keys() {
    let api = Api::start();
    let v1 = json!({"type": "object", "properties": {"fuel": {"type": "number"}}});
    let reordered = json!({"properties": {"fuel": {"type": "number"}}, "type": "object"});
    let first = api
        .post("/subjects/n/versions?normalize=true", &body(&v1))
        .await;
    let id = first.ok()["id"].clone();
    // Stored normalised: keys sorted.
    assert_eq!(
        api.get("/subjects/n/versions/1").await.ok()["schema"],
        reordered.to_string()
    );
    let again = api
        .post("/subjects/n/versions?normalize=true", &body(&reordered))
        .await;
    assert_eq!(again.ok()["id"], id);
    let found = api.post("/subjects/n?normalize=true", &body(&v1)).await;
    assert_eq!(found.ok()["version"], 1);
    assert_eq!(api.get("/subjects/n/versions").await.ok(), &json!([1]));
    // Without normalize the key order counts: a different document, so a new version.
    let plain = api.post("/subjects/m/versions", &body(&v1)).await;
    plain.ok();
    let other = api.post("/subjects/m/versions", &body(&reordered)).await;
    assert_ne!(other.ok()["id"], plain.json["id"]);
    assert_eq!(api.get("/subjects/m/versions").await.ok(), &json!([1, 2]));
}

#[tokio::test]
async fn responses_carry_the_registry_content_type_and_accept_every_listed_body_type() {
    let api = Api::start();
    let v1 = generator_v1();
    for (i, ct) in [
        VND,
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
        "application/json; charset=utf-8",
    ]
    .into_iter()
    .enumerate()
    {
        let subject = format!("ct-{i}");
        let reply = Api::reply(
            api.request(
                reqwest::Method::POST,
                &format!("/subjects/{subject}/versions"),
            )
            .header("content-type", ct)
            .body(body(&v1).to_string()),
        )
        .await;
        assert_eq!(reply.ok()["id"], 1, "{ct}");
    }
    // No content type at all is read as JSON too (curl -d without -H sends one; others may not).
    let reply = Api::reply(
        api.request(reqwest::Method::POST, "/subjects/ct-none/versions")
            .body(body(&v1).to_string()),
    )
    .await;
    assert_eq!(reply.ok()["id"], 1);
}

#[tokio::test]
async fn subjects_list_filters_by_prefix_and_deleted() {
    let api = Api::start();
    for s in ["gen-a-value", "gen-b-value", "other-value"] {
        api.register(s, &generator_v1()).await;
    }
    api.delete("/subjects/gen-b-value").await.ok();
    assert_eq!(
        api.get("/subjects?subjectPrefix=gen-").await.ok(),
        &json!(["gen-a-value"])
    );
    assert_eq!(
        api.get("/subjects?subjectPrefix=gen-&deleted=true")
            .await
            .ok(),
        &json!(["gen-a-value", "gen-b-value"])
    );
}

#[tokio::test]
async fn config_global_and_per_subject() {
    let api = Api::start();
    assert_eq!(
        api.get("/config").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD"})
    );
    // PUT takes `compatibility` and echoes it; GET answers `compatibilityLevel`.
    assert_eq!(
        api.put("/config", &json!({"compatibility": "full"}))
            .await
            .ok(),
        &json!({"compatibility": "FULL"})
    );
    assert_eq!(
        api.get("/config").await.ok(),
        &json!({"compatibilityLevel": "FULL"})
    );
    api.get("/config/gen-value").await.error(404, 40408);
    assert_eq!(
        api.get("/config/gen-value?defaultToGlobal=true").await.ok(),
        &json!({"compatibilityLevel": "FULL"})
    );
    api.put("/config/gen-value", &json!({"compatibility": "NONE"}))
        .await
        .ok();
    assert_eq!(
        api.get("/config/gen-value").await.ok(),
        &json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        api.delete("/config/gen-value").await.ok(),
        &json!({"compatibilityLevel": "NONE"})
    );
    api.get("/config/gen-value").await.error(404, 40408);
    assert_eq!(
        api.delete("/config").await.ok(),
        &json!({"compatibilityLevel": "FULL"})
    );
    assert_eq!(
        api.get("/config").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD"})
    );
    // Clients that send `compatibilityLevel` on PUT are understood too.
    api.put("/config", &json!({"compatibilityLevel": "FORWARD"}))
        .await
        .ok();
    assert_eq!(
        api.get("/config").await.ok()["compatibilityLevel"],
        "FORWARD"
    );
}

#[tokio::test]
async fn mode_global_and_per_subject() {
    let api = Api::start();
    assert_eq!(api.get("/mode").await.ok(), &json!({"mode": "READWRITE"}));
    api.get("/mode/gen-value").await.error(404, 40409);
    assert_eq!(
        api.put("/mode/gen-value", &json!({"mode": "READONLY"}))
            .await
            .ok(),
        &json!({"mode": "READONLY"})
    );
    assert_eq!(
        api.get("/mode/gen-value").await.ok(),
        &json!({"mode": "READONLY"})
    );
    api.post("/subjects/gen-value/versions", &body(&generator_v1()))
        .await
        .error(422, 42205);
    api.register("other-value", &generator_v1()).await;
    assert_eq!(
        api.delete("/mode/gen-value").await.ok(),
        &json!({"mode": "READONLY"})
    );
    api.register("gen-value", &generator_v1()).await;
    api.put("/mode", &json!({"mode": "READONLY"})).await.ok();
    api.post("/subjects/x-value/versions", &body(&generator_v1()))
        .await
        .error(422, 42205);
    api.delete("/subjects/gen-value").await.error(422, 42205);
    assert_eq!(
        api.get("/mode/x-value?defaultToGlobal=true").await.ok(),
        &json!({"mode": "READONLY"})
    );
}

#[tokio::test]
async fn import_mode_keeps_the_ids_and_versions_given() {
    let api = Api::start();
    api.put("/mode", &json!({"mode": "IMPORT"})).await.ok();
    let mut req = body(&generator_v1());
    req["id"] = json!(100);
    req["version"] = json!(7);
    assert_eq!(
        api.post("/subjects/imported/versions", &req).await.ok(),
        &json!({"id": 100})
    );
    assert_eq!(
        api.get("/subjects/imported/versions").await.ok(),
        &json!([7])
    );
    // Another schema may not take an id in use.
    let mut clash = body(&generator("string", json!({})));
    clash["id"] = json!(100);
    api.post("/subjects/imported/versions", &clash)
        .await
        .error(422, 42205);
    // Switching a non-empty registry to IMPORT needs force.
    api.put("/mode", &json!({"mode": "READWRITE"})).await.ok();
    api.put("/mode", &json!({"mode": "IMPORT"}))
        .await
        .error(422, 42205);
    api.put("/mode?force=true", &json!({"mode": "IMPORT"}))
        .await
        .ok();
    // Outside IMPORT an explicit id other than the one assigned is refused.
    api.put("/mode", &json!({"mode": "READWRITE"})).await.ok();
    let mut explicit = body(&json!({"type": "string"}));
    explicit["id"] = json!(5);
    api.post("/subjects/plain/versions", &explicit)
        .await
        .error(422, 42205);
    // New ids continue after the imported ones.
    assert!(api.register("plain", &json!({"type": "string"})).await > 100);
}

#[tokio::test]
async fn soft_and_permanent_deletes() {
    let api = Api::start();
    let id1 = api.register("gen-value", &generator_v1()).await;
    let id2 = api
        .register(
            "gen-value",
            &generator("number", json!({"rpm": {"type": "integer"}})),
        )
        .await;

    assert_eq!(
        api.delete("/subjects/gen-value/versions/1").await.ok(),
        &json!(1)
    );
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([2])
    );
    assert_eq!(
        api.get("/subjects/gen-value/versions?deleted=true")
            .await
            .ok(),
        &json!([1, 2])
    );
    api.get("/subjects/gen-value/versions/1")
        .await
        .error(404, 40402);
    assert_eq!(
        api.get("/subjects/gen-value/versions/1?deleted=true")
            .await
            .ok()["id"],
        id1
    );
    // Lookup skips soft-deleted versions unless asked.
    api.post("/subjects/gen-value", &body(&generator_v1()))
        .await
        .error(404, 40403);
    assert_eq!(
        api.post("/subjects/gen-value?deleted=true", &body(&generator_v1()))
            .await
            .ok()["version"],
        1
    );

    assert_eq!(api.delete("/subjects/gen-value").await.ok(), &json!([2]));
    assert_eq!(api.get("/subjects").await.ok(), &json!([]));
    assert_eq!(
        api.get("/subjects?deleted=true").await.ok(),
        &json!(["gen-value"])
    );
    // Soft-deleted schemas still resolve by id: consumers decode old records.
    api.get(&format!("/schemas/ids/{id1}")).await.ok();
    assert_eq!(
        api.delete("/subjects/gen-value?permanent=true").await.ok(),
        &json!([1, 2])
    );
    api.get(&format!("/schemas/ids/{id2}"))
        .await
        .error(404, 40403);
    api.get("/subjects/gen-value/versions?deleted=true")
        .await
        .error(404, 40401);

    // The same schema again gets its old id back (an id never names another schema) and the
    // subject starts over at version 1.
    assert_eq!(api.register("gen-value", &generator_v1()).await, id1);
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([1])
    );
}

#[tokio::test]
async fn ids_are_never_reused_after_permanent_deletes() {
    let api = Api::start();
    let a = api.register("s", &json!({"type": "string"})).await;
    api.set_level("s", "NONE").await;
    let b = api.register("s", &json!({"type": "number"})).await;
    api.delete("/subjects/s").await.ok();
    api.delete("/subjects/s?permanent=true").await.ok();
    let c = api.register("s", &json!({"type": "boolean"})).await;
    assert!(c > a && c > b, "{a} {b} {c}");
}

#[tokio::test]
async fn re_registering_a_soft_deleted_schema_adds_a_version_with_the_same_id() {
    let api = Api::start();
    let id = api.register("gen-value", &generator_v1()).await;
    api.delete("/subjects/gen-value/versions/1").await.ok();
    assert_eq!(api.register("gen-value", &generator_v1()).await, id);
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([2])
    );
}

#[tokio::test]
async fn references_are_checked_listed_and_protect_what_they_name() {
    let api = Api::start();
    let location = json!({"type": "object", "properties": {"lat": {"type": "number"}}});
    api.register("location", &location).await;
    let mut req = body(&json!({"type": "object"}));
    req["references"] = json!([{"name": "location.json", "subject": "location", "version": 1}]);
    let id = api.post("/subjects/reading/versions", &req).await.ok()["id"].clone();
    assert_eq!(
        api.get("/subjects/location/versions/1/referencedby")
            .await
            .ok(),
        &json!([id])
    );
    assert_eq!(
        api.get(&format!("/schemas/ids/{id}")).await.ok()["references"],
        req["references"]
    );
    api.delete("/subjects/location/versions/1")
        .await
        .error(422, 42206);
    api.delete("/subjects/location").await.error(422, 42206);
    let mut dangling = body(&json!({"type": "object", "title": "x"}));
    dangling["references"] = json!([{"name": "n.json", "subject": "nowhere", "version": 1}]);
    api.post("/subjects/reading/versions", &dangling)
        .await
        .error_says(422, 42201, &["nowhere"]);
}

#[tokio::test]
async fn metadata_and_rule_sets_are_kept_and_part_of_identity() {
    let api = Api::start();
    let schema = json!({"type": "object", "properties": {"fuel": {"type": "number"}}});
    let mut with_meta = body(&schema);
    with_meta["metadata"] = json!({"properties": {"owner": "fleet-team"}});
    with_meta["ruleSet"] = json!({"domainRules": []});
    let a = api.post("/subjects/meta/versions", &with_meta).await.ok()["id"].clone();
    let by_id: Value = api.get(&format!("/schemas/ids/{a}")).await.ok().clone();
    assert_eq!(by_id["metadata"], with_meta["metadata"]);
    assert_eq!(by_id["ruleSet"], with_meta["ruleSet"]);
    let b = api.register("plain", &schema).await;
    assert_ne!(json!(b), a, "other metadata, other id");
}
