//! `/config`'s data-contract defaults and overrides (`defaultMetadata`, `overrideMetadata`,
//! `defaultRuleSet`, `overrideRuleSet`), merged into registrations as Confluent's registry does.

use super::{Api, body};
use crate::services::Registry;
use serde_json::{Value, json};

fn rule(name: &str, expr: &str) -> Value {
    json!({"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr})
}

fn schema(title: &str) -> Value {
    json!({"type": "object", "title": title, "properties": {"fuel": {"type": "number"}}})
}

#[tokio::test]
async fn subject_defaults_go_under_a_registrations_own_and_overrides_over_it() {
    let api = Api::start();
    let config = json!({
        "defaultMetadata": {"properties": {"owner": "fleet-team", "tier": "gold"}},
        "overrideMetadata": {"properties": {"tier": "platinum"}},
        "defaultRuleSet": {"domainRules": [rule("fuelKnown", "has(message.fuel)")]},
        "overrideRuleSet": {"domainRules": [rule("fuelNotNegative", "message.fuel >= -9.0")]}
    });
    let echo = api.put("/config/gen-value", &config).await;
    assert_eq!(echo.ok()["overrideRuleSet"], config["overrideRuleSet"]);
    let read = api.get("/config/gen-value").await;
    for key in [
        "defaultMetadata",
        "overrideMetadata",
        "defaultRuleSet",
        "overrideRuleSet",
    ] {
        assert_eq!(read.ok()[key], config[key], "{key}: {read:?}");
    }

    let mut v1 = body(&schema("v1"));
    v1["metadata"] = json!({"properties": {"owner": "me"}});
    // The default rule of the same name is replaced by the registration's own.
    v1["ruleSet"] = json!({"domainRules": [rule("fuelKnown", "true")]});
    api.post("/subjects/gen-value/versions", &v1).await.ok();
    let got = api.get("/subjects/gen-value/versions/1").await;
    let got = got.ok();
    assert_eq!(
        got["metadata"],
        json!({"properties": {"owner": "me", "tier": "platinum"}})
    );
    assert_eq!(
        got["ruleSet"],
        json!({"domainRules": [rule("fuelKnown", "true"), rule("fuelNotNegative", "message.fuel >= -9.0")]})
    );

    // An override of the same name wins over a registration's own rule.
    let mut v2 = body(&schema("v2"));
    v2["ruleSet"] = json!({"domainRules": [rule("fuelNotNegative", "true")]});
    api.post("/subjects/gen-value/versions", &v2).await.ok();
    let got = api.get("/subjects/gen-value/versions/2").await;
    assert_eq!(
        got.ok()["ruleSet"]["domainRules"],
        json!([
            rule("fuelKnown", "has(message.fuel)"),
            rule("fuelNotNegative", "message.fuel >= -9.0")
        ])
    );

    // Deleted with the subject's config: nothing is merged any more.
    api.delete("/config/gen-value").await.ok();
    api.get("/config/gen-value").await.error(404, 40408);
}

#[tokio::test]
async fn global_defaults_apply_where_a_subject_has_no_config_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let api = Api::on(Registry::start_on(dir.path()));
        api.put(
            "/config",
            &json!({"defaultMetadata": {"properties": {"owner": "fleet-team"}}}),
        )
        .await
        .ok();
        api.registry.terminate();
    }
    let api = Api::on(Registry::start_on(dir.path()));
    assert_eq!(
        api.get("/config").await.ok()["defaultMetadata"],
        json!({"properties": {"owner": "fleet-team"}})
    );
    api.register("plain-value", &schema("plain")).await;
    let got = api.get("/subjects/plain-value/versions/1").await;
    assert_eq!(
        got.ok()["metadata"],
        json!({"properties": {"owner": "fleet-team"}})
    );
    // A subject with a config of its own uses that one, not the global defaults.
    api.set_level("own-value", "NONE").await;
    api.register("own-value", &schema("own")).await;
    let got = api.get("/subjects/own-value/versions/1").await;
    assert_eq!(got.ok()["metadata"], Value::Null, "{got:?}");
    // A rule set Confluent would refuse is refused in a config too.
    api.put(
        "/config",
        &json!({"defaultRuleSet": {"domainRules": [{"kind": "CONDITION", "type": "CEL", "expr": "true"}]}}),
    )
    .await
    .error(422, 42210);
}
