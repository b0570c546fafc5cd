//! The fast path: for the flat object schemas telemetry uses (typed properties with bounds,
//! lengths and string enums, `required`, `additionalProperties`), a payload is checked while it
//! is parsed, without building a `serde_json::Value`. [`FastPath::certify`] only ever certifies
//! a payload valid; anything else (a violation, a keyword it does not know, a duplicate key, a
//! number too large for an exact `f64`) sends the payload to the full validator, which finds
//! what is wrong. [`FastPath::judge`] also refutes: a payload that parses whole, holds no
//! duplicate declared key and breaks a constraint the fast path checks exactly (a type, a bound,
//! a length, a string enum, `required`, a closed content model) is invalid whatever else it
//! holds, since every keyword the fast path accepts at the root applies to the payload at once.
//! So the fast path can make a run faster, never change a verdict.

use crate::compat::Draft;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
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

/// What [`FastPath::judge`] says of a payload. `Valid` and `Invalid` are the full validator's
/// verdict, found without it; both carry the string at the top-level key asked for (the
/// producer's id), if present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Passes every check.
    Valid(Option<String>),
    /// Breaks a constraint the fast path checks exactly, in a payload that parsed whole with
    /// no duplicate declared key. Which constraint is left to the full validator, for the few
    /// payloads whose details are shown.
    Invalid(Option<String>),
    /// Ask the full validator.
    Unsure,
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

fn prop(schema: &Value, draft: Draft) -> Prop {
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
            // Draft 4's boolean forms are not numbers and stay with the full validator; its
            // meta-schema refuses the numeric forms, which its validator would ignore (so they
            // are never enforced here for draft 4).
            "exclusiveMinimum" if draft != Draft::Draft4 => {
                bound(v).map(|b| exclusive_min = Some(b)).is_some()
            }
            "exclusiveMaximum" if draft != Draft::Draft4 => {
                bound(v).map(|b| exclusive_max = Some(b)).is_some()
            }
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
    /// The fast path for `schema` (of dialect `draft`), if it is a flat object schema the fast
    /// path understands entirely at its root (properties it does not understand are left to
    /// the full validator).
    pub fn compile(schema: &Value, draft: Draft) -> Option<FastPath> {
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
                        fast.props.push(prop(s, draft));
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
        self.run(bytes, max_bytes, capture, None, &mut [], false)
            .certified()
    }

    /// [`FastPath::certify`] that also says "invalid" when it is sure ([`Answer::Invalid`]).
    /// A payload it cannot certify is read to its end to look for such a violation, so this
    /// costs more than `certify` on a payload that turns out [`Answer::Unsure`].
    pub fn judge(&self, bytes: &[u8], max_bytes: usize, capture: Option<&str>) -> Answer {
        self.run(bytes, max_bytes, capture, None, &mut [], true)
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
        self.run(bytes, max_bytes, capture, Some(picks), out, false)
            .certified()
    }

    /// [`FastPath::judge`] that also reads out the values `picks` names, as
    /// [`FastPath::certify_picking`] does; `out` is to be read only on [`Answer::Valid`].
    pub fn judge_picking<'t>(
        &self,
        bytes: &'t [u8],
        max_bytes: usize,
        capture: Option<&str>,
        picks: &Picks,
        out: &mut [Scalar<'t>],
    ) -> Answer {
        self.run(bytes, max_bytes, capture, Some(picks), out, true)
    }

    fn run<'t>(
        &self,
        bytes: &'t [u8],
        max_bytes: usize,
        capture: Option<&str>,
        picks: Option<&Picks>,
        out: &mut [Scalar<'t>],
        refute: bool,
    ) -> Answer {
        if bytes.len() > max_bytes {
            return Answer::Unsure;
        }
        // Checked up front: serde_json skips ignored strings without checking their UTF-8.
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Answer::Unsure;
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let root = Root {
            fast: self,
            capture,
            picks,
            out,
            refute,
        };
        match (root.deserialize(&mut de), de.end()) {
            (Ok(answer), Ok(())) => answer,
            _ => Answer::Unsure,
        }
    }
}

impl Answer {
    /// `Some` (with the captured id) when valid.
    fn certified(self) -> Option<Option<String>> {
        match self {
            Answer::Valid(found) => Some(found),
            _ => None,
        }
    }
}

/// How a value fits its property's schema.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fit {
    Fits,
    /// Certainly breaks a constraint.
    Breaks,
    /// Not known here.
    Unsure,
}

