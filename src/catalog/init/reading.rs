//! A contract's `[simulator]` reading model drafted from samples, so that `simulate` and the
//! simulator sample in `test` make readings shaped like the ones captured.
//!
//! Only what the samples show: the producer's id field (`kind = "id"`, its pattern from the ids
//! seen), a number that never changes for one producer is `fixed` (a position), other numbers
//! are drawn in the range seen (integers stay integers, fractions keep the most decimals seen),
//! anything else is the first value seen. Fields some samples lacked are left out (the schema
//! does not require them). How often producers send is not in the samples.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The most decimals a drafted number field keeps.
const MAX_DECIMALS: usize = 6;

/// Digits after the decimal point in the number's JSON text.
fn decimals(n: &serde_json::Number) -> usize {
    let text = n.to_string();
    match text.split_once('.') {
        Some((_, frac)) => frac.split(['e', 'E']).next().unwrap_or("").len(),
        None => 0,
    }
}

/// `prefix{n}` when every id is `prefix` and a number without leading zeros.
fn id_pattern<'a>(ids: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut prefix: Option<&str> = None;
    for id in ids {
        let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (head, number) = id.split_at(id.len() - digits);
        if number.is_empty() || number.starts_with('0') || prefix.is_some_and(|p| p != head) {
            return None;
        }
        prefix = Some(head);
    }
    prefix.map(|p| format!("{p}{{n}}"))
}

/// The value as an inline TOML value; `None` when TOML cannot hold it (a null inside).
fn toml_value(v: &Value) -> Option<String> {
    toml::Value::try_from(v).ok().map(|t| t.to_string())
}

fn number_text(v: f64) -> String {
    let text = format!("{v}");
    if text.contains(['.', 'e', 'E']) || v.is_nan() {
        text
    } else {
        format!("{text}.0")
    }
}

/// Why no `[simulator]` section could be drafted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoDraft {
    /// No sample is a JSON object.
    #[error("no samples")]
    NoSamples,
    /// The source has no readings at all (a registry holds schemas, not payloads).
    #[error("the registry holds no readings to draft it from")]
    NoReadings,
    /// A field is null in every sample, so nothing says what it holds.
    #[error("field \"{0}\" is null in every sample")]
    AlwaysNull(String),
    /// A field holds a null inside an array or object.
    #[error("field \"{0}\" holds a null inside, which TOML cannot write")]
    NullInside(String),
}

