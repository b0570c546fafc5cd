//! The fast path: for the flat object schemas telemetry uses (typed properties with bounds,
//! lengths and string enums, `required`, `additionalProperties`), a payload is checked while it
//! is parsed, without building a `serde_json::Value`. It only ever certifies a payload valid;
//! anything else (a violation, a keyword it does not know, a duplicate key, a number too large
//! for an exact `f64`) sends the payload to the full validator, which finds what is wrong. So
//! the fast path can make a run faster, never change a verdict.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Keywords that only annotate.
const ANNOTATIONS: [&str; 8] = [
    "title",
    "description",
    "$comment",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// The largest integer an `f64` holds exactly.
const EXACT: f64 = 9_007_199_254_740_992.0;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ty {
    Any,
    String,
    Number,
    Boolean,
    Null,
}

/// What one declared property allows.
#[derive(Clone, Debug)]
enum Prop {
    /// Checked here.
    Simple {
        ty: Ty,
        min: Option<f64>,
        max: Option<f64>,
        exclusive_min: Option<f64>,
        exclusive_max: Option<f64>,
        min_len: Option<usize>,
        max_len: Option<usize>,
        one_of: Option<Vec<String>>,
    },
    /// Anything (`true`, or only annotations).
    Any,
    /// Beyond the fast path: present → the full validator decides.
    Opaque,
}

/// A top-level value the fast path read out while certifying a payload (for the producer id,
/// or the fields data-contract rules read), numbers as JSON wrote them: an integer stays an
/// integer (`Int`, or `UInt` above `i64`), any other number is a `Double`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Scalar<'a> {
    /// The key is not in the payload.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits an `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// Any other number.
    Double(f64),
    /// A string, borrowed from the payload unless it holds escapes.
    Str(Cow<'a, str>),
    /// An array or an object (not read out).
    Compound,
}

/// Which top-level keys [`FastPath::certify_picking`] reads out, and into which slot of its
/// output, compiled once for one fast path and one list of names.
#[derive(Clone, Debug)]
pub struct Picks {
    /// The slot of each declared property (by its position in the schema), if picked.
    declared: Vec<Option<usize>>,
    /// Picked names the schema does not declare, with their slots.
    undeclared: Vec<(String, usize)>,
    /// How many slots.
    len: usize,
}

impl Picks {
    /// How many values [`FastPath::certify_picking`] writes (one per name asked for).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no name is picked.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A compiled fast path for one schema.
#[derive(Clone, Debug)]
pub struct FastPath {
    names: Vec<String>,
    props: Vec<Prop>,
    required: u64,
    additional: bool,
}

fn bound(v: &Value) -> Option<f64> {
    let f = v.as_f64()?;
    (f.abs() <= EXACT).then_some(f)
}

fn prop(schema: &Value) -> Prop {
    let map = match schema {
        Value::Bool(true) => return Prop::Any,
        Value::Object(m) => m,
        _ => return Prop::Opaque,
    };
    let mut ty = Ty::Any;
    let (mut min, mut max, mut exclusive_min, mut exclusive_max) = (None, None, None, None);
    let (mut min_len, mut max_len, mut one_of) = (None, None, None);
    for (k, v) in map {
        let ok = match k.as_str() {
            "type" => {
                ty = match v.as_str() {
                    Some("string") => Ty::String,
                    Some("number") => Ty::Number,
                    Some("boolean") => Ty::Boolean,
                    Some("null") => Ty::Null,
                    // "integer" differs between drafts for 1.0; arrays of types are rare.
                    _ => return Prop::Opaque,
                };
                true
            }
            "minimum" => bound(v).map(|b| min = Some(b)).is_some(),
            "maximum" => bound(v).map(|b| max = Some(b)).is_some(),
            // Draft 4's boolean forms are not numbers and stay with the full validator.
            "exclusiveMinimum" => bound(v).map(|b| exclusive_min = Some(b)).is_some(),
            "exclusiveMaximum" => bound(v).map(|b| exclusive_max = Some(b)).is_some(),
            "minLength" => v.as_u64().map(|n| min_len = Some(n as usize)).is_some(),
            "maxLength" => v.as_u64().map(|n| max_len = Some(n as usize)).is_some(),
            "enum" => v
                .as_array()
                .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect())
                .map(|all: Vec<String>| one_of = Some(all))
                .is_some(),
            k => ANNOTATIONS.contains(&k),
        };
        if !ok {
            return Prop::Opaque;
        }
    }
    let constrained = ty != Ty::Any
        || min.is_some()
        || max.is_some()
        || exclusive_min.is_some()
        || exclusive_max.is_some()
        || min_len.is_some()
        || max_len.is_some()
        || one_of.is_some();
    if !constrained {
        return Prop::Any;
    }
    Prop::Simple {
        ty,
        min,
        max,
        exclusive_min,
        exclusive_max,
        min_len,
        max_len,
        one_of,
    }
}

impl FastPath {
    /// The fast path for `schema`, if it is a flat object schema the fast path understands
    /// entirely at its root (properties it does not understand are left to the full validator).
    pub fn compile(schema: &Value) -> Option<FastPath> {
        let root = schema.as_object()?;
        if root.get("type")?.as_str()? != "object" {
            return None;
        }
        let mut fast = FastPath {
            names: Vec::new(),
            props: Vec::new(),
            required: 0,
            additional: true,
        };
        for (k, v) in root {
            match k.as_str() {
                "$schema" | "$id" | "type" | "required" => {}
                "properties" => {
                    for (name, s) in v.as_object()? {
                        fast.names.push(name.clone());
                        fast.props.push(prop(s));
                    }
                }
                "additionalProperties" => fast.additional = v.as_bool()?,
                k if ANNOTATIONS.contains(&k) => {}
                _ => return None,
            }
        }
        if fast.names.len() > 64 {
            return None;
        }
        if let Some(required) = root.get("required") {
            for name in required.as_array()? {
                let i = fast
                    .names
                    .iter()
                    .position(|n| Some(n.as_str()) == name.as_str())?;
                fast.required |= 1 << i;
            }
        }
        Some(fast)
    }

    /// Whether `bytes` is certainly valid (and within `max_bytes`); `Some` carries the string
    /// at the top-level key `capture` (the producer's id), if asked for and present.
    /// `None` means "ask the full validator", not "invalid".
    pub fn certify(
        &self,
        bytes: &[u8],
        max_bytes: usize,
        capture: Option<&str>,
    ) -> Option<Option<String>> {
        self.run(bytes, max_bytes, capture, None, &mut [])
    }

    /// The slots for the top-level keys `names` (distinct), in that order.
    pub fn picks(&self, names: &[String]) -> Picks {
        let mut declared = vec![None; self.names.len()];
        let mut undeclared = Vec::new();
        for (slot, name) in names.iter().enumerate() {
            match self.names.iter().position(|n| n == name) {
                Some(i) => {
                    declared[i].get_or_insert(slot);
                }
                None if undeclared.iter().any(|(n, _)| n == name) => {}
                None => undeclared.push((name.clone(), slot)),
            }
        }
        Picks {
            declared,
            undeclared,
            len: names.len(),
        }
    }

    /// [`FastPath::certify`] that also reads out the top-level values `picks` names into `out`
    /// (at least [`Picks::len`] long; a key the payload lacks stays [`Scalar::Absent`]; of
    /// duplicate keys of an open content model the last wins, as when the payload is parsed
    /// whole). `None` means "ask the full validator", and `out` is then not to be read.
    pub fn certify_picking<'t>(
        &self,
        bytes: &'t [u8],
        max_bytes: usize,
        capture: Option<&str>,
        picks: &Picks,
        out: &mut [Scalar<'t>],
    ) -> Option<Option<String>> {
        self.run(bytes, max_bytes, capture, Some(picks), out)
    }

    fn run<'t>(
        &self,
        bytes: &'t [u8],
        max_bytes: usize,
        capture: Option<&str>,
        picks: Option<&Picks>,
        out: &mut [Scalar<'t>],
    ) -> Option<Option<String>> {
        if bytes.len() > max_bytes {
            return None;
        }
        // Checked up front: serde_json skips ignored strings without checking their UTF-8.
        let text = std::str::from_utf8(bytes).ok()?;
        let mut de = serde_json::Deserializer::from_str(text);
        let captured = Root {
            fast: self,
            capture,
            picks,
            out,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        Some(captured)
    }
}

struct Root<'a, 'o, 't> {
    fast: &'a FastPath,
    capture: Option<&'a str>,
    picks: Option<&'a Picks>,
    out: &'o mut [Scalar<'t>],
}

