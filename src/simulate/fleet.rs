//! The fleet: producers making readings as the contract's reading model (`[simulator]`) says,
//! every reading valid against the newest schema, and the faults that turn some of them into
//! misbehaving producers. Everything comes from one seeded generator, so a seed gives the same
//! stream every time.

use super::fault::{Fault, FaultPlan};
use crate::catalog::{FieldKind, Numbers, Range, ReadingModel};
use crate::compat::Schema;
use crate::transport::TransportKind;
use crate::validate::PayloadValidator;
use crate::validate::rules::RuleEngine;
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

fn round_to(x: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals.min(15) as i32);
    (x * scale).round() / scale
}

impl Rng {
    /// A value in `range`, written as `numbers` say: whole numbers are drawn from the
    /// integers in the range, both ends included.
    fn draw(&mut self, range: Range, numbers: Numbers) -> f64 {
        match numbers {
            Numbers::Integer => {
                let (lo, hi) = (range.min.ceil(), range.max.floor().max(range.min.ceil()));
                (lo + (self.unit() * (hi - lo + 1.0)).floor()).min(hi)
            }
            Numbers::Decimal(d) => round_to(self.range(range.min, range.max), d),
        }
    }
}

fn number(x: f64, numbers: Numbers) -> Value {
    match numbers {
        Numbers::Integer => json!(x.round() as i64),
        Numbers::Decimal(d) => json!(round_to(x, d)),
    }
}

/// One field's state in one generator.
#[derive(Clone, Debug)]
enum State {
    /// Nothing kept (ids, draws, constants).
    Stateless,
    /// A value fixed for good.
    Fixed(Value),
    /// A walk's or a counter's current value.
    Level(f64),
}

/// One generator's state.
#[derive(Clone, Debug)]
struct Generator {
    id: String,
    state: Vec<State>,
    faults: Vec<(Fault, f64)>,
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

/// A reading a rule-break fault sends: `field` set to a number `beyond` its model range by one
/// to two widths of that range (upwards when `beyond` is positive), which the schema accepts
/// and a rule of the contract refuses at both ends.
#[derive(Clone, Debug, PartialEq)]
struct Implausible {
    field: String,
    /// The range's end the value lies beyond.
    from: f64,
    /// The range's width, signed: the direction.
    beyond: f64,
    numbers: Numbers,
}

impl Implausible {
    fn value(&self, at: f64) -> Value {
        number(self.from + self.beyond * (1.0 + at), self.numbers)
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
    model: ReadingModel,
    generators: Vec<Generator>,
    oversize_bytes: usize,
    breach: Option<Breach>,
    /// The field a missing-field fault leaves out.
    missing: Option<String>,
    /// The number field a wrong-type fault sends as a string.
    wrong_type: Option<String>,
    /// The readings a rule-break fault sends (see [`Fleet::with_rules`]).
    implausible: Vec<Implausible>,
}

/// Why the simulator cannot make a contract's fleet, or its faults, from the reading model and
/// the newest schema.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The contract has no `[simulator]` table.
    #[error("the contract has no [simulator] reading model")]
    NoReadingModel,
    /// The schema requires a field the reading model does not make.
    #[error(
        "the schema requires \"{field}\", which the contract's [simulator] does not produce\nhelp: add a [[simulator.fields]] table named \"{field}\""
    )]
    RequiredNotProduced {
        /// The field.
        field: String,
    },
    /// out-of-range asked for, and the schema bounds nothing.
    #[error(
        "out-of-range: the newest schema bounds no property (no minimum, maximum or enum), so no value can be out of its range"
    )]
    NothingToBreach,
    /// missing-field asked for, and the schema requires nothing the simulator fills.
    #[error(
        "missing-field: the schema requires no field the simulator fills besides the producer's id"
    )]
    NothingToLeaveOut,
    /// wrong-type asked for, and the schema requires no number the simulator fills.
    #[error("wrong-type: the schema requires no number field the simulator fills")]
    NoNumberToMistype,
    /// rule-break asked for, and no rule refuses a reading out of its model's range.
    #[error(
        "rule-break: no rule of the contract refuses a reading whose number lies outside the [simulator] range it is drawn in{}\nhelp: add a [[rules]] entry that bounds such a field (e.g. message.temperature <= 90), or leave rule-break out of --faults (`all` includes it: name the faults one by one)",
        if *.no_rules { " (the contract has no rule schemactl evaluates)" } else { "" }
    )]
    NoRuleToBreak {
        /// Whether the contract has no rule schemactl evaluates at all.
        no_rules: bool,
    },
}

