//! The fleet: generators at fixed positions whose temperature, pressure and fuel follow smooth
//! random walks (fuel drains and is refilled), every reading valid against the newest schema,
//! and the faults that turn some of them into misbehaving producers. Everything comes from one
//! seeded generator, so a seed gives the same stream every time.

use super::fault::{Fault, FaultPlan};
use crate::compat::Schema;
use crate::transport::TransportKind;
use serde_json::{Map, Value, json};

/// A small, fast, seedable generator (SplitMix64): the stream must not change with a
/// dependency's version, so it lives here.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A float in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A field's bounds as the schema states them.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    min: f64,
    max: f64,
}

fn bounds(schema: &Value, field: &str, fallback: (f64, f64)) -> Bounds {
    let prop = &schema["properties"][field];
    Bounds {
        min: prop["minimum"].as_f64().unwrap_or(fallback.0),
        max: prop["maximum"].as_f64().unwrap_or(fallback.1),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One generator's state.
#[derive(Clone, Debug)]
struct Generator {
    id: String,
    lat: f64,
    lon: f64,
    temperature: f64,
    home_temperature: f64,
    pressure: f64,
    home_pressure: f64,
    fuel: f64,
    burn: f64,
    firmware: String,
    faults: Vec<(Fault, f64)>,
}

/// What the fleet knows of the schema it must satisfy.
#[derive(Clone, Debug)]
struct Shape {
    temperature: Bounds,
    pressure: Bounds,
    fuel: Bounds,
    has_status: bool,
    has_firmware: bool,
}

/// One reading, before it is put on a transport.
#[derive(Clone, Debug)]
pub struct Reading {
    /// Which generator (0-based).
    pub generator: usize,
    /// Its id.
    pub id: String,
    /// The compliant payload.
    pub payload: Value,
}

/// What a message's channel can carry, so that faults needing it apply only where the audit can
/// see them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Possible {
    /// The topic or key names the producer, so it can disagree with the payload.
    pub identity_mismatch: bool,
    /// The contract says the Kafka key is a UUID, so a key that is not one is a finding.
    pub key_not_uuid: bool,
}

/// The bound an out-of-range fault breaks: the first one the newest schema states.
#[derive(Clone, Debug, PartialEq)]
enum Breach {
    /// A number above `maximum` (or `exclusiveMaximum`).
    Above(String, f64),
    /// A number below `minimum` (or `exclusiveMinimum`).
    Below(String, f64),
    /// A string outside `enum`.
    NotIn(String),
}

impl Breach {
    /// The first bounded property of `doc`, numbers before enums.
    fn find(doc: &Value) -> Option<Breach> {
        let props = doc["properties"].as_object()?;
        let number = |p: &Value, k: &str| p.get(k).and_then(Value::as_f64);
        props
            .iter()
            .find_map(|(name, p)| {
                if let Some(max) = number(p, "maximum").or_else(|| number(p, "exclusiveMaximum")) {
                    Some(Breach::Above(name.clone(), max))
                } else {
                    number(p, "minimum")
                        .or_else(|| number(p, "exclusiveMinimum"))
                        .map(|min| Breach::Below(name.clone(), min))
                }
            })
            .or_else(|| {
                props.iter().find_map(|(name, p)| {
                    p["enum"]
                        .as_array()
                        .is_some_and(|e| e.iter().all(Value::is_string))
                        .then(|| Breach::NotIn(name.clone()))
                })
            })
    }
}

/// What a generator's fault does to one message.
#[derive(Clone, Debug, PartialEq)]
pub struct Faulted {
    /// The payload bytes to send (before any Kafka framing).
    pub bytes: Vec<u8>,
    /// The fault applied, if any.
    pub fault: Option<Fault>,
}

/// The fleet.
#[derive(Clone, Debug)]
pub struct Fleet {
    rng: Rng,
    generators: Vec<Generator>,
    shape: Shape,
    oversize_bytes: usize,
    breach: Option<Breach>,
}

/// Fields the fleet knows how to fill; a schema requiring anything else is not a generator
/// schema.
const KNOWN: [&str; 9] = [
    "generatorID",
    "lat",
    "lon",
    "temperature",
    "pressure",
    "fuel",
    "timestamp",
    "firmware",
    "status",
];

impl Fleet {
    /// A fleet of `size` generators for `schema`, with `plan`'s faults; `oversize_bytes` is the
    /// size an oversized payload exceeds.
    pub fn new(
        schema: &Schema,
        size: usize,
        seed: u64,
        plan: &FaultPlan,
        oversize_bytes: usize,
    ) -> Result<Fleet, String> {
        let doc = schema.document();
        let required: Vec<&str> = doc["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for field in [
            "generatorID",
            "lat",
            "lon",
            "temperature",
            "pressure",
            "fuel",
        ] {
            if doc["properties"].get(field).is_none() {
                return Err(format!(
                    "the schema has no \"{field}\" property: the simulator produces generator telemetry (generatorID, lat, lon, temperature, pressure, fuel)"
                ));
            }
        }
        if let Some(unknown) = required
            .iter()
            .find(|f| !KNOWN.contains(f) || **f == "timestamp")
        {
            return Err(format!(
                "the schema requires \"{unknown}\", which the simulator does not produce"
            ));
        }
        let shape = Shape {
            temperature: bounds(doc, "temperature", (-50.0, 200.0)),
            pressure: bounds(doc, "pressure", (0.0, 1000.0)),
            fuel: bounds(doc, "fuel", (0.0, 100.0)),
            has_status: doc["properties"]["status"]["enum"]
                .as_array()
                .is_some_and(|e| e.iter().any(|v| v == "running")),
            has_firmware: doc["properties"]["firmware"]["type"] == "string",
        };
        let breach = Breach::find(doc);
        if breach.is_none() && plan.rules.iter().any(|r| r.1 == Fault::OutOfRange) {
            return Err("out-of-range: the newest schema bounds no property (no minimum, maximum or enum), so no value can be out of its range".into());
        }
        let size = size.max(plan.generators_needed()).max(1);
        let mut rng = Rng::new(seed);
        let generators = (0..size)
            .map(|i| {
                let t = &shape.temperature;
                let p = &shape.pressure;
                let f = &shape.fuel;
                let home_temperature = rng.range(
                    t.min + 0.55 * (t.max - t.min),
                    t.min + 0.65 * (t.max - t.min),
                );
                let home_pressure = rng.range(
                    p.min + 0.25 * (p.max - p.min),
                    p.min + 0.35 * (p.max - p.min),
                );
                Generator {
                    id: format!("generator{}", i + 1),
                    lat: round2(rng.range(-60.0, 70.0)),
                    lon: round2(rng.range(-179.0, 179.0)),
                    temperature: home_temperature,
                    home_temperature,
                    pressure: home_pressure,
                    home_pressure,
                    fuel: rng.range(f.min + 0.3 * (f.max - f.min), f.max),
                    burn: rng.range(0.0005, 0.004) * (f.max - f.min),
                    firmware: format!("4.{}.{}", rng.next_u64() % 3, rng.next_u64() % 10),
                    faults: plan
                        .rules
                        .iter()
                        .filter(|(g, _, _)| *g == i)
                        .map(|(_, fault, share)| (*fault, *share))
                        .collect(),
                }
            })
            .collect();
        Ok(Fleet {
            rng,
            generators,
            shape,
            oversize_bytes,
            breach,
        })
    }

    /// The number of generators.
    pub fn len(&self) -> usize {
        self.generators.len()
    }

    /// Whether the fleet is empty (never: it has at least one generator).
    pub fn is_empty(&self) -> bool {
        self.generators.is_empty()
    }

    /// The id of generator `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.generators[i].id
    }

    /// The faults assigned to generator `i`.
    pub fn faults_of(&self, i: usize) -> impl Iterator<Item = Fault> + '_ {
        self.generators[i].faults.iter().map(|(f, _)| *f)
    }

    /// Random bits from the fleet's stream (for Kafka UUID keys), keeping the stream seeded.
    pub fn random_u128(&mut self) -> u128 {
        (u128::from(self.rng.next_u64()) << 64) | u128::from(self.rng.next_u64())
    }

    /// Advances generator `i` one step and returns its compliant reading.
    pub fn read(&mut self, i: usize) -> Reading {
        let shape = self.shape.clone();
        let rng = &mut self.rng;
        let g = &mut self.generators[i];
        let t = shape.temperature;
        g.temperature +=
            0.1 * (g.home_temperature - g.temperature) + rng.range(-0.004, 0.004) * (t.max - t.min);
        g.temperature = g.temperature.clamp(t.min, t.max);
        let p = shape.pressure;
        g.pressure +=
            0.1 * (g.home_pressure - g.pressure) + rng.range(-0.003, 0.003) * (p.max - p.min);
        g.pressure = g.pressure.clamp(p.min, p.max);
        let f = shape.fuel;
        g.fuel -= g.burn * rng.range(0.5, 1.5);
        if g.fuel < f.min + 0.1 * (f.max - f.min) {
            // Refilled by the crew.
            g.fuel = rng.range(f.min + 0.95 * (f.max - f.min), f.max);
        }
        g.fuel = g.fuel.clamp(f.min, f.max);
        let mut payload = Map::new();
        payload.insert("generatorID".into(), json!(g.id));
        payload.insert("lat".into(), json!(g.lat));
        payload.insert("lon".into(), json!(g.lon));
        payload.insert(
            "temperature".into(),
            json!(round2(g.temperature).clamp(t.min, t.max)),
        );
        payload.insert(
            "pressure".into(),
            json!(round2(g.pressure).clamp(p.min, p.max)),
        );
        payload.insert("fuel".into(), json!(round2(g.fuel).clamp(f.min, f.max)));
        if shape.has_firmware {
            payload.insert("firmware".into(), json!(g.firmware));
        }
        if shape.has_status {
            payload.insert("status".into(), json!("running"));
        }
        Reading {
            generator: i,
            id: g.id.clone(),
            payload: Value::Object(payload),
        }
    }

    /// Decides whether generator `reading.generator` misbehaves on this message and applies the
    /// fault to the payload. Wire-format and identity faults leave the payload as it is; the
    /// caller frames and addresses the message. `possible` says which channel-borne faults
    /// the transport can show.
    pub fn apply(
        &mut self,
        reading: &Reading,
        transport: TransportKind,
        possible: Possible,
    ) -> Faulted {
        let g = &self.generators[reading.generator];
        let mut chosen = None;
        for (fault, share) in g.faults.clone() {
            // Always draw, so the stream does not depend on which faults apply.
            let draw = self.rng.unit();
            let applies = fault.applies_to(transport)
                && (fault != Fault::IdentityMismatch || possible.identity_mismatch)
                && (fault != Fault::KeyNotUuid || possible.key_not_uuid);
            if chosen.is_none() && applies && draw < share {
                chosen = Some(fault);
            }
        }
        let mut payload = reading.payload.clone();
        let bytes = match chosen {
            None
            | Some(
                Fault::NoWireHeader
                | Fault::UnknownSchemaId
                | Fault::ForeignSchemaId
                | Fault::KeyNotUuid,
            ) => serde_json::to_vec(&payload).unwrap_or_default(),
            Some(Fault::MissingField) => {
                if let Some(m) = payload.as_object_mut() {
                    m.shift_remove("fuel");
                }
                serde_json::to_vec(&payload).unwrap_or_default()
            }
            Some(Fault::WrongType) => {
                let fuel = payload["fuel"].as_f64().unwrap_or(50.0);
                payload["fuel"] = json!(format!("{fuel}"));
                serde_json::to_vec(&payload).unwrap_or_default()
            }
            Some(Fault::OutOfRange) => {
                let beyond = self.rng.range(1.0, 40.0).round();
                match &self.breach {
                    Some(Breach::Above(field, max)) => payload[field] = json!(max + beyond),
                    Some(Breach::Below(field, min)) => payload[field] = json!(min - beyond),
                    Some(Breach::NotIn(field)) => payload[field] = json!("out-of-range"),
                    None => {}
                }
                serde_json::to_vec(&payload).unwrap_or_default()
            }
            Some(Fault::NotJson) => format!(
                "generatorID={} temperature={} pressure={} fuel={}",
                reading.id, payload["temperature"], payload["pressure"], payload["fuel"]
            )
            .into_bytes(),
            Some(Fault::Truncated) => {
                let full = serde_json::to_vec(&payload).unwrap_or_default();
                // Cut right after the third comma: a prefix of an object that ends early.
                let cut = full
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b',')
                    .nth(2)
                    .map_or(full.len() / 2, |(i, _)| i + 1);
                full[..cut].to_vec()
            }
            Some(Fault::Binary) => {
                let mut b = vec![0xff, 0xfe];
                for _ in 0..4 {
                    b.extend_from_slice(&self.rng.next_u64().to_le_bytes());
                }
                b
            }
            Some(Fault::IdentityMismatch) => {
                let other = if self.generators.len() > 1 {
                    self.generators[(reading.generator + 1) % self.generators.len()]
                        .id
                        .clone()
                } else {
                    "generator0".to_string()
                };
                payload["generatorID"] = json!(other);
                serde_json::to_vec(&payload).unwrap_or_default()
            }
            Some(Fault::Oversize) => {
                // Valid against the schema in every way but size: a firmware string padded out.
                let pad = self.oversize_bytes + 1024;
                if self.shape.has_firmware {
                    payload["firmware"] = json!("x".repeat(pad));
                    serde_json::to_vec(&payload).unwrap_or_default()
                } else {
                    let mut b = serde_json::to_vec(&payload).unwrap_or_default();
                    b.extend(std::iter::repeat_n(b' ', pad));
                    b
                }
            }
        };
        Faulted {
            bytes,
            fault: chosen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::PayloadValidator;

    fn newest() -> Schema {
        let text = std::fs::read_to_string("schemas/generator/v3.json").unwrap();
        Schema::parse(serde_json::from_str(&text).unwrap()).unwrap()
    }

    #[test]
    fn compliant_readings_validate_and_fuel_is_refilled() {
        let schema = newest();
        let v = PayloadValidator::new(&schema).unwrap();
        let mut fleet = Fleet::new(&schema, 5, 7, &FaultPlan { rules: vec![] }, 1 << 20).unwrap();
        let mut refills = 0;
        let mut last = [f64::MAX; 5];
        for _ in 0..2000 {
            for (i, last) in last.iter_mut().enumerate() {
                let r = fleet.read(i);
                let out = fleet.apply(&r, TransportKind::Kafka, Possible::default());
                assert_eq!(out.fault, None);
                assert!(v.check(&out.bytes).is_empty(), "{}", r.payload);
                let fuel = r.payload["fuel"].as_f64().unwrap();
                if fuel > *last + 1.0 {
                    refills += 1;
                }
                *last = fuel;
            }
        }
        assert!(refills > 0, "fuel is never refilled");
    }

    #[test]
    fn a_seed_gives_the_same_stream() {
        let schema = newest();
        let plan = FaultPlan::parse("all").unwrap();
        let run = || {
            let mut fleet = Fleet::new(&schema, 3, 42, &plan, 2048).unwrap();
            (0..200)
                .map(|n| {
                    let r = fleet.read(n % fleet.len());
                    fleet.apply(&r, TransportKind::Mqtt, Possible::default())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn every_fault_produces_its_signature() {
        let schema = newest();
        let v = PayloadValidator::new(&schema).unwrap().with_max_bytes(2048);
        for fault in [
            Fault::MissingField,
            Fault::WrongType,
            Fault::OutOfRange,
            Fault::NotJson,
            Fault::Truncated,
            Fault::Binary,
            Fault::Oversize,
        ] {
            let plan = FaultPlan {
                rules: vec![(0, fault, 1.0)],
            };
            let mut fleet = Fleet::new(&schema, 1, 1, &plan, 2048).unwrap();
            let r = fleet.read(0);
            let out = fleet.apply(&r, TransportKind::Mqtt, Possible::default());
            assert_eq!(out.fault, Some(fault));
            let found = v.check(&out.bytes);
            assert!(found.iter().any(|x| fault.matches(x)), "{fault}: {found:?}");
            for other in Fault::ALL.into_iter().filter(|f| *f != fault) {
                assert!(
                    !found.iter().any(|x| other.matches(x)),
                    "{fault} looks like {other}"
                );
            }
        }
    }
}
