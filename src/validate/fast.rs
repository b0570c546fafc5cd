//! The fast path: for the flat object schemas telemetry uses (typed properties with bounds,
//! lengths and string enums, `required`, `additionalProperties`), a payload is checked while it
//! is parsed, without building a `serde_json::Value`. It only ever certifies a payload valid;
//! anything else (a violation, a keyword it does not know, a duplicate key, a number too large
//! for an exact `f64`) sends the payload to the full validator, which finds what is wrong. So
//! the fast path can make a run faster, never change a verdict.
//!
//! [`FastPath::judge`] also refutes: a payload that parses to its end, holds no duplicate key,
//! and breaks a constraint the fast path checks exactly as the full validator does (a declared
//! property's type, bounds, lengths or string enum; a missing required property; an undeclared
//! one where `additionalProperties` is false) is invalid whatever else it holds, so the full
//! validator is not needed to say so (only to say why).

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::fmt;

/// What the fast path can say about a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Certainly valid, with the string at the key asked for, if present.
    Valid(Option<String>),
    /// Certainly invalid.
    Invalid,
    /// Not certain: ask the full validator.
    Unsure,
}

/// A constraint the fast path checks exactly was broken.
const BROKEN: u8 = 1;
/// Something the fast path does not check was met.
const UNCHECKED: u8 = 2;

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
        match self.judge(bytes, max_bytes, capture) {
            Judgement::Valid(captured) => Some(captured),
            _ => None,
        }
    }

    /// Valid, invalid, or not certain (see the module's documentation).
    pub fn judge(&self, bytes: &[u8], max_bytes: usize, capture: Option<&str>) -> Judgement {
        if bytes.len() > max_bytes {
            return Judgement::Unsure;
        }
        // Checked up front: serde_json skips ignored strings without checking their UTF-8.
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Judgement::Unsure;
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let flags = Cell::new(0u8);
        let root = Root {
            fast: self,
            capture,
            flags: &flags,
        };
        let Ok(captured) = root.deserialize(&mut de) else {
            return Judgement::Unsure;
        };
        if de.end().is_err() {
            return Judgement::Unsure;
        }
        match flags.get() {
            0 => Judgement::Valid(captured),
            f if f & BROKEN != 0 => Judgement::Invalid,
            _ => Judgement::Unsure,
        }
    }
}

struct Root<'a> {
    fast: &'a FastPath,
    capture: Option<&'a str>,
    flags: &'a Cell<u8>,
}

fn flag(flags: &Cell<u8>, f: u8) {
    flags.set(flags.get() | f);
}

/// "Not certain": the full validator takes over. No message is built on this path.
fn unsure<E: de::Error>() -> E {
    E::custom("")
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = Option<String>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let fast = self.fast;
        let mut seen = 0u64;
        let mut captured = None;
        while let Some(key) = map.next_key_seed(Key(fast, self.capture))? {
            match key {
                Slot::Declared(i, capture) => {
                    if seen & (1 << i) != 0 {
                        // Duplicate keys: leave the last-one-wins rule to the full validator.
                        return Err(unsure());
                    }
                    seen |= 1 << i;
                    let s = map.next_value_seed(Check(&fast.props[i], capture, self.flags))?;
                    if capture {
                        captured = s;
                    }
                }
                Slot::Other(capture) => {
                    if !fast.additional {
                        flag(self.flags, BROKEN);
                    }
                    if capture {
                        captured = map.next_value_seed(Check(&Prop::Any, true, self.flags))?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        if seen & fast.required != fast.required {
            flag(self.flags, BROKEN);
        }
        Ok(captured)
    }
}

enum Slot {
    Declared(usize, bool),
    Other(bool),
}

struct Key<'a>(&'a FastPath, Option<&'a str>);

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
                None => Slot::Other(capture),
            },
        )
    }
}

/// Checks one property's value; returns it when it is a string and `.1` asks for it. What it
/// finds is flagged in `.2`; the value is always read to its end.
struct Check<'a>(&'a Prop, bool, &'a Cell<u8>);

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = Option<String>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            Prop::Opaque => {
                flag(self.2, UNCHECKED);
                d.deserialize_ignored_any(IgnoredAny).map(|_| None)
            }
            Prop::Any if !self.1 => d.deserialize_ignored_any(IgnoredAny).map(|_| None),
            _ => d.deserialize_any(self),
        }
    }
}