impl Fleet {
    /// A fleet of `size` producers as the contract's reading `model` describes them, for the
    /// newest `schema`, with `plan`'s faults; `oversize_bytes` is the size an oversized payload
    /// exceeds.
    pub fn new(
        model: &ReadingModel,
        schema: &Schema,
        size: usize,
        seed: u64,
        plan: &FaultPlan,
        oversize_bytes: usize,
    ) -> Result<Fleet, FleetError> {
        let doc = schema.document();
        let required: Vec<&str> = doc["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let produced = |f: &&str| model.fields.iter().any(|m| m.name == *f);
        if let Some(unknown) = required.iter().find(|f| !produced(f)) {
            return Err(FleetError::RequiredNotProduced {
                field: unknown.to_string(),
            });
        }
        let is_number = |k: &FieldKind| {
            matches!(
                k,
                FieldKind::Fixed { .. }
                    | FieldKind::Draw { .. }
                    | FieldKind::Walk { .. }
                    | FieldKind::Counter { .. }
            )
        };
        let missing = model
            .fields
            .iter()
            .rev()
            .find(|f| f.kind != FieldKind::Id && required.contains(&f.name.as_str()))
            .map(|f| f.name.clone());
        let wrong_type = model
            .fields
            .iter()
            .rev()
            .find(|f| is_number(&f.kind) && required.contains(&f.name.as_str()))
            .map(|f| f.name.clone());
        let breach = Breach::find(doc);
        let uses = |fault: Fault| plan.rules.iter().any(|r| r.1 == fault);
        if breach.is_none() && uses(Fault::OutOfRange) {
            return Err(FleetError::NothingToBreach);
        }
        if missing.is_none() && uses(Fault::MissingField) {
            return Err(FleetError::NothingToLeaveOut);
        }
        if wrong_type.is_none() && uses(Fault::WrongType) {
            return Err(FleetError::NoNumberToMistype);
        }
        let size = size.max(plan.generators_needed()).max(1);
        let mut rng = Rng::new(seed);
        let generators = (0..size)
            .map(|i| Generator {
                id: model.producer_id(i),
                state: model
                    .fields
                    .iter()
                    .map(|f| match &f.kind {
                        FieldKind::Fixed {
                            range,
                            numbers,
                            first,
                        } => State::Fixed(number(
                            first
                                .get(i)
                                .copied()
                                .unwrap_or_else(|| rng.draw(*range, *numbers)),
                            *numbers,
                        )),
                        FieldKind::Walk { start, numbers, .. } => {
                            State::Level(rng.draw(*start, *numbers))
                        }
                        FieldKind::Counter { start, numbers, .. } => {
                            State::Level(rng.draw(*start, *numbers))
                        }
                        _ => State::Stateless,
                    })
                    .collect(),
                faults: plan
                    .rules
                    .iter()
                    .filter(|(g, _, _)| *g == i)
                    .map(|(_, fault, share)| (*fault, *share))
                    .collect(),
            })
            .collect();
        Ok(Fleet {
            rng,
            model: model.clone(),
            generators,
            oversize_bytes,
            breach,
            missing,
            wrong_type,
            implausible: Vec::new(),
        })
    }

    /// Gives the rule-break fault its readings: for every number the model draws afresh or
    /// walks (never a counter, whose level the fleet's own readings already take below its
    /// mark), a value one to two range widths above or below the range, kept where the newest
    /// schema (`validator`) accepts it and a rule of the contract (`rules`) refuses it. A plan
    /// with rule-break faults and no such reading is refused.
    pub fn with_rules(
        mut self,
        rules: &RuleEngine,
        validator: &PayloadValidator,
    ) -> Result<Fleet, FleetError> {
        if !self
            .generators
            .iter()
            .any(|g| g.faults.iter().any(|f| f.0 == Fault::RuleBreak))
        {
            return Ok(self);
        }
        // A reading of a copy, so the fleet's own stream stays as the seed makes it.
        let sample = self.clone().read(0).payload;
        for field in &self.model.fields {
            let (range, numbers) = match &field.kind {
                FieldKind::Draw { range, numbers } | FieldKind::Walk { range, numbers, .. } => {
                    (*range, *numbers)
                }
                _ => continue,
            };
            let width = (range.max - range.min).max(1.0);
            for (from, beyond) in [(range.max, width), (range.min, -width)] {
                let candidate = Implausible {
                    field: field.name.clone(),
                    from,
                    beyond,
                    numbers,
                };
                let refused = [0.0, 1.0].iter().all(|at| {
                    let mut p = sample.clone();
                    p[&field.name] = candidate.value(*at);
                    let bytes = serde_json::to_vec(&p).unwrap_or_default();
                    validator.is_valid(&bytes) && !rules.passes(&bytes)
                });
                if refused {
                    self.implausible.push(candidate);
                }
            }
        }
        if self.implausible.is_empty() {
            return Err(FleetError::NoRuleToBreak {
                no_rules: rules.is_empty(),
            });
        }
        Ok(self)
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
        let rng = &mut self.rng;
        let g = &mut self.generators[i];
        let mut payload = Map::new();
        for (field, state) in self.model.fields.iter().zip(g.state.iter_mut()) {
            let value = match (&field.kind, state) {
                (FieldKind::Id, _) => json!(g.id),
                (FieldKind::Fixed { .. }, State::Fixed(v)) => v.clone(),
                (FieldKind::Draw { range, numbers }, _) => {
                    number(rng.draw(*range, *numbers), *numbers)
                }
                (
                    FieldKind::Walk {
                        range,
                        step,
                        numbers,
                        ..
                    },
                    State::Level(level),
                ) => {
                    *level = (*level + rng.range(-*step, *step)).clamp(range.min, range.max);
                    number(*level, *numbers)
                }
                (
                    FieldKind::Counter {
                        use_,
                        refill,
                        refill_at,
                        numbers,
                        ..
                    },
                    State::Level(level),
                ) => {
                    // Refilled by the crew once at or below the mark; the reading before that
                    // may already lie below it, as the fleet's firmware reports it.
                    if *level <= *refill_at {
                        *level += rng.draw(*refill, *numbers);
                    }
                    *level -= rng.draw(*use_, *numbers);
                    number(*level, *numbers)
                }
                (FieldKind::Const(v), _) => v.clone(),
                // A state always matches its kind (both are made from the model in `new`).
                _ => Value::Null,
            };
            payload.insert(field.name.clone(), value);
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
                && (fault != Fault::RuleBreak || !self.implausible.is_empty())
                && (fault != Fault::IdentityMismatch
                    || possible.identity_mismatch && self.model.id_field().is_some())
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
                if let (Some(m), Some(field)) = (payload.as_object_mut(), &self.missing) {
                    m.shift_remove(field);
                }
                serde_json::to_vec(&payload).unwrap_or_default()
            }
            Some(Fault::WrongType) => {
                // The number as text, as old firmware sends it.
                if let Some(field) = &self.wrong_type {
                    payload[field] = json!(payload[field].to_string());
                }
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
            // A rogue script's `key=value` line.
            Some(Fault::NotJson) => payload
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default()
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
                    // The id of a producer beyond the fleet.
                    self.model.producer_id(self.generators.len())
                };
                if let Some(field) = self.model.id_field() {
                    payload[field] = json!(other);
                }
                serde_json::to_vec(&payload).unwrap_or_default()
            }
            Some(Fault::RuleBreak) => {
                let pick = (self.rng.unit() * self.implausible.len() as f64) as usize;
                let at = self.rng.unit();
                if let Some(i) = self.implausible.get(pick) {
                    payload[&i.field] = i.value(at);
                }
                serde_json::to_vec(&payload).unwrap_or_default()
            }
            Some(Fault::Oversize) => {
                // Valid against the schema in every way but size: the reading padded with
                // whitespace, which JSON allows.
                let mut b = serde_json::to_vec(&payload).unwrap_or_default();
                b.extend(std::iter::repeat_n(b' ', self.oversize_bytes + 1024));
                b
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

    fn generator() -> (ReadingModel, Vec<Schema>) {
        let contract = crate::catalog::load_contract(std::path::Path::new("."), "generator")
            .expect("the generator contract");
        let history = crate::catalog::load_history(&contract.schemas).unwrap();
        (
            contract
                .simulator
                .expect("the generator contract has a reading model"),
            history.into_iter().map(|f| f.schema).collect(),
        )
    }

    fn no_faults() -> FaultPlan {
        FaultPlan { rules: vec![] }
    }

    #[test]
    fn the_generator_fleet_reads_as_fleet_md_says() {
        let (model, history) = generator();
        let newest = history.last().unwrap();
        let validators: Vec<_> = history
            .iter()
            .map(|s| PayloadValidator::new(s).unwrap())
            .collect();
        let mut fleet = Fleet::new(&model, newest, 5, 7, &no_faults(), 1 << 20).unwrap();
        let first = fleet.read(0).payload;
        assert_eq!(first["generatorID"], "generator1");
        assert_eq!(
            (first["lat"].clone(), first["lon"].clone()),
            (json!(40.68066), json!(-73.47429))
        );
        let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "generatorID",
                "lat",
                "lon",
                "temperature",
                "pressure",
                "fuel"
            ]
        );
        let mut dips = 0;
        let mut refills = 0;
        let mut last = [None::<i64>; 5];
        for _ in 0..3000 {
            for (i, last) in last.iter_mut().enumerate() {
                let r = fleet.read(i);
                let p = &r.payload;
                assert_eq!(p["generatorID"], format!("generator{}", i + 1));
                let (lat, lon) = (p["lat"].as_f64().unwrap(), p["lon"].as_f64().unwrap());
                assert!(
                    (25.0..=48.5).contains(&lat) && (-124.0..=-67.0).contains(&lon),
                    "{p}"
                );
                let t = p["temperature"].as_i64().expect("an integer temperature");
                assert!((-10..=90).contains(&t), "{p}");
                let pr = p["pressure"].as_i64().expect("an integer pressure");
                assert!((100..=1000).contains(&pr), "{p}");
                let fuel = p["fuel"].as_i64().expect("integer litres");
                assert!((-9..=1000).contains(&fuel), "{p}");
                if let Some(before) = *last {
                    let used = before - fuel;
                    if before <= 0 {
                        refills += 1;
                        assert!(
                            (500 - 10..=1000 - 1).contains(&-used),
                            "refill {before} -> {fuel}"
                        );
                    } else {
                        assert!((1..=10).contains(&used), "{before} -> {fuel}");
                    }
                }
                dips += usize::from(fuel < 0);
                *last = Some(fuel);
                let out = fleet.apply(&r, TransportKind::Kafka, Possible::default());
                assert_eq!(out.fault, None);
                for (v, validator) in validators.iter().enumerate() {
                    assert!(validator.check(&out.bytes).is_empty(), "v{}: {p}", v + 1);
                }
            }
        }
        assert!(dips > 0, "the level never dips below zero");
        assert!(refills > 0, "fuel is never refilled");
    }

