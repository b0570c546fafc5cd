//! A draft-07 schema inferred from sample payloads: it accepts every sample it was built from.
//!
//! The content model is open, as the real fleet's registered schema is (FLEET.md): no
//! `additionalProperties`, so a field the samples never showed is let through rather than
//! flagged, and the team tightens the schema when it knows better. Types are what was seen: a
//! field seen as an integer and as a fraction is `number`; a field seen with several JSON types
//! gets a type list. A field is required when every object at its place carried it (a `null`
//! counts as present). Arrays get one `items` schema that accepts every element seen.

use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// What was seen at one place in the samples.
#[derive(Debug, Default)]
pub struct Shape {
    null: bool,
    boolean: bool,
    integer: bool,
    fraction: bool,
    string: bool,
    object: Option<ObjectShape>,
    /// Arrays seen here, with what their elements looked like (`None` while all were empty).
    array: Option<Option<Box<Shape>>>,
}

/// The objects seen at one place: their properties in first-seen order, and how often each.
#[derive(Debug, Default)]
struct ObjectShape {
    /// How many objects were seen here.
    count: usize,
    properties: Vec<(String, Shape, usize)>,
    index: HashMap<String, usize>,
}

impl Shape {
    /// Widens the shape so that it accepts `value` too.
    pub fn add(&mut self, value: &Value) {
        match value {
            Value::Null => self.null = true,
            Value::Bool(_) => self.boolean = true,
            Value::Number(n) if n.is_i64() || n.is_u64() => self.integer = true,
            Value::Number(_) => self.fraction = true,
            Value::String(_) => self.string = true,
            Value::Array(items) => {
                let slot = self.array.get_or_insert(None);
                for item in items {
                    slot.get_or_insert_with(Box::default).add(item);
                }
            }
            Value::Object(map) => {
                let object = self.object.get_or_insert_with(ObjectShape::default);
                object.count += 1;
                for (key, item) in map {
                    let at = match object.index.get(key) {
                        Some(&at) => at,
                        None => {
                            object.properties.push((key.clone(), Shape::default(), 0));
                            object
                                .index
                                .insert(key.clone(), object.properties.len() - 1);
                            object.properties.len() - 1
                        }
                    };
                    let (_, shape, seen) = &mut object.properties[at];
                    shape.add(item);
                    *seen += 1;
                }
            }
        }
    }

    /// The JSON type names seen, in a fixed order; a number seen as a fraction anywhere makes
    /// the place `number` (which also accepts integers).
    fn types(&self) -> Vec<&'static str> {
        let mut types = Vec::new();
        if self.object.is_some() {
            types.push("object");
        }
        if self.array.is_some() {
            types.push("array");
        }
        if self.string {
            types.push("string");
        }
        if self.fraction {
            types.push("number");
        } else if self.integer {
            types.push("integer");
        }
        if self.boolean {
            types.push("boolean");
        }
        if self.null {
            types.push("null");
        }
        types
    }

    /// The schema for this place. Keywords that apply to one type (`properties`, `items`) only
    /// constrain values of that type, so they sit beside a type list without harm.
    pub fn schema(&self) -> Map<String, Value> {
        let mut out = Map::new();
        match self.types().as_slice() {
            [] => {}
            [one] => {
                out.insert("type".into(), json!(one));
            }
            many => {
                out.insert("type".into(), json!(many));
            }
        }
        if let Some(object) = &self.object {
            let properties: Map<String, Value> = object
                .properties
                .iter()
                .map(|(key, shape, _)| (key.clone(), Value::Object(shape.schema())))
                .collect();
            let required: Vec<&str> = object
                .properties
                .iter()
                .filter(|(_, _, seen)| *seen == object.count)
                .map(|(key, _, _)| key.as_str())
                .collect();
            out.insert("properties".into(), Value::Object(properties));
            if !required.is_empty() {
                out.insert("required".into(), json!(required));
            }
        }
        if let Some(Some(items)) = &self.array {
            out.insert("items".into(), Value::Object(items.schema()));
        }
        out
    }
}

