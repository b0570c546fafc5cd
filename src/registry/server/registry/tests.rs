use super::*;
use serde_json::json;

fn req(schema: &Value) -> RegisterRequest {
    RegisterRequest {
        schema_type: Some(JSON.into()),
        schema: schema.to_string(),
        ..RegisterRequest::default()
    }
}

#[test]
fn normalize_sorts_keys_at_every_depth_and_keeps_array_order() {
    let doc = json!({"type": "object", "properties": {"b": {"type": "string", "$comment": "x"}, "a": {}}, "required": ["b", "a"]});
    assert_eq!(
        normalize(&doc).to_string(),
        r#"{"properties":{"a":{},"b":{"$comment":"x","type":"string"}},"required":["b","a"],"type":"object"}"#
    );
}

#[test]
fn a_reopened_store_rebuilds_ids_versions_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = json!({"type": "object", "properties": {"fuel": {"type": "number"}}});
    let id = {
        let registry = Registry::open(Some(dir.path())).unwrap();
        let id = registry.register("gen-value", req(&v1), false).unwrap();
        registry
            .set_config(
                Some("gen-value"),
                ConfigRequest {
                    compatibility: "FULL".into(),
                    compatibility_policy: Some("lenient".into()),
                    contract: contract(),
                },
            )
            .unwrap();
        id
    };
    let registry = Registry::open(Some(dir.path())).unwrap();
    assert_eq!(registry.register("gen-value", req(&v1), false).unwrap(), id);
    assert_eq!(registry.versions("gen-value", false).unwrap(), vec![1]);
    let found = registry.lookup("gen-value", req(&v1), true, false).unwrap();
    assert_eq!((found.id, found.version), (id, 1));
    assert_eq!(
        registry.config(Some("gen-value"), false).unwrap(),
        ConfigResponse {
            compatibility_level: "FULL".into(),
            compatibility_policy: Some("LENIENT".into()),
            contract: contract(),
        }
    );
}

fn contract() -> ConfigContract {
    ConfigContract {
        default_metadata: Some(json!({"properties": {"owner": "fleet-team"}})),
        ..ConfigContract::default()
    }
}

#[test]
fn metadata_and_rule_sets_merge_as_confluents_do() {
    let old = json!({"tags": {"a": ["x"]}, "properties": {"owner": "fleet", "tier": "1"}, "sensitive": ["b"]});
    let new = json!({"properties": {"owner": "me"}, "sensitive": ["a"]});
    assert_eq!(
        merge_metadata(Some(&old), Some(&new)),
        Some(
            json!({"tags": {"a": ["x"]}, "properties": {"owner": "me", "tier": "1"}, "sensitive": ["a", "b"]})
        )
    );
    assert_eq!(merge_metadata(None, Some(&new)), Some(new.clone()));
    let rule = |name: &str, expr: &str| json!({"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr});
    let old = json!({"domainRules": [rule("a", "1"), rule("b", "2")]});
    let new = json!({"domainRules": [rule("b", "3"), rule("c", "4")], "migrationRules": []});
    assert_eq!(
        merge_rule_sets(Some(&old), Some(&new)),
        Some(json!({"domainRules": [rule("a", "1"), rule("b", "3"), rule("c", "4")]}))
    );
}

#[test]
fn a_chain_of_a_thousand_references_resolves_in_one_pass() {
    // link0 is a string; link{i} is an object whose `next` is link{i-1}, by reference
    // (names are one namespace across the chain, as in Confluent's registry). The chain is
    // put in the state directly: registering it link by link would parse every prefix of
    // the chain, which is the registry's job but not this test's.
    let registry = Registry::open(None).unwrap();
    registry
        .register("link0", req(&json!({"type": "string"})), false)
        .unwrap();
    let link = |i: i32| {
        let name = format!("link{}.json", i - 1);
        let doc = json!({"type": "object", "properties": {"next": {"$ref": name}}});
        let references = vec![SchemaReference {
            name,
            subject: format!("link{}", i - 1),
            version: 1,
        }];
        (doc, references)
    };
    {
        let mut state = registry.write();
        for i in 1..1000 {
            let (doc, references) = link(i);
            let text = doc.to_string();
            let keys = Keys::new(JSON, &references, &text, &doc);
            let stored = Stored::new(
                i + 1,
                JSON.into(),
                text,
                references,
                None,
                None,
                Err(stored::Unparsable::Schema(
                    compat::SchemaError::NotASchema {
                        pointer: "#".into(),
                        found: "not parsed in this test".into(),
                    },
                )),
                None,
                keys,
            );
            state.add_schema(Arc::new(stored));
            state.add_row(&format!("link{i}"), 1, i + 1, false);
        }
    }
    // The thousandth link is registered as any schema is: resolved and parsed.
    let (doc, references) = link(1000);
    let mut r = req(&doc);
    r.references = references;
    registry.register("link1000", r, false).unwrap();
    let state = registry.read();
    let top = state.live_versions("link1000");
    let schema = top[0].1.schema().unwrap();
    assert_eq!(schema.references().len(), 1000);
    // 1000 `next`s down, the string.
    let mut id = schema.root();
    for _ in 0..1000 {
        let compat::schema::Kind::Object(o) = &schema.node(schema.resolve(id)).kind else {
            panic!("not an object");
        };
        id = o.properties[0].1;
    }
    assert_eq!(
        schema.raw(schema.resolve(id)),
        Some(&json!({"type": "string"}))
    );
}

#[test]
fn concurrent_identical_registrations_serialise_to_one_version() {
    let registry = Arc::new(Registry::open(None).unwrap());
    let v1 = json!({"type": "string", "maxLength": 36});
    let ids: Vec<i32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| registry.register("id-value", req(&v1), false).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
    assert_eq!(registry.versions("id-value", false).unwrap(), vec![1]);
}