    #[test]
    fn positions_are_fixed_per_generator() {
        let (model, history) = generator();
        let mut fleet =
            Fleet::new(&model, history.last().unwrap(), 3, 1, &no_faults(), 1 << 20).unwrap();
        let at = |p: &Value| (p["lat"].clone(), p["lon"].clone());
        let first: Vec<_> = (0..3).map(|i| at(&fleet.read(i).payload)).collect();
        for _ in 0..50 {
            for (i, pos) in first.iter().enumerate() {
                assert_eq!(&at(&fleet.read(i).payload), pos);
            }
        }
        assert_ne!(first[1], first[2]);
    }

    #[test]
    fn a_seed_gives_the_same_stream() {
        let (model, history) = generator();
        let plan = FaultPlan::parse("all").unwrap();
        let run = || {
            let mut fleet =
                Fleet::new(&model, history.last().unwrap(), 3, 42, &plan, 2048).unwrap();
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
        let (model, history) = generator();
        let schema = history.last().unwrap();
        let v = PayloadValidator::new(schema).unwrap().with_max_bytes(2048);
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
            let mut fleet = Fleet::new(&model, schema, 1, 1, &plan, 2048).unwrap();
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

    #[test]
    fn out_of_range_needs_a_bound_and_faults_need_their_channel() {
        let (model, history) = generator();
        let v1 = &history[0];
        let plan = FaultPlan::parse("out-of-range=1").unwrap();
        let err = Fleet::new(&model, v1, 1, 1, &plan, 2048).unwrap_err();
        assert!(matches!(err, FleetError::NothingToBreach), "{err}");
        assert!(err.to_string().contains("bounds no property"), "{err}");
        let plan = FaultPlan::parse("identity-mismatch=1:1,key-not-uuid=2:1").unwrap();
        let mut fleet = Fleet::new(&model, v1, 2, 1, &plan, 2048).unwrap();
        for g in 0..2 {
            let r = fleet.read(g);
            assert_eq!(
                fleet
                    .apply(&r, TransportKind::Kafka, Possible::default())
                    .fault,
                None
            );
        }
        let both = Possible {
            identity_mismatch: true,
            key_not_uuid: true,
        };
        let r = fleet.read(0);
        let out = fleet.apply(&r, TransportKind::Kafka, both);
        assert_eq!(out.fault, Some(Fault::IdentityMismatch));
        let sent: Value = serde_json::from_slice(&out.bytes).unwrap();
        assert_eq!(sent["generatorID"], "generator2");
        let r = fleet.read(1);
        assert_eq!(
            fleet.apply(&r, TransportKind::Kafka, both).fault,
            Some(Fault::KeyNotUuid)
        );
        let r = fleet.read(1);
        assert_eq!(
            fleet.apply(&r, TransportKind::Mqtt, both).fault,
            None,
            "no keys on MQTT"
        );
    }

    #[test]
    fn the_schema_must_not_require_what_the_model_does_not_make() {
        let (mut model, history) = generator();
        model.fields.retain(|f| f.name != "fuel");
        let err = Fleet::new(&model, &history[0], 1, 1, &no_faults(), 2048)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("requires \"fuel\"") && err.contains("[simulator]"),
            "{err}"
        );
    }

    #[test]
    fn rule_breaks_keep_the_schema_and_break_a_rule_of_the_contract() {
        let (model, history) = generator();
        let schema = history.last().unwrap();
        let contract =
            crate::catalog::load_contract(std::path::Path::new("."), "generator").unwrap();
        let rules = RuleEngine::new(&contract.rules, schema.document(), None).unwrap();
        let v = PayloadValidator::new(schema).unwrap();
        let plan = FaultPlan::parse("rule-break=1:1").unwrap();
        let mut fleet = Fleet::new(&model, schema, 2, 3, &plan, 2048)
            .unwrap()
            .with_rules(&rules, &v)
            .unwrap();
        let mut broken = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let r = fleet.read(0);
            let out = fleet.apply(&r, TransportKind::Mqtt, Possible::default());
            assert_eq!(out.fault, Some(Fault::RuleBreak));
            assert!(v.check(&out.bytes).is_empty(), "schema-valid");
            let sent: Value = serde_json::from_slice(&out.bytes).unwrap();
            // Beyond what the reading itself breaks (its below-zero dip, now and then).
            let own: Vec<String> = rules
                .check(&r.payload)
                .into_iter()
                .map(|f| f.rule)
                .collect();
            let failed: Vec<String> = rules
                .check(&sent)
                .into_iter()
                .map(|f| f.rule)
                .filter(|f| !own.contains(f))
                .collect();
            assert!(!failed.is_empty(), "{sent}");
            broken.extend(failed);
            // Only one number is moved, never the fuel level (the fleet's own dip's field).
            assert_eq!(sent["fuel"], r.payload["fuel"]);
        }
        assert_eq!(
            broken,
            ["pressure_plausible", "temperature_plausible"]
                .map(String::from)
                .into(),
            "both plausibility rules"
        );
        // A compliant generator beside it sends no rule break.
        let r = fleet.read(1);
        assert_eq!(
            fleet
                .apply(&r, TransportKind::Mqtt, Possible::default())
                .fault,
            None
        );
        // Without a rule that catches such a reading, the fault is refused.
        let none = RuleEngine::new(&[], schema.document(), None).unwrap();
        let err = Fleet::new(&model, schema, 1, 3, &plan, 2048)
            .unwrap()
            .with_rules(&none, &v)
            .unwrap_err();
        assert!(
            matches!(err, FleetError::NoRuleToBreak { no_rules: true }),
            "{err}"
        );
        let err = err.to_string();
        assert!(
            err.contains("rule-break")
                && err.contains("[[rules]]")
                && err.contains("(the contract has no rule schemactl evaluates)"),
            "{err}"
        );
    }
}
