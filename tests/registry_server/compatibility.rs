//! Compatibility through schemactl's engine: all seven levels, both policies, one version and
//! all versions, verbose messages in Confluent's style.

use crate::{Api, body, generator, generator_v1};
use serde_json::{Value, json};

const LEVELS: [&str; 7] = [
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

/// Registers `history` under `subject` at NONE, then sets `level`.
async fn history(api: &Api, subject: &str, history: &[Value], level: &str) {
    api.set_level(subject, "NONE").await;
    for schema in history {
        api.register(subject, schema).await;
    }
    api.set_level(subject, level).await;
}

/// What `POST /compatibility/subjects/{s}/versions` says, and what registration then does.
async fn verdicts(api: &Api, subject: &str, proposal: &Value) -> (bool, bool) {
    let check = api
        .post(
            &format!("/compatibility/subjects/{subject}/versions"),
            &body(proposal),
        )
        .await;
    let compatible = check.ok()["is_compatible"].as_bool().unwrap();
    let register = api
        .post(&format!("/subjects/{subject}/versions"), &body(proposal))
        .await;
    let registered = match register.status {
        200 => true,
        409 => {
            register.error(409, 40901);
            false
        }
        _ => panic!("{register:?}"),
    };
    (compatible, registered)
}

#[tokio::test]
async fn all_seven_levels_check_the_right_versions_in_the_right_directions() {
    let api = Api::start();
    // A new optional property in a closed model: new readers read old data (backward), but
    // old readers reject the new property (not forward).
    let with_rpm = generator("number", json!({"rpm": {"type": "integer"}}));
    // History fuel: number then string; the proposal only retitles the latest, so it is
    // compatible with the latest version both ways and incompatible with the first.
    let fuel_string = generator("string", json!({}));
    let mut retitled = fuel_string.clone();
    retitled["description"] = json!("fuel as a string");

    // (level, compatible with only-latest-changes, with_rpm compatible)
    let expected = [
        ("NONE", true, true),
        ("BACKWARD", true, true),
        ("BACKWARD_TRANSITIVE", false, true),
        ("FORWARD", true, false),
        ("FORWARD_TRANSITIVE", false, false),
        ("FULL", true, false),
        ("FULL_TRANSITIVE", false, false),
    ];
    for (level, transitive_ok, rpm_ok) in expected {
        let s = format!("hist-{level}");
        history(&api, &s, &[generator_v1(), fuel_string.clone()], level).await;
        assert_eq!(
            verdicts(&api, &s, &retitled).await,
            (transitive_ok, transitive_ok),
            "{level}: only the latest version is compatible"
        );
        let s = format!("rpm-{level}");
        history(&api, &s, &[generator_v1()], level).await;
        assert_eq!(
            verdicts(&api, &s, &with_rpm).await,
            (rpm_ok, rpm_ok),
            "{level}: optional property added to a closed model"
        );
    }
    assert_eq!(LEVELS.len(), expected.len());
}

#[tokio::test]
async fn the_one_version_endpoint_checks_that_version_only() {
    let api = Api::start();
    let fuel_string = generator("string", json!({}));
    history(
        &api,
        "gen-value",
        &[generator_v1(), fuel_string.clone()],
        "BACKWARD",
    )
    .await;
    let check = |v: &'static str| {
        let api = &api;
        let proposal = body(&fuel_string);
        async move {
            api.post(
                &format!("/compatibility/subjects/gen-value/versions/{v}"),
                &proposal,
            )
            .await
            .ok()["is_compatible"]
                .clone()
        }
    };
    assert_eq!(check("latest").await, true);
    assert_eq!(check("2").await, true);
    assert_eq!(check("-1").await, true);
    assert_eq!(check("1").await, false);
    // A subject that does not exist yet accepts anything as `latest`.
    let fresh = api
        .post(
            "/compatibility/subjects/nobody/versions/latest",
            &body(&fuel_string),
        )
        .await;
    assert_eq!(fresh.ok(), &json!({"is_compatible": true}));
    api.post(
        "/compatibility/subjects/nobody/versions/1",
        &body(&fuel_string),
    )
    .await
    .error(404, 40401);
    api.post(
        "/compatibility/subjects/gen-value/versions/3",
        &body(&fuel_string),
    )
    .await
    .error(404, 40402);
    // The trailing-slash form of the all-versions endpoint.
    let all = api
        .post(
            "/compatibility/subjects/gen-value/versions/",
            &body(&fuel_string),
        )
        .await;
    assert_eq!(all.ok(), &json!({"is_compatible": true}));
}