impl Check<'_> {
    /// A checked constraint is broken.
    fn broken<E: de::Error>(&self) -> Result<Option<String>, E> {
        flag(self.2, BROKEN);
        Ok(None)
    }

    /// An array or object value: of another type than a typed property's, or left to the full
    /// validator (an untyped property's bounds or enum).
    fn container<E: de::Error>(&self) -> Result<Option<String>, E> {
        match self.0 {
            Prop::Simple { ty, .. } if *ty != Ty::Any => self.broken(),
            Prop::Simple { .. } => self.unchecked(),
            _ => Ok(None),
        }
    }

    /// Beyond what the fast path checks.
    fn unchecked<E: de::Error>(&self) -> Result<Option<String>, E> {
        flag(self.2, UNCHECKED);
        Ok(None)
    }

    fn number<E: de::Error>(&self, x: f64) -> Result<Option<String>, E> {
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
            return Ok(None);
        };
        let ok = matches!(ty, Ty::Any | Ty::Number)
            && one_of.is_none()
            && min.is_none_or(|m| x >= m)
            && max.is_none_or(|m| x <= m)
            && exclusive_min.is_none_or(|m| x > m)
            && exclusive_max.is_none_or(|m| x < m);
        if ok { Ok(None) } else { self.broken() }
    }

    fn other<E: de::Error>(&self, ty_of: Ty) -> Result<Option<String>, E> {
        match self.0 {
            Prop::Simple { ty, one_of, .. }
                if one_of.is_none() && (*ty == Ty::Any || *ty == ty_of) =>
            {
                Ok(None)
            }
            Prop::Simple { .. } => self.broken(),
            _ => Ok(None),
        }
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
        self.number(x)
    }
    fn visit_u64<E: de::Error>(self, x: u64) -> Result<Self::Value, E> {
        if x as f64 > EXACT {
            return self.unchecked();
        }
        self.number(x as f64)
    }
    fn visit_i64<E: de::Error>(self, x: i64) -> Result<Self::Value, E> {
        if (x as f64).abs() > EXACT {
            return self.unchecked();
        }
        self.number(x as f64)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.other(Ty::Boolean)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.other(Ty::Null)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        if let Prop::Simple {
            ty,
            min_len,
            max_len,
            one_of,
            ..
        } = self.0
        {
            if !matches!(ty, Ty::Any | Ty::String) {
                return self.broken();
            }
            if min_len.is_some() || max_len.is_some() {
                let n = s.chars().count();
                if min_len.is_some_and(|m| n < m) || max_len.is_some_and(|m| n > m) {
                    return self.broken();
                }
            }
            if one_of
                .as_ref()
                .is_some_and(|all| !all.iter().any(|e| e == s))
            {
                return self.broken();
            }
        }
        Ok(self.1.then(|| s.to_string()))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.container()
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.container()
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
            let judged = fast.judge(case.as_bytes(), 1 << 20, None);
            assert!(
                judged != Judgement::Invalid || !valid,
                "refuted a valid payload: {case}"
            );
            assert_eq!(full.is_valid(case.as_bytes()), valid, "{case}");
        }
        // What the fast path checks exactly, it refutes: a string where a number is declared,
        // a status outside the enum, a missing required property.
        for i in [1, 4, 6] {
            assert_eq!(
                fast.judge(cases[i].as_bytes(), 1 << 20, None),
                Judgement::Invalid,
                "{}",
                cases[i]
            );
        }
        // A duplicate key, a syntax error, trailing text: the full validator decides.
        for i in [7, 13, 14] {
            assert_eq!(
                fast.judge(cases[i].as_bytes(), 1 << 20, None),
                Judgement::Unsure,
                "{}",
                cases[i]
            );
        }
        // The common valid shapes take the fast path.
        assert!(fast.certify(cases[0].as_bytes(), 1 << 20, None).is_some());
        assert!(fast.certify(cases[12].as_bytes(), 1 << 20, None).is_some());
        assert!(fast.certify(ok.as_bytes(), 10, None).is_none());
    }

    /// Bounds, lengths, enums, types and `additionalProperties: false` refuted as the full
    /// validator refuses them; an untyped bound on an array, a property the fast path does not
    /// understand, stays unsure unless something it checks is broken too.
    #[test]
    fn refutes_exactly_what_the_full_validator_refuses() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "n": {"type": "number", "minimum": 0, "maximum": 100, "exclusiveMaximum": 100},
                "s": {"type": "string", "minLength": 2, "maxLength": 3},
                "e": {"enum": ["a", "b"]},
                "u": {"minimum": 5},
                "o": {"pattern": "^x"}
            },
            "required": ["n"],
            "additionalProperties": false
        });
        let fast = FastPath::compile(&schema).unwrap();
        let full = PayloadValidator::new(&Schema::parse(schema).unwrap()).unwrap();
        let cases = [
            (r#"{"n":1}"#, Judgement::Valid(None)),
            (r#"{"n":100}"#, Judgement::Invalid),
            (r#"{"n":-1}"#, Judgement::Invalid),
            (r#"{"n":"1"}"#, Judgement::Invalid),
            (r#"{"n":[1]}"#, Judgement::Invalid),
            (r#"{"n":1,"s":"x"}"#, Judgement::Invalid),
            (r#"{"n":1,"s":"wxyz"}"#, Judgement::Invalid),
            (r#"{"n":1,"s":"éé"}"#, Judgement::Valid(None)),
            (r#"{"n":1,"e":"c"}"#, Judgement::Invalid),
            (r#"{"n":1,"e":1}"#, Judgement::Invalid),
            (r#"{"n":1,"e":true}"#, Judgement::Invalid),
            (r#"{"n":1,"u":[1]}"#, Judgement::Unsure),
            (r#"{"n":1,"u":"x"}"#, Judgement::Valid(None)),
            (r#"{"n":1,"u":4}"#, Judgement::Invalid),
            (r#"{"n":1,"z":0}"#, Judgement::Invalid),
            (r#"{"s":"xy"}"#, Judgement::Invalid),
            (r#"{"n":1,"o":"y"}"#, Judgement::Unsure),
            (r#"{"n":1,"o":"x"}"#, Judgement::Unsure),
            (r#"{"n":200,"o":"x"}"#, Judgement::Invalid),
            (r#"{"n":200,"n":1}"#, Judgement::Unsure),
            (r#"{"n":1e400}"#, Judgement::Unsure),
            (r#"{"n":200"#, Judgement::Unsure),
        ];
        for (case, expect) in cases {
            assert_eq!(fast.judge(case.as_bytes(), 1 << 20, None), expect, "{case}");
            let valid = full.check(case.as_bytes()).is_empty();
            match fast.judge(case.as_bytes(), 1 << 20, None) {
                Judgement::Valid(_) => assert!(valid, "{case}"),
                Judgement::Invalid => assert!(!valid, "{case}"),
                Judgement::Unsure => {}
            }
            assert_eq!(full.is_valid(case.as_bytes()), valid, "{case}");
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