/// "Not certain": the full validator takes over. No message is built on this path.
fn unsure<E: de::Error>() -> E {
    E::custom("")
}

impl<'de: 't, 't> DeserializeSeed<'de> for Root<'_, '_, 't> {
    type Value = Option<String>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// The producer id, when the captured value is a string.
fn captured(v: &Scalar<'_>) -> Option<String> {
    match v {
        Scalar::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

impl<'de: 't, 't> Visitor<'de> for Root<'_, '_, 't> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let fast = self.fast;
        let mut seen = 0u64;
        let mut found = None;
        while let Some(key) = map.next_key_seed(Key(fast, self.capture, self.picks))? {
            match key {
                Slot::Declared(i, capture) => {
                    if seen & (1 << i) != 0 {
                        // Duplicate keys: leave the last-one-wins rule to the full validator.
                        return Err(unsure());
                    }
                    seen |= 1 << i;
                    let pick = self.picks.and_then(|p| p.declared[i]);
                    let v =
                        map.next_value_seed(Check(&fast.props[i], capture || pick.is_some()))?;
                    if capture {
                        found = captured(&v);
                    }
                    if let Some(slot) = pick {
                        self.out[slot] = v;
                    }
                }
                Slot::Other(capture, pick) => {
                    if !fast.additional {
                        return Err(unsure());
                    }
                    if capture || pick.is_some() {
                        let v = map.next_value_seed(Check(&Prop::Any, true))?;
                        if capture {
                            found = captured(&v);
                        }
                        if let Some(slot) = pick {
                            // Not tracked as seen: of duplicates the last wins, as in a `Value`.
                            self.out[slot] = v;
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        if seen & fast.required != fast.required {
            return Err(unsure());
        }
        Ok(found)
    }
}

enum Slot {
    Declared(usize, bool),
    /// An undeclared key: whether it is captured, and its pick slot.
    Other(bool, Option<usize>),
}

struct Key<'a>(&'a FastPath, Option<&'a str>, Option<&'a Picks>);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Slot;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Slot;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> Result<Slot, E> {
        let capture = self.1 == Some(k);
        Ok(
            match self
                .0
                .names
                .iter()
                .position(|n| n.len() == k.len() && n == k)
            {
                Some(i) => Slot::Declared(i, capture),
                None => Slot::Other(
                    capture,
                    self.2.and_then(|p| {
                        p.undeclared
                            .iter()
                            .find_map(|(n, slot)| (n == k).then_some(*slot))
                    }),
                ),
            },
        )
    }
}

/// Checks one property's value; returns it when `.1` asks for it ([`Scalar::Absent`] when not).
struct Check<'a>(&'a Prop, bool);

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = Scalar<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            Prop::Opaque => Err(unsure()),
            Prop::Any if !self.1 => d
                .deserialize_ignored_any(IgnoredAny)
                .map(|_| Scalar::Absent),
            _ => d.deserialize_any(self),
        }
    }
}