#[tokio::test]
async fn strict_and_lenient_policies() {
    let api = Api::start();
    let open = json!({"type": "object", "properties": {"fuel": {"type": "number"}}});
    let mut with_rpm = open.clone();
    with_rpm["properties"]["rpm"] = json!({"type": "integer"});
    api.register("open-value", &open).await;
    // STRICT (the default): old writers of an open model may have sent `rpm` with any type.
    let strict = api
        .post(
            "/compatibility/subjects/open-value/versions/latest?verbose=true",
            &body(&with_rpm),
        )
        .await;
    assert_eq!(strict.ok()["is_compatible"], false);
    assert!(
        strict.json["messages"][0]
            .as_str()
            .unwrap()
            .contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
        "{strict:?}"
    );
    assert_eq!(
        api.put(
            "/config/open-value",
            &json!({"compatibilityPolicy": "lenient"})
        )
        .await
        .ok(),
        &json!({"compatibilityPolicy": "LENIENT"})
    );
    assert_eq!(
        api.get("/config/open-value").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD", "compatibilityPolicy": "LENIENT"})
    );
    let lenient = api
        .post(
            "/compatibility/subjects/open-value/versions/latest",
            &body(&with_rpm),
        )
        .await;
    assert_eq!(lenient.ok(), &json!({"is_compatible": true}));
    api.register("open-value", &with_rpm).await;
    // A global policy applies where a subject has none.
    api.put("/config", &json!({"compatibilityPolicy": "LENIENT"}))
        .await
        .ok();
    assert_eq!(
        api.get("/config").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD", "compatibilityPolicy": "LENIENT"})
    );
    api.put("/config", &json!({"compatibilityPolicy": "sloppy"}))
        .await
        .error(422, 42203);
}

#[tokio::test]
async fn verbose_messages_and_the_409_look_like_confluents() {
    let api = Api::start();
    let v1 = generator_v1();
    api.register("gen-value", &v1).await;
    let broken = generator("string", json!({}));

    let quiet = api
        .post(
            "/compatibility/subjects/gen-value/versions/latest",
            &body(&broken),
        )
        .await;
    assert_eq!(quiet.ok(), &json!({"is_compatible": false}));

    let verbose = api
        .post(
            "/compatibility/subjects/gen-value/versions/latest?verbose=true",
            &body(&broken),
        )
        .await;
    let messages: Vec<&str> = verbose.ok()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(
        messages[0].starts_with("{errorType:\"TYPE_CHANGED\", description:\"")
            && messages[0].contains("#/properties/fuel")
            && messages[0].ends_with("\"}"),
        "{}",
        messages[0]
    );
    assert_eq!(messages[1], "{oldSchemaVersion: 1}");
    assert_eq!(messages[2], format!("{{oldSchema: '{v1}'}}"));
    assert_eq!(messages[3], "{compatibility: 'BACKWARD'}");

    let refused = api
        .post("/subjects/gen-value/versions", &body(&broken))
        .await;
    let message = refused.error(409, 40901);
    assert_eq!(
        message,
        format!(
            "Schema being registered is incompatible with an earlier schema for subject \"gen-value\", details: [{}]",
            messages.join(", ")
        )
    );
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([1])
    );
}

#[tokio::test]
async fn transitive_checks_name_the_first_incompatible_version_newest_first() {
    let api = Api::start();
    history(
        &api,
        "gen-value",
        &[generator_v1(), generator("string", json!({}))],
        "BACKWARD_TRANSITIVE",
    )
    .await;
    let mut retitled = generator("string", json!({}));
    retitled["title"] = json!("Reading");
    let verbose = api
        .post(
            "/compatibility/subjects/gen-value/versions?verbose=true",
            &body(&retitled),
        )
        .await;
    let messages = verbose.ok()["messages"].as_array().unwrap().clone();
    assert!(
        messages.contains(&json!("{oldSchemaVersion: 1}")),
        "{messages:#?}"
    );
    assert_eq!(
        messages.last().unwrap(),
        "{compatibility: 'BACKWARD_TRANSITIVE'}"
    );
}

#[tokio::test]
async fn soft_deleted_versions_take_no_part_in_checks() {
    let api = Api::start();
    history(
        &api,
        "gen-value",
        &[generator_v1(), generator("string", json!({}))],
        "BACKWARD_TRANSITIVE",
    )
    .await;
    let mut retitled = generator("string", json!({}));
    retitled["title"] = json!("Reading");
    let check = api
        .post(
            "/compatibility/subjects/gen-value/versions",
            &body(&retitled),
        )
        .await;
    assert_eq!(check.ok(), &json!({"is_compatible": false}));
    api.delete("/subjects/gen-value/versions/1").await.ok();
    api.register("gen-value", &retitled).await;
}
