use super::*;
use serde_json::json;

#[test]
fn type_with_enum_is_a_synthetic_all_of() {
    let s = Schema::parse(json!({"type": "string", "enum": ["red"]})).unwrap();
    assert!(
        matches!(s.node(s.root()).kind, Kind::Combined(Criterion::All, ref ids) if ids.len() == 2)
    );
}

#[test]
fn nodes_point_at_their_json() {
    let s = Schema::parse(json!({"properties": {
        "": {"type": "string"},
        "a/b~c": {"type": "number"},
        "t": {"items": [{"const": 1}, {"const": 2}]},
    }}))
    .unwrap();
    let Kind::Object(o) = &s.node(s.root()).kind else {
        panic!("object expected")
    };
    let pointers: Vec<_> = o
        .properties
        .iter()
        .map(|&(_, id)| s.node(id).pointer.clone().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/properties/", "/properties/a~1b~0c", "/properties/t"]
    );
    assert_eq!(s.raw(o.properties[1].1), Some(&json!({"type": "number"})));
    let Kind::Array(t) = &s.node(o.properties[2].1).kind else {
        panic!("array expected")
    };
    assert_eq!(s.raw(t.item_schemas[1]), Some(&json!({"const": 2})));
    assert_eq!(o.property("a/b~c"), Some(o.properties[1].1));
    assert_eq!(o.property("missing"), None);
}

#[test]
fn each_pointer_is_loaded_once() {
    let s = Schema::parse(json!({
        "type": ["object", "object"],
        "properties": {"a": {"$ref": "#/properties/b"}, "b": {"type": "string"}},
    }))
    .unwrap();
    let Kind::Combined(Criterion::Any, ids) = &s.node(s.root()).kind else {
        panic!("anyOf expected")
    };
    let objects: Vec<&ObjectNode> = ids
        .iter()
        .map(|&id| match &s.node(id).kind {
            Kind::Object(o) => &**o,
            other => panic!("object expected, found {other:?}"),
        })
        .collect();
    assert_eq!(objects[0].properties, objects[1].properties);
    let (a, b) = (objects[0].properties[0].1, objects[0].properties[1].1);
    assert_eq!(s.resolve(a), b);
    let strings = s
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, Kind::String(_)))
        .count();
    assert_eq!(strings, 1, "/properties/b was loaded more than once");
}

#[test]
fn recursive_schema_forms_a_cycle() {
    let s = Schema::parse(json!({"properties": {"child": {"$ref": "#"}}})).unwrap();
    let Kind::Object(o) = &s.node(s.root()).kind else {
        panic!("object expected")
    };
    assert_eq!(s.resolve(o.properties[0].1), s.root());
}