/// A draft-07 schema, titled `title` and described by `description`, that accepts every one
/// of `samples`.
pub fn infer<'a>(
    title: &str,
    description: &str,
    samples: impl IntoIterator<Item = &'a Value>,
) -> Value {
    let mut shape = Shape::default();
    for sample in samples {
        shape.add(sample);
    }
    let mut doc = Map::new();
    doc.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    doc.insert("title".into(), json!(title));
    doc.insert("description".into(), json!(description));
    doc.extend(shape.schema());
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::Schema;
    use crate::validate::PayloadValidator;

    fn inferred(samples: &[Value]) -> Value {
        infer("T", "d", samples)
    }

    fn accepts_all(schema: &Value, samples: &[Value]) {
        let parsed = Schema::parse(schema.clone()).expect("the engine reads the schema");
        let validator = PayloadValidator::new(&parsed).expect("the validator compiles it");
        for sample in samples {
            let violations = validator.check_value(sample);
            assert!(
                violations.is_empty(),
                "{sample} fails {schema}: {violations:?}"
            );
        }
    }

    #[test]
    fn fleet_readings_give_the_fleets_shape_with_integer_and_number() {
        let samples = [
            json!({"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429, "temperature": 36, "pressure": 500, "fuel": 400}),
            json!({"generatorID": "generator2", "lat": 34.05, "lon": -118.25, "temperature": -10, "pressure": 1000, "fuel": -9}),
        ];
        let schema = inferred(&samples);
        assert_eq!(
            schema["properties"],
            json!({
                "generatorID": {"type": "string"},
                "lat": {"type": "number"},
                "lon": {"type": "number"},
                "temperature": {"type": "integer"},
                "pressure": {"type": "integer"},
                "fuel": {"type": "integer"},
            })
        );
        assert_eq!(
            schema["required"],
            json!([
                "generatorID",
                "lat",
                "lon",
                "temperature",
                "pressure",
                "fuel"
            ])
        );
        assert_eq!(schema["type"], "object");
        assert!(
            schema.get("additionalProperties").is_none(),
            "open content model"
        );
        accepts_all(&schema, &samples);
    }

    #[test]
    fn integer_and_fraction_make_number_and_mixed_types_make_a_list() {
        let samples = [
            json!({"a": 1, "b": "x", "c": null}),
            json!({"a": 1.5, "b": 2, "c": true}),
        ];
        let schema = inferred(&samples);
        assert_eq!(schema["properties"]["a"], json!({"type": "number"}));
        assert_eq!(
            schema["properties"]["b"],
            json!({"type": ["string", "integer"]})
        );
        assert_eq!(
            schema["properties"]["c"],
            json!({"type": ["boolean", "null"]})
        );
        accepts_all(&schema, &samples);
    }

    #[test]
    fn required_are_the_fields_every_sample_carried_at_every_depth() {
        let samples = [
            json!({"id": "g1", "engine": {"rpm": 1500, "oil": 3.2}, "alarm": "low"}),
            json!({"id": "g2", "engine": {"rpm": 1400}}),
        ];
        let schema = inferred(&samples);
        assert_eq!(schema["required"], json!(["id", "engine"]));
        assert_eq!(
            schema["properties"]["engine"],
            json!({
                "type": "object",
                "properties": {"rpm": {"type": "integer"}, "oil": {"type": "number"}},
                "required": ["rpm"],
            })
        );
        accepts_all(&schema, &samples);
    }

    #[test]
    fn arrays_get_one_items_schema_for_every_element_seen() {
        let samples = [
            json!({"faults": [], "cells": [{"v": 3.3}, {"v": 3, "t": 20}]}),
            json!({"faults": ["E1", 7], "cells": []}),
            json!({"faults": []}),
        ];
        let schema = inferred(&samples);
        assert_eq!(
            schema["properties"]["faults"],
            json!({"type": "array", "items": {"type": ["string", "integer"]}})
        );
        assert_eq!(
            schema["properties"]["cells"],
            json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"v": {"type": "number"}, "t": {"type": "integer"}},
                    "required": ["v"],
                },
            })
        );
        assert_eq!(schema["required"], json!(["faults"]));
        accepts_all(&schema, &samples);
    }

    #[test]
    fn only_empty_arrays_leave_items_open() {
        let samples = [json!({"x": []})];
        let schema = inferred(&samples);
        assert_eq!(schema["properties"]["x"], json!({"type": "array"}));
        accepts_all(&schema, &[json!({"x": [1, "a", {}]})]);
    }

    #[test]
    fn a_place_seen_as_object_and_scalar_takes_both() {
        let samples = [json!({"pos": {"lat": 1.5}}), json!({"pos": "unknown"})];
        let schema = inferred(&samples);
        assert_eq!(
            schema["properties"]["pos"]["type"],
            json!(["object", "string"])
        );
        accepts_all(&schema, &samples);
    }
}
