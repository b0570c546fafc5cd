//! The compatibility engine's workloads, shared by `benches/engine.rs` (criterion) and
//! `examples/engine_driver.rs` (a fixed number of runs, for counting instructions).

use schemactl::compat::{self, Level, Metadata, Policy, Schema, Version};
use serde_json::{Map, Value, json};
use std::fs;
use std::path::Path;

/// One fixture pair as text, the way a CI run receives it.
pub struct Case {
    pub previous: String,
    pub current: String,
    pub previous_metadata: Option<String>,
    pub current_metadata: Option<String>,
}

pub fn cases() -> Vec<Case> {
    // `FIXTURES=dir` reads the pairs from another tree, so that two builds measure one input.
    let root = std::env::var_os("FIXTURES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat"));
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("tests/fixtures/compat exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let read = |dir: &Path, file: &str| fs::read_to_string(dir.join(file)).ok();
    dirs.iter()
        .map(|dir| Case {
            previous: read(dir, "previous.json").expect("previous.json"),
            current: read(dir, "current.json").expect("current.json"),
            previous_metadata: read(dir, "previous-metadata.json"),
            current_metadata: read(dir, "current-metadata.json"),
        })
        .collect()
}

/// A fixture pair parsed once.
pub struct Parsed {
    pub previous: Schema,
    pub current: Schema,
    pub previous_metadata: Option<Metadata>,
    pub current_metadata: Option<Metadata>,
}

pub fn metadata(text: Option<&String>) -> Option<Metadata> {
    text.map(|t| {
        let value: Value = serde_json::from_str(t).expect("metadata is JSON");
        Metadata::from_json(&value).expect("valid metadata")
    })
}

pub fn parse(case: &Case) -> Parsed {
    Parsed {
        previous: Schema::from_json_text(&case.previous).expect("previous parses"),
        current: Schema::from_json_text(&case.current).expect("current parses"),
        previous_metadata: metadata(case.previous_metadata.as_ref()),
        current_metadata: metadata(case.current_metadata.as_ref()),
    }
}

pub fn verdict(pair: &Parsed) -> bool {
    let previous = Version {
        label: "previous",
        schema: &pair.previous,
        metadata: pair.previous_metadata.as_ref(),
    };
    let current = Version {
        label: "current",
        schema: &pair.current,
        metadata: pair.current_metadata.as_ref(),
    };
    compat::check(&current, &[previous], Level::Backward, Policy::Strict).compatible
}

/// Properties every version carries, before the history adds its own.
pub const BASE_PROPERTIES: usize = 10;
/// Properties of the proposal.
pub const FINAL_PROPERTIES: usize = 50;
/// Earlier versions checked against.
pub const HISTORY: usize = 1_000;

/// The generator telemetry record's schema history, oldest first, and the proposal.
///
/// Every version is a closed content model. Version `i` either adds an optional sensor reading
/// (so the property count climbs from 10 to 50 across the history) or relaxes the upper bound
/// of an existing reading, which is how telemetry schemas actually drift.
pub fn history() -> Vec<Value> {
    let mut properties: Vec<(String, Value)> = [
        (
            "generatorID",
            json!({"type": "string", "minLength": 4, "maxLength": 32}),
        ),
        (
            "lat",
            json!({"type": "number", "minimum": -90, "maximum": 90}),
        ),
        (
            "lon",
            json!({"type": "number", "minimum": -180, "maximum": 180}),
        ),
        (
            "temperature",
            json!({"type": "number", "minimum": -40, "maximum": 120}),
        ),
        (
            "pressure",
            json!({"type": "number", "minimum": 0, "maximum": 800}),
        ),
        (
            "fuel",
            json!({"type": "number", "minimum": 0, "maximum": 100}),
        ),
        (
            "rpm",
            json!({"type": "integer", "minimum": 0, "maximum": 3600}),
        ),
        (
            "voltage",
            json!({"type": "number", "minimum": 0, "maximum": 480}),
        ),
        (
            "current",
            json!({"type": "number", "minimum": 0, "maximum": 400}),
        ),
        (
            "runHours",
            json!({"type": "number", "minimum": 0, "maximum": 100000}),
        ),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    assert_eq!(properties.len(), BASE_PROPERTIES);
    let added = FINAL_PROPERTIES - BASE_PROPERTIES;
    let document = |properties: &[(String, Value)], version: usize| {
        let map: Map<String, Value> = properties.iter().cloned().collect();
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": format!("https://schemas.example.com/telemetry/generator/{version}"),
            "title": "GeneratorTelemetry",
            "type": "object",
            "properties": map,
            "required": ["generatorID", "lat", "lon"],
            "additionalProperties": false,
        })
    };
    let mut versions = vec![document(&properties, 0)];
    for version in 1..=HISTORY {
        // Spread the additions evenly: version i adds one when i·added/HISTORY steps up.
        if version * added / HISTORY > (version - 1) * added / HISTORY {
            let n = properties.len();
            properties.push((
                format!("sensor{n:02}"),
                json!({
                    "type": "number",
                    "description": format!("Auxiliary sensor {n}"),
                    "minimum": 0,
                    "maximum": 1000,
                }),
            ));
        } else {
            let i = 1 + version % (properties.len() - 1);
            let maximum = &mut properties[i].1["maximum"];
            *maximum = json!(maximum.as_f64().expect("numeric maximum") + 1.0);
        }
        versions.push(document(&properties, version));
    }
    assert_eq!(versions.len(), HISTORY + 1);
    assert_eq!(properties.len(), FINAL_PROPERTIES);
    versions
}

/// The history's schemas parsed once, their labels, and its texts: what both history
/// workloads start from.
pub struct History {
    pub texts: Vec<String>,
    pub schemas: Vec<Schema>,
    labels: Vec<String>,
}

impl History {
    pub fn new() -> History {
        let documents = history();
        History {
            texts: documents.iter().map(Value::to_string).collect(),
            schemas: documents
                .iter()
                .map(|d| Schema::parse(d.clone()).expect("history parses"))
                .collect(),
            labels: (1..=documents.len()).map(|v| format!("v{v}")).collect(),
        }
    }

    /// The FULL_TRANSITIVE check of the proposal (the last of `schemas`) against the others.
    pub fn check(&self, schemas: &[Schema]) -> compat::Verdict {
        let history: Vec<Version<'_>> = schemas[..HISTORY]
            .iter()
            .zip(&self.labels)
            .map(|(schema, label)| Version {
                label,
                schema,
                metadata: None,
            })
            .collect();
        let proposal = Version {
            label: &self.labels[HISTORY],
            schema: &schemas[HISTORY],
            metadata: None,
        };
        compat::check(&proposal, &history, Level::FullTransitive, Policy::Strict)
    }

    /// Every text parsed again, then checked.
    pub fn parse_and_check(&self) -> compat::Verdict {
        let parsed: Vec<Schema> = self
            .texts
            .iter()
            .map(|t| Schema::from_json_text(std::hint::black_box(t)).expect("history parses"))
            .collect();
        self.check(&parsed)
    }
}