impl Check<'_> {
    /// The value read, when asked for.
    fn give<'de>(&self, v: Scalar<'de>) -> Scalar<'de> {
        if self.1 { v } else { Scalar::Absent }
    }

    fn number<E: de::Error>(&self, x: f64) -> Result<(), E> {
        let Prop::Simple {
            ty,
            min,
            max,
            exclusive_min,
            exclusive_max,
            one_of,
            ..
        } = self.0
        else {
            return Ok(());
        };
        let ok = matches!(ty, Ty::Any | Ty::Number)
            && one_of.is_none()
            && min.is_none_or(|m| x >= m)
            && max.is_none_or(|m| x <= m)
            && exclusive_min.is_none_or(|m| x > m)
            && exclusive_max.is_none_or(|m| x < m);
        if ok { Ok(()) } else { Err(unsure()) }
    }

    fn other<E: de::Error>(&self, ty_of: Ty) -> Result<(), E> {
        match self.0 {
            Prop::Simple { ty, one_of, .. }
                if one_of.is_none() && (*ty == Ty::Any || *ty == ty_of) =>
            {
                Ok(())
            }
            Prop::Simple { .. } => Err(unsure()),
            _ => Ok(()),
        }
    }

    fn string<E: de::Error>(&self, s: &str) -> Result<(), E> {
        if let Prop::Simple {
            ty,
            min_len,
            max_len,
            one_of,
            ..
        } = self.0
        {
            if !matches!(ty, Ty::Any | Ty::String) {
                return Err(unsure());
            }
            if min_len.is_some() || max_len.is_some() {
                let n = s.chars().count();
                if min_len.is_some_and(|m| n < m) || max_len.is_some_and(|m| n > m) {
                    return Err(unsure());
                }
            }
            if one_of
                .as_ref()
                .is_some_and(|all| !all.iter().any(|e| e == s))
            {
                return Err(unsure());
            }
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
        self.number(x)?;
        Ok(self.give(Scalar::Double(x)))
    }
    fn visit_u64<E: de::Error>(self, x: u64) -> Result<Self::Value, E> {
        if x as f64 > EXACT {
            return Err(unsure());
        }
        self.number(x as f64)?;
        // Below 2^53, so always an `i64`, as serde_json's `Value` holds it.
        Ok(self.give(i64::try_from(x).map_or(Scalar::UInt(x), Scalar::Int)))
    }
    fn visit_i64<E: de::Error>(self, x: i64) -> Result<Self::Value, E> {
        if (x as f64).abs() > EXACT {
            return Err(unsure());
        }
        self.number(x as f64)?;
        Ok(self.give(Scalar::Int(x)))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        self.other(Ty::Boolean)?;
        Ok(self.give(Scalar::Bool(b)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.other(Ty::Null)?;
        Ok(self.give(Scalar::Null))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        self.string(s)?;
        Ok(self.give(Scalar::Str(Cow::Borrowed(s))))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        self.string(s)?;
        Ok(if self.1 {
            Scalar::Str(Cow::Owned(s.to_string()))
        } else {
            Scalar::Absent
        })
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if matches!(self.0, Prop::Simple { .. }) {
            return Err(unsure());
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.give(Scalar::Compound))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if matches!(self.0, Prop::Simple { .. }) {
            return Err(unsure());
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.give(Scalar::Compound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::Schema;
    use crate::validate::PayloadValidator;

    fn generator() -> (FastPath, PayloadValidator) {
        let text = std::fs::read_to_string("schemas/generator/v3.json").unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let full = PayloadValidator::new(&Schema::parse(doc.clone()).unwrap()).unwrap();
        (
            FastPath::compile(&doc).expect("the generator schema is flat"),
            full,
        )
    }

    #[test]
    fn certifies_only_what_the_full_validator_accepts() {
        let (fast, full) = generator();
        let ok = r#"{"generatorID":"gen-0001","lat":52.5,"lon":13.4,"temperature":81.5,"pressure":310,"fuel":64,"status":"running","firmware":"4.2.1"}"#;
        assert_eq!(
            fast.certify(ok.as_bytes(), 1 << 20, Some("generatorID")),
            Some(Some("gen-0001".into()))
        );
        let cases = [
            ok,
            r#"{"generatorID":"gen-0001","lat":52.5,"lon":13.4,"temperature":81.5,"pressure":310}"#,
            r#"{"generatorID":"","lat":52.5,"lon":13.4,"temperature":81.5,"pressure":310,"fuel":64}"#,
            r#"{"generatorID":"g","lat":91,"lon":13.4,"temperature":81.5,"pressure":310,"fuel":64}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":"64"}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1,"x":1}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1,"status":"off"}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1,"fuel":500}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1e400}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":100.0000001}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1,"timestamp":"2026-11-25T12:00:00Z"}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1,"timestamp":"yesterday"}"#,
            r#"{"gener\u0061torID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1} x"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1"#,
            r#"[1,2]"#,
            r#"{"generatorID":"g","lat":null,"lon":1,"temperature":1,"pressure":1,"fuel":1}"#,
            r#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":18446744073709551615}"#,
        ];
        for case in cases {
            let certified = fast.certify(case.as_bytes(), 1 << 20, None).is_some();
            let valid = full.check(case.as_bytes()).is_empty();
            assert!(!certified || valid, "certified an invalid payload: {case}");
        }
        // The common valid shapes take the fast path.
        assert!(fast.certify(cases[0].as_bytes(), 1 << 20, None).is_some());
        assert!(fast.certify(cases[12].as_bytes(), 1 << 20, None).is_some());
        assert!(fast.certify(ok.as_bytes(), 10, None).is_none());
    }

    #[test]
    fn picks_values_as_json_wrote_them() {
        let (fast, _) = generator();
        let names: Vec<String> = ["fuel", "generatorID", "lat", "extra", "status", "missing"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let picks = fast.picks(&names);
        assert_eq!(picks.len(), 6);
        let payload = br#"{"generatorID":"gen\u0065rator1","lat":40.5,"lon":1,"temperature":36,"pressure":500,"fuel":-9,"extra":[1],"status":"running","extra":{"a":1}}"#;
        let mut out = vec![Scalar::Absent; picks.len()];
        let found = fast.certify_picking(payload, 1 << 20, Some("generatorID"), &picks, &mut out);
        assert_eq!(found, Some(Some("generator1".into())));
        assert_eq!(
            out,
            [
                Scalar::Int(-9),
                Scalar::Str(Cow::Owned("generator1".into())),
                Scalar::Double(40.5),
                Scalar::Compound,
                Scalar::Str(Cow::Borrowed("running")),
                Scalar::Absent,
            ]
        );
        // An undeclared key read twice: the last one wins, as in a parsed `Value`.
        let twice = br#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":400.0,"extra":1,"extra":true}"#;
        let mut out = vec![Scalar::Absent; picks.len()];
        assert!(
            fast.certify_picking(twice, 1 << 20, None, &picks, &mut out)
                .is_some()
        );
        assert_eq!(out[0], Scalar::Double(400.0));
        assert_eq!(out[3], Scalar::Bool(true));
        // What certify refuses, certify_picking refuses.
        let (_, full) = generator();
        for case in [
            &br#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1}"#[..],
            br#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1,"fuel":2}"#,
            br#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":"1"}"#,
            br#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":1,"status":"off"}"#,
            br#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":1,"fuel":9007199254740993}"#,
            payload,
        ] {
            let mut out = vec![Scalar::Absent; picks.len()];
            let picked = fast.certify_picking(case, 1 << 20, None, &picks, &mut out);
            assert_eq!(picked, fast.certify(case, 1 << 20, None));
            assert!(picked.is_none() || full.check(case).is_empty());
        }
    }

    #[test]
    fn declines_schemas_it_does_not_understand() {
        let flat = serde_json::json!({"type": "object", "properties": {"a": {"type": "integer"}}});
        assert!(FastPath::compile(&flat).is_some());
        for schema in [
            serde_json::json!({"type": "object", "allOf": [{"required": ["a"]}]}),
            serde_json::json!({"type": "object", "required": ["undeclared"]}),
            serde_json::json!({"type": "array"}),
            serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}}),
        ] {
            assert!(FastPath::compile(&schema).is_none(), "{schema}");
        }
    }
}