/// The `[simulator]` section for `samples`, or why none could be drafted. `id_field` is the
/// top-level field naming the producer, if one was guessed.
pub fn draft(samples: &[&Value], id_field: Option<&str>) -> Result<String, NoDraft> {
    let objects: Vec<&serde_json::Map<String, Value>> =
        samples.iter().filter_map(|s| s.as_object()).collect();
    let Some(first) = objects.first() else {
        return Err(NoDraft::NoSamples);
    };
    // Fields every sample carried, in the first sample's order.
    let names: Vec<&String> = first
        .keys()
        .filter(|k| objects.iter().all(|o| o.contains_key(*k)))
        .collect();
    fn values<'a>(
        objects: &'a [&'a serde_json::Map<String, Value>],
        name: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        objects.iter().map(move |o| &o[name])
    }
    let id_field = id_field
        .filter(|f| names.iter().any(|n| n == f))
        .filter(|f| values(&objects, f).all(Value::is_string));
    let producer_of = |o: &serde_json::Map<String, Value>| {
        id_field
            .and_then(|f| o.get(f))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut out = String::new();
    let producer_id = id_field.map(|f| {
        id_pattern(values(&objects, f).filter_map(Value::as_str))
            .unwrap_or_else(|| format!("{f}-{{n}}"))
    });
    let _ = writeln!(out, "[simulator]");
    if let Some(p) = &producer_id {
        let _ = writeln!(out, "producer_id = {}", super::quoted(p));
    }
    let _ = writeln!(
        out,
        "# How often each producer sends is not in the samples; set it, e.g. interval = [60, 120]."
    );
    let _ = writeln!(out, "interval = [1, 1]");
    for name in names {
        let _ = writeln!(out);
        let _ = writeln!(out, "[[simulator.fields]]");
        let _ = writeln!(out, "name = {}", super::quoted(name));
        if Some(name.as_str()) == id_field {
            let _ = writeln!(out, "kind = \"id\"");
            continue;
        }
        let numbers: Option<Vec<&serde_json::Number>> = values(&objects, name)
            .map(|v| match v {
                Value::Number(n) => Some(n),
                _ => None,
            })
            .collect();
        match numbers {
            Some(numbers) => {
                let as_f64: Vec<f64> = numbers.iter().filter_map(|n| n.as_f64()).collect();
                let min = as_f64.iter().copied().fold(f64::INFINITY, f64::min);
                let max = as_f64.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let integer = numbers.iter().all(|n| n.is_i64() || n.is_u64());
                // A value that never changes for one producer, while producers differ: a
                // position. Needs a producer seen twice to tell it from a draw.
                let mut per_producer: BTreeMap<String, (f64, usize)> = BTreeMap::new();
                let mut constant = id_field.is_some();
                for (o, v) in objects.iter().zip(&as_f64) {
                    let Some(p) = producer_of(o) else { continue };
                    let entry = per_producer.entry(p).or_insert((*v, 0));
                    constant &= entry.0 == *v;
                    entry.1 += 1;
                }
                let fixed =
                    constant && per_producer.values().any(|(_, seen)| *seen > 1) && min < max;
                if min == max {
                    let _ = writeln!(out, "kind = \"const\"");
                    let _ = writeln!(out, "value = {}", numbers[0]);
                    continue;
                }
                let _ = writeln!(
                    out,
                    "kind = {}",
                    if fixed { "\"fixed\"" } else { "\"draw\"" }
                );
                if integer {
                    let _ = writeln!(out, "type = \"integer\"");
                } else {
                    let places = numbers
                        .iter()
                        .map(|n| decimals(n))
                        .max()
                        .unwrap_or(2)
                        .clamp(1, MAX_DECIMALS);
                    let _ = writeln!(out, "decimals = {places}");
                }
                let bound = |v: f64| {
                    if integer {
                        format!("{v:.0}")
                    } else {
                        number_text(v)
                    }
                };
                let _ = writeln!(
                    out,
                    "range = [{}, {}]   # the range seen",
                    bound(min),
                    bound(max)
                );
                if fixed && let Some(pattern) = &producer_id {
                    // The first producers keep the values they were seen with.
                    let first: Vec<String> = (1..)
                        .map(|n| pattern.replace("{n}", &n.to_string()))
                        .map_while(|id| per_producer.get(&id).map(|(v, _)| bound(*v)))
                        .collect();
                    if !first.is_empty() {
                        let _ = writeln!(out, "first = [{}]", first.join(", "));
                    }
                }
            }
            None => {
                let seen = values(&objects, name)
                    .find(|v| !v.is_null())
                    .ok_or_else(|| NoDraft::AlwaysNull(name.to_string()))?;
                let value =
                    toml_value(seen).ok_or_else(|| NoDraft::NullInside(name.to_string()))?;
                let _ = writeln!(out, "kind = \"const\"   # the first value seen");
                let _ = writeln!(out, "value = {value}");
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fleets_readings_give_ids_positions_and_integer_draws() {
        let samples = [
            json!({"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429, "temperature": 36, "pressure": 500, "fuel": 400, "site": "ny"}),
            json!({"generatorID": "generator2", "lat": 34.05223, "lon": -118.24368, "temperature": -10, "pressure": 100, "fuel": -9, "site": "ny"}),
            json!({"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429, "temperature": 90, "pressure": 1000, "fuel": 391, "site": "ny"}),
        ];
        let refs: Vec<&Value> = samples.iter().collect();
        let text = draft(&refs, Some("generatorID")).unwrap();
        let doc: toml::Table = toml::from_str(&text).expect(&text);
        let sim = doc["simulator"].as_table().unwrap();
        assert_eq!(sim["producer_id"].as_str(), Some("generator{n}"));
        let fields = sim["fields"].as_array().unwrap();
        let field = |name: &str| {
            fields
                .iter()
                .find(|f| f["name"].as_str() == Some(name))
                .unwrap_or_else(|| panic!("{name} in {text}"))
        };
        assert_eq!(field("generatorID")["kind"].as_str(), Some("id"));
        assert_eq!(field("lat")["kind"].as_str(), Some("fixed"));
        assert_eq!(field("lat")["decimals"].as_integer(), Some(5));
        assert_eq!(field("lat")["first"].as_array().unwrap().len(), 2, "{text}");
        assert_eq!(field("temperature")["kind"].as_str(), Some("draw"));
        assert_eq!(field("temperature")["type"].as_str(), Some("integer"));
        assert_eq!(
            field("temperature")["range"].as_array().unwrap(),
            &vec![toml::Value::Integer(-10), toml::Value::Integer(90)]
        );
        assert_eq!(field("fuel")["kind"].as_str(), Some("draw"));
        assert_eq!(field("site")["kind"].as_str(), Some("const"));
        assert_eq!(field("site")["value"].as_str(), Some("ny"));
    }

    #[test]
    fn ids_without_one_pattern_and_fields_some_samples_lack() {
        let samples = [
            json!({"id": "pump-a", "flow": 1.5, "alarm": "low"}),
            json!({"id": "pump-07", "flow": 2.25}),
        ];
        let refs: Vec<&Value> = samples.iter().collect();
        let text = draft(&refs, Some("id")).unwrap();
        assert!(text.contains("producer_id = \"id-{n}\""), "{text}");
        assert!(!text.contains("alarm"), "{text}");
        assert!(text.contains("decimals = 2"), "{text}");
        assert!(text.contains("kind = \"draw\""), "{text}");
    }

    #[test]
    fn nested_values_are_written_inline() {
        let samples = [json!({"engine": {"model": "x1", "cells": [1, 2]}})];
        let refs: Vec<&Value> = samples.iter().collect();
        let text = draft(&refs, None).unwrap();
        let doc: toml::Table = toml::from_str(&text).expect(&text);
        let field = &doc["simulator"]["fields"][0];
        assert_eq!(
            serde_json::to_value(&field["value"]).unwrap(),
            json!({"model": "x1", "cells": [1, 2]})
        );
    }

    #[test]
    fn a_field_that_is_always_null_cannot_be_modelled() {
        let samples = [json!({"a": null})];
        let refs: Vec<&Value> = samples.iter().collect();
        assert_eq!(
            draft(&refs, None).unwrap_err(),
            NoDraft::AlwaysNull("a".into())
        );
    }

    #[test]
    fn id_patterns_need_one_prefix_and_plain_numbers() {
        assert_eq!(
            id_pattern(["generator1", "generator12"].into_iter()).as_deref(),
            Some("generator{n}")
        );
        assert_eq!(id_pattern(["gen-0001"].into_iter()), None);
        assert_eq!(id_pattern(["a1", "b2"].into_iter()), None);
        assert_eq!(id_pattern(["abc"].into_iter()), None);
    }
}