#[test]
fn self_reference_without_a_schema_is_an_error() {
    let err = Schema::parse(json!({"$ref": "#"})).unwrap_err();
    assert!(matches!(err, SchemaError::RefCycle { .. }), "{err}");
    let err = Schema::parse(json!({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"})).unwrap_err();
    assert!(matches!(err, SchemaError::RefCycle { .. }), "{err}");
}

fn location() -> Value {
    json!({"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"$ref": "#/definitions/degrees"}}, "definitions": {"degrees": {"type": "number", "maximum": 180}}})
}

#[test]
fn a_ref_to_a_reference_name_points_into_that_schema() {
    let mut refs = ResolvedReferences::default();
    assert!(refs.insert("location.json", location()));
    assert!(
        !refs.insert("./location.json", json!({})),
        "a name is taken once"
    );
    let s = Schema::parse_with_references(
        json!({"properties": {"at": {"$ref": "location.json"}, "lon": {"$ref": "./location.json#/properties/lon"}}}),
        refs,
    )
    .unwrap();
    let Kind::Object(o) = &s.node(s.root()).kind else {
        panic!()
    };
    let at = s.resolve(o.properties[0].1);
    assert_eq!(s.node(at).doc, 1);
    assert_eq!(s.raw(at), Some(&location()));
    // The referenced schema's own `#/...` stays inside it.
    let lon = s.resolve(o.properties[1].1);
    assert_eq!(s.raw(lon), Some(&json!({"type": "number", "maximum": 180})));
}

#[test]
fn a_ref_to_anything_but_a_reference_is_refused_and_names_it() {
    for uri in [
        "http://127.0.0.1:9/location.json",
        "file:///etc/passwd",
        "other.json#/a",
    ] {
        let mut refs = ResolvedReferences::default();
        refs.insert("location.json", location());
        let err = Schema::parse_with_references(json!({"$ref": uri}), refs).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SchemaError::UnresolvedRef { .. }), "{text}");
        assert!(
            text.contains("\"location.json\"") && text.contains(uri),
            "{text}"
        );
        if uri.contains("://") {
            assert!(text.contains("never fetches"), "{text}");
        }
    }
}

#[test]
fn references_may_refer_back_and_cycles_without_a_schema_are_caught() {
    // A tree of two documents referring to each other is a recursive schema.
    let mut refs = ResolvedReferences::default();
    refs.insert(
        "node.json",
        json!({"properties": {"parent": {"$ref": "tree.json"}}}),
    );
    refs.insert(
        "tree.json",
        json!({"properties": {"child": {"$ref": "node.json"}}}),
    );
    assert!(Schema::parse_with_references(json!({"$ref": "tree.json"}), refs).is_ok());
    // Two documents that are nothing but references to each other.
    let mut refs = ResolvedReferences::default();
    refs.insert("a.json", json!({"$ref": "b.json"}));
    refs.insert("b.json", json!({"$ref": "a.json"}));
    let err = Schema::parse_with_references(json!({"$ref": "a.json"}), refs).unwrap_err();
    assert!(matches!(err, SchemaError::RefCycle { .. }), "{err}");
    assert!(err.to_string().contains("a.json#"), "{err}");
}

#[test]
fn a_thousand_chained_references_parse_in_linear_time() {
    // Each schema is only a reference to the next, the longest chain the walk can meet.
    let mut refs = ResolvedReferences::default();
    for i in 0..1000 {
        let next = if i == 999 {
            json!({"type": "string"})
        } else {
            json!({"$ref": format!("s{}.json", i + 1)})
        };
        refs.insert(&format!("s{i}.json"), next);
    }
    let s = Schema::parse_with_references(json!({"$ref": "s0.json"}), refs).unwrap();
    let end = s.resolve(s.root());
    assert_eq!(s.raw(end), Some(&json!({"type": "string"})));
    assert_eq!(s.node(end).doc, 1000);
}

#[test]
fn dangling_ref_names_its_position() {
    let err =
        Schema::parse(json!({"properties": {"a": {"$ref": "#/definitions/missing"}}})).unwrap_err();
    assert!(err.to_string().contains("#/properties/a/$ref"), "{err}");
}

#[test]
fn each_draft_reads_what_confluents_loader_for_it_reads() {
    const D2020: &str = "https://json-schema.org/draft/2020-12/schema";
    // 2020-12 (json-sKema): no `$id` on the schema, no object node for an empty
    // `properties`, `minContains` only with `contains`, defaulting to 1.
    let s = Schema::parse(json!({"$schema": D2020, "$id": "g", "properties": {}})).unwrap();
    assert_eq!(s.node(s.root()).id, None);
    assert!(matches!(s.node(s.root()).kind, Kind::Empty));
    let s = Schema::parse(json!({"$schema": D2020, "contains": {"const": 1}})).unwrap();
    let Kind::Array(a) = &s.node(s.root()).kind else {
        panic!("array expected")
    };
    assert_eq!((a.min_contains, a.max_contains), (Some(1.0), None));
    let err = Schema::parse(json!({"$schema": D2020, "items": [{"type": "string"}]})).unwrap_err();
    assert!(
        err.to_string().contains("#/items") && err.to_string().contains("prefixItems"),
        "{err}"
    );
    // draft-07 (everit): keywords of later drafts are neither read nor make a node.
    let later =
        json!({"$id": "g", "unevaluatedProperties": false, "dependentRequired": {"a": ["b"]}});
    let s = Schema::parse(later).unwrap();
    assert_eq!(s.node(s.root()).id, Some(json!("g")));
    assert!(matches!(s.node(s.root()).kind, Kind::Empty));
    let s = Schema::parse(
        json!({"type": "object", "unevaluatedProperties": false, "dependentSchemas": {"a": {}}}),
    )
    .unwrap();
    let Kind::Object(o) = &s.node(s.root()).kind else {
        panic!("object expected")
    };
    assert!(o.unevaluated.is_none() && o.schema_dependencies.is_empty());
}

#[test]
fn unknown_schema_url_warns_and_reads_draft_07() {
    let s = Schema::parse(json!({"$schema": "https://mirror.example/draft-07/schema#"})).unwrap();
    assert_eq!(s.draft, Draft::Draft7);
    assert_eq!(s.warnings.len(), 1);
}

#[test]
fn wrong_keyword_shape_is_reported() {
    let err = Schema::parse(json!({"properties": {"a": {"type": 5}}})).unwrap_err();
    assert!(err.to_string().contains("#/properties/a/type"), "{err}");
    let err = Schema::parse(json!([1, 2])).unwrap_err();
    assert!(err.to_string().contains("not a JSON Schema at #"), "{err}");
}