struct Root<'a, 'o, 't> {
    fast: &'a FastPath,
    capture: Option<&'a str>,
    picks: Option<&'a Picks>,
    out: &'o mut [Scalar<'t>],
    /// Read on past a violation, to answer "invalid" (else stop at the first doubt).
    refute: bool,
}

/// "Not certain": the full validator takes over. No message is built on this path.
fn unsure<E: de::Error>() -> E {
    E::custom("")
}

impl<'de: 't, 't> DeserializeSeed<'de> for Root<'_, '_, 't> {
    type Value = Answer;
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
    type Value = Answer;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let fast = self.fast;
        let refute = self.refute;
        let mut seen = 0u64;
        let mut found = None;
        let (mut breaks, mut doubt) = (false, false);
        let mut note = |fit: Fit| -> Result<(), A::Error> {
            match fit {
                Fit::Fits => {}
                _ if !refute => return Err(unsure()),
                Fit::Breaks => breaks = true,
                Fit::Unsure => doubt = true,
            }
            Ok(())
        };
        while let Some(key) = map.next_key_seed(Key(fast, self.capture, self.picks))? {
            match key {
                Slot::Declared(i, capture) => {
                    if seen & (1 << i) != 0 {
                        // Duplicate keys: leave the last-one-wins rule to the full validator
                        // (a violation seen earlier may have been overwritten).
                        return Err(unsure());
                    }
                    seen |= 1 << i;
                    let pick = self.picks.and_then(|p| p.declared[i]);
                    let (v, fit) = map.next_value_seed(Check {
                        prop: &fast.props[i],
                        want: capture || pick.is_some(),
                        refute,
                    })?;
                    note(fit)?;
                    if capture {
                        found = captured(&v);
                    }
                    if let Some(slot) = pick {
                        self.out[slot] = v;
                    }
                }
                Slot::Other(capture, pick) => {
                    if !fast.additional {
                        // A closed content model: the key alone breaks it.
                        note(Fit::Breaks)?;
                    }
                    if capture || pick.is_some() {
                        let (v, _) = map.next_value_seed(Check {
                            prop: &Prop::Any,
                            want: true,
                            refute,
                        })?;
                        if capture {
                            found = captured(&v);
                        }
                        if let Some(slot) = pick {
                            // Not tracked as seen: of duplicates the last wins, as in a `Value`.
                            self.out[slot] = v;
                        }
                    } else {
                        map.next_value_seed(Skip)?;
                    }
                }
            }
        }
        if seen & fast.required != fast.required {
            note(Fit::Breaks)?;
        }
        Ok(if breaks {
            Answer::Invalid(found)
        } else if doubt {
            Answer::Unsure
        } else {
            Answer::Valid(found)
        })
    }
}

/// Skips a value. Unlike `IgnoredAny` (which serde_json skips without its nesting limit), it
/// descends through serde_json's `deserialize_any`, so a value nested too deep for a
/// `serde_json::Value` fails here as it fails the full validator's parse.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
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

/// Checks one property's value: how it fits, and the value when `want` asks for it
/// ([`Scalar::Absent`] when not). Without `refute`, anything but [`Fit::Fits`] stops the read.
struct Check<'a> {
    prop: &'a Prop,
    want: bool,
    refute: bool,
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = (Scalar<'de>, Fit);
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.prop {
            Prop::Opaque if !self.refute => Err(unsure()),
            // Read as anything: the full validator judges it, unless another value refutes.
            Prop::Opaque => Check {
                prop: &Prop::Any,
                ..self
            }
            .deserialize(d)
            .map(|(v, _)| (v, Fit::Unsure)),
            Prop::Any if !self.want => d
                .deserialize_any(Skip)
                .map(|()| (Scalar::Absent, Fit::Fits)),
            _ => d.deserialize_any(self),
        }
    }
}

impl Check<'_> {
    /// The value read (when asked for) and its fit; a misfit is an error without `refute`.
    fn give<'de, E: de::Error>(&self, v: Scalar<'de>, fit: Fit) -> Result<(Scalar<'de>, Fit), E> {
        if fit != Fit::Fits && !self.refute {
            return Err(unsure());
        }
        Ok((if self.want { v } else { Scalar::Absent }, fit))
    }

    /// How a number fits (exact: `x` is the value the full validator compares, and every
    /// bound is exact in an `f64`).
    fn number(&self, x: f64) -> Fit {
        let Prop::Simple {
            ty,
            min,
            max,
            exclusive_min,
            exclusive_max,
            one_of,
            ..
        } = self.prop
        else {
            return Fit::Fits;
        };
        // An enum of strings holds no number.
        let ok = matches!(ty, Ty::Any | Ty::Number)
            && one_of.is_none()
            && min.is_none_or(|m| x >= m)
            && max.is_none_or(|m| x <= m)
            && exclusive_min.is_none_or(|m| x > m)
            && exclusive_max.is_none_or(|m| x < m);
        if ok { Fit::Fits } else { Fit::Breaks }
    }

    /// How a boolean or a null fits.
    fn other(&self, ty_of: Ty) -> Fit {
        match self.prop {
            Prop::Simple { ty, one_of, .. }
                if one_of.is_none() && (*ty == Ty::Any || *ty == ty_of) =>
            {
                Fit::Fits
            }
            Prop::Simple { .. } => Fit::Breaks,
            _ => Fit::Fits,
        }
    }

    /// How an array or an object fits: a type or a string enum refuses it; bounds and lengths
    /// alone do not apply to it, and are left to the full validator.
    fn compound(&self) -> Fit {
        match self.prop {
            Prop::Simple { ty, one_of, .. } if *ty != Ty::Any || one_of.is_some() => Fit::Breaks,
            Prop::Simple { .. } => Fit::Unsure,
            _ => Fit::Fits,
        }
    }

    fn string(&self, s: &str) -> Fit {
        if let Prop::Simple {
            ty,
            min_len,
            max_len,
            one_of,
            ..
        } = self.prop
        {
            if !matches!(ty, Ty::Any | Ty::String) {
                return Fit::Breaks;
            }
            if min_len.is_some() || max_len.is_some() {
                // Characters (Unicode scalar values), as the full validator counts them.
                let n = s.chars().count();
                if min_len.is_some_and(|m| n < m) || max_len.is_some_and(|m| n > m) {
                    return Fit::Breaks;
                }
            }
            if one_of
                .as_ref()
                .is_some_and(|all| !all.iter().any(|e| e == s))
            {
                return Fit::Breaks;
            }
        }
        Fit::Fits
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = (Scalar<'de>, Fit);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
        self.give(Scalar::Double(x), self.number(x))
    }
    fn visit_u64<E: de::Error>(self, x: u64) -> Result<Self::Value, E> {
        // Below 2^53 an `i64`, as serde_json's `Value` holds it.
        let v = i64::try_from(x).map_or(Scalar::UInt(x), Scalar::Int);
        // Compared as integers: `2^53 + 1` rounds to `2^53` as an `f64`.
        if x > EXACT as u64 {
            return self.give(v, Fit::Unsure);
        }
        self.give(v, self.number(x as f64))
    }
    fn visit_i64<E: de::Error>(self, x: i64) -> Result<Self::Value, E> {
        if x.unsigned_abs() > EXACT as u64 {
            return self.give(Scalar::Int(x), Fit::Unsure);
        }
        self.give(Scalar::Int(x), self.number(x as f64))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        self.give(Scalar::Bool(b), self.other(Ty::Boolean))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.give(Scalar::Null, self.other(Ty::Null))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        self.give(Scalar::Str(Cow::Borrowed(s)), self.string(s))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        let fit = self.string(s);
        if fit != Fit::Fits && !self.refute {
            return Err(unsure());
        }
        Ok((
            if self.want {
                Scalar::Str(Cow::Owned(s.to_string()))
            } else {
                Scalar::Absent
            },
            fit,
        ))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let fit = self.compound();
        if fit != Fit::Fits && !self.refute {
            return Err(unsure());
        }
        while seq.next_element_seed(Skip)?.is_some() {}
        self.give(Scalar::Compound, fit)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let fit = self.compound();
        if fit != Fit::Fits && !self.refute {
            return Err(unsure());
        }
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        self.give(Scalar::Compound, fit)
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
        let schema = Schema::parse(doc.clone()).unwrap();
        let full = PayloadValidator::new(&schema).unwrap();
        (
            FastPath::compile(&doc, schema.draft).expect("the generator schema is flat"),
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

    fn compiled(doc: Value) -> (FastPath, PayloadValidator) {
        let schema = Schema::parse(doc.clone()).unwrap();
        let full = PayloadValidator::new(&schema).unwrap();
        (FastPath::compile(&doc, schema.draft).unwrap(), full)
    }

    /// Every keyword the fast path checks, on properties of each kind, open and closed.
    fn all_kinds(closed: bool) -> Value {
        serde_json::json!({
            "type": "object",
            "properties": {
                "id": {"type": "string", "minLength": 2, "maxLength": 4},
                "fuel": {"type": "number", "minimum": 0, "maximum": 100},
                "t": {"exclusiveMinimum": -1, "exclusiveMaximum": 1},
                "s": {"enum": ["a", "b"]},
                "b": {"type": "boolean"},
                "n": {"type": "null"},
                "i": {"type": "integer", "maximum": 5},
                "ts": {"type": "string", "format": "date-time"},
                "any": {"description": "anything"}
            },
            "required": ["id", "fuel"],
            "additionalProperties": !closed
        })
    }

    /// What the fast path answers must be the full validator's verdict, whenever it answers.
    fn agrees(fast: &FastPath, full: &PayloadValidator, payload: &str) -> Answer {
        let answer = fast.judge(payload.as_bytes(), 1 << 20, Some("id"));
        let valid = full.check(payload.as_bytes()).is_empty();
        match &answer {
            Answer::Valid(_) => assert!(valid, "judged valid, the validator refuses: {payload}"),
            Answer::Invalid(_) => {
                assert!(!valid, "judged invalid, the validator accepts: {payload}")
            }
            Answer::Unsure => {}
        }
        // What certify certifies, judge judges valid, with the same producer.
        assert_eq!(
            fast.certify(payload.as_bytes(), 1 << 20, Some("id")),
            match &answer {
                Answer::Valid(found) => Some(found.clone()),
                _ => None,
            },
            "{payload}"
        );
        answer
    }

    #[test]
    fn refutes_only_what_the_full_validator_refuses() {
        let deep = format!(
            r#"{{"id":"ab","fuel":1,"x":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let deep_and_broken = format!(
            r#"{{"id":"ab","fuel":500,"x":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        for closed in [false, true] {
            let (fast, full) = compiled(all_kinds(closed));
            let refuted = [
                r#"{"id":"ab","fuel":100.5}"#,
                r#"{"id":"ab","fuel":-1}"#,
                r#"{"id":"ab","fuel":"50"}"#,
                r#"{"id":"ab","fuel":[50]}"#,
                r#"{"id":"ab","fuel":{"v":50}}"#,
                r#"{"id":"ab","fuel":null}"#,
                r#"{"id":"a","fuel":1}"#,
                r#"{"id":"abcde","fuel":1}"#,
                r#"{"id":7,"fuel":1}"#,
                r#"{"id":"ab"}"#,
                r#"{"fuel":1}"#,
                r#"{"id":"ab","fuel":1,"t":1}"#,
                r#"{"id":"ab","fuel":1,"t":-1.0}"#,
                r#"{"id":"ab","fuel":1,"s":"c"}"#,
                r#"{"id":"ab","fuel":1,"s":1}"#,
                r#"{"id":"ab","fuel":1,"s":true}"#,
                r#"{"id":"ab","fuel":1,"s":["a"]}"#,
                r#"{"id":"ab","fuel":1,"b":"true"}"#,
                r#"{"id":"ab","fuel":1,"n":0}"#,
                // A refused value refutes whatever else the payload holds: a keyword the fast
                // path does not check, a number too large to compare exactly, an undeclared key.
                r#"{"id":"ab","fuel":500,"i":2.5}"#,
                r#"{"id":"ab","fuel":500,"ts":"yesterday"}"#,
                r#"{"id":"ab","fuel":500,"t":9007199254740993}"#,
                r#"{"id":"ab","fuel":500,"x":[1,{"y":2}]}"#,
                // Escapes are read as the validator reads them: "\u0061" is "a", 2 characters.
                r#"{"id":"\u0061","fuel":1}"#,
            ];
            for p in refuted {
                assert_eq!(
                    agrees(&fast, &full, p),
                    Answer::Invalid(None).with_id(p),
                    "{p}"
                );
            }
            let valid = [
                r#"{"id":"ab","fuel":100}"#,
                r#"{"id":"\u00e9\u00e9\u00e9\u00e9","fuel":0,"t":0.5,"s":"b","b":false,"n":null,"any":[1]}"#,
            ];
            for p in valid {
                assert!(matches!(agrees(&fast, &full, p), Answer::Valid(_)), "{p}");
            }
            // Where the refutation must not fire: a duplicate key (the last one wins in the
            // parsed value), a tail that does not parse, a value nested deeper than the parser
            // allows, and constraints the fast path does not check exactly (an integer beyond
            // 2^53, `integer`, `format`, bounds on an array).
            let unsure = [
                r#"{"id":"ab","fuel":500,"fuel":50}"#,
                r#"{"id":"ab","fuel":50,"fuel":500}"#,
                r#"{"id":"ab","fuel":500} x"#,
                r#"{"id":"ab","fuel":500"#,
                r#"{"id":"ab","fuel":500,"#,
                r#"[{"id":"ab","fuel":500}]"#,
                &deep_and_broken,
                r#"{"id":"ab","fuel":9007199254740993}"#,
                r#"{"id":"ab","fuel":1,"i":2.5}"#,
                r#"{"id":"ab","fuel":1,"i":6}"#,
                r#"{"id":"ab","fuel":1,"ts":"yesterday"}"#,
                r#"{"id":"ab","fuel":1,"t":[5]}"#,
            ];
            for p in unsure {
                assert_eq!(agrees(&fast, &full, p), Answer::Unsure, "{p}");
            }
            // Nested too deep for the validator's parse: never certified.
            assert_eq!(agrees(&fast, &full, &deep), Answer::Unsure);
            assert!(!full.check(deep.as_bytes()).is_empty());
            // An undeclared key: fine in the open model, a violation in the closed one.
            let extra = r#"{"id":"ab","fuel":1,"x":{"y":[2]}}"#;
            assert_eq!(
                agrees(&fast, &full, extra),
                if closed {
                    Answer::Invalid(Some("ab".into()))
                } else {
                    Answer::Valid(Some("ab".into()))
                }
            );
        }
        // Integers beyond 2^53 are compared by the validator exactly, never here: 2^53 + 1 is
        // above a maximum of 2^53, although it rounds to it as an `f64`.
        let (fast, full) = compiled(serde_json::json!({
            "type": "object",
            "properties": {"n": {"type": "number", "maximum": 9007199254740992u64, "minimum": -9007199254740992i64}}
        }));
        for p in [r#"{"n":9007199254740993}"#, r#"{"n":-9007199254740993}"#] {
            assert!(!full.check(p.as_bytes()).is_empty());
            assert_eq!(agrees(&fast, &full, p), Answer::Unsure, "{p}");
        }
        assert!(matches!(
            agrees(&fast, &full, r#"{"n":9007199254740992}"#),
            Answer::Valid(_)
        ));
    }

    impl Answer {
        /// The same answer, with the payload's `id` as its captured string.
        fn with_id(self, payload: &str) -> Answer {
            let id = serde_json::from_str::<Value>(payload)
                .ok()
                .and_then(|v| v.get("id")?.as_str().map(str::to_string));
            match self {
                Answer::Valid(_) => Answer::Valid(id),
                Answer::Invalid(_) => Answer::Invalid(id),
                Answer::Unsure => Answer::Unsure,
            }
        }
    }

    #[test]
    fn the_fleets_refused_readings_are_refuted() {
        let (fast, full) = generator();
        // v3 with the percentage bound of the fuel-as-percentage proposal.
        let text =
            std::fs::read_to_string("tests/fixtures/generator/fuel-as-percentage.json").unwrap();
        let (proposal, proposal_full) = compiled(serde_json::from_str(&text).unwrap());
        let reading = r#"{"generatorID":"generator1","lat":40.68066,"lon":-73.47429,"temperature":36,"pressure":500,"fuel":400}"#;
        assert_eq!(
            fast.judge(reading.as_bytes(), 1 << 20, Some("generatorID")),
            Answer::Valid(Some("generator1".into()))
        );
        assert_eq!(
            proposal.judge(reading.as_bytes(), 1 << 20, Some("generatorID")),
            Answer::Invalid(Some("generator1".into()))
        );
        assert!(full.check(reading.as_bytes()).is_empty());
        assert!(!proposal_full.check(reading.as_bytes()).is_empty());
    }

    #[test]
    fn declines_schemas_it_does_not_understand() {
        let flat = serde_json::json!({"type": "object", "properties": {"a": {"type": "integer"}}});
        assert!(FastPath::compile(&flat, Draft::Draft7).is_some());
        for schema in [
            serde_json::json!({"type": "object", "allOf": [{"required": ["a"]}]}),
            serde_json::json!({"type": "object", "required": ["undeclared"]}),
            serde_json::json!({"type": "array"}),
            serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}}),
        ] {
            assert!(
                FastPath::compile(&schema, Draft::Draft7).is_none(),
                "{schema}"
            );
        }
    }
}
