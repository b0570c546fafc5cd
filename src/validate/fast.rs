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

/// Where `key` stands among a fast path's property names (the length compared first: most
/// names differ in it).
fn position(names: &[String], key: &str) -> Option<usize> {
    names.iter().position(|n| n.len() == key.len() && n == key)
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
        Ok(match position(&self.0.names, k) {
            Some(i) => Slot::Declared(i, capture),
            None => Slot::Other(
                capture,
                self.2.and_then(|p| {
                    p.undeclared
                        .iter()
                        .find_map(|(n, slot)| (n == k).then_some(*slot))
                }),
            ),
        })
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
            // Its fit does not depend on the value: skipped unless it is wanted.
            Prop::Any | Prop::Opaque if !self.want => d
                .deserialize_any(Skip)
                .map(|()| (Scalar::Absent, self.prop.fit(&Scalar::Absent))),
            _ => d.deserialize_any(self),
        }
    }
}

impl Check<'_> {
    /// The value read (when asked for) and its fit; a misfit is an error without `refute`.
    fn give<'de, E: de::Error>(&self, v: Scalar<'de>) -> Result<(Scalar<'de>, Fit), E> {
        let fit = self.prop.fit(&v);
        if fit != Fit::Fits && !self.refute {
            return Err(unsure());
        }
        Ok((if self.want { v } else { Scalar::Absent }, fit))
    }
}

impl Prop {
    /// How a value read as `v` fits this property: the one place a fit is decided, for the
    /// single fast path and the twin alike. [`Scalar::Absent`] stands for a value not read
    /// (of a property whose fit does not depend on it); a compound value fits by its kind.
    fn fit(&self, v: &Scalar<'_>) -> Fit {
        let Prop::Simple {
            ty,
            min,
            max,
            exclusive_min,
            exclusive_max,
            min_len,
            max_len,
            one_of,
        } = self
        else {
            return match self {
                Prop::Opaque => Fit::Unsure,
                _ => Fit::Fits,
            };
        };
        // Exact: `x` is the value the full validator compares, and every bound is exact in an
        // `f64`. An enum of strings holds no number.
        let number = |x: f64| {
            let ok = matches!(ty, Ty::Any | Ty::Number)
                && one_of.is_none()
                && min.is_none_or(|m| x >= m)
                && max.is_none_or(|m| x <= m)
                && exclusive_min.is_none_or(|m| x > m)
                && exclusive_max.is_none_or(|m| x < m);
            if ok { Fit::Fits } else { Fit::Breaks }
        };
        let other = |ty_of: Ty| {
            if one_of.is_none() && (*ty == Ty::Any || *ty == ty_of) {
                Fit::Fits
            } else {
                Fit::Breaks
            }
        };
        match v {
            Scalar::Absent => Fit::Fits,
            Scalar::Null => other(Ty::Null),
            Scalar::Bool(_) => other(Ty::Boolean),
            // Beyond 2^53 compared as integers by the validator: `2^53 + 1` rounds to `2^53`
            // as an `f64`.
            Scalar::Int(x) if x.unsigned_abs() > EXACT as u64 => Fit::Unsure,
            Scalar::Int(x) => number(*x as f64),
            Scalar::UInt(_) => Fit::Unsure,
            Scalar::Double(x) => number(*x),
            Scalar::Str(s) => {
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
                Fit::Fits
            }
            // A type or a string enum refuses an array or an object; bounds and lengths alone
            // do not apply to it, and are left to the full validator.
            Scalar::Compound if *ty != Ty::Any || one_of.is_some() => Fit::Breaks,
            Scalar::Compound => Fit::Unsure,
        }
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = (Scalar<'de>, Fit);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
        self.give(Scalar::Double(x))
    }
    fn visit_u64<E: de::Error>(self, x: u64) -> Result<Self::Value, E> {
        // Below 2^63 an `i64`, as serde_json's `Value` holds it.
        self.give(i64::try_from(x).map_or(Scalar::UInt(x), Scalar::Int))
    }
    fn visit_i64<E: de::Error>(self, x: i64) -> Result<Self::Value, E> {
        self.give(Scalar::Int(x))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        self.give(Scalar::Bool(b))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.give(Scalar::Null)
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        self.give(Scalar::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        // Judged borrowed; copied only when wanted.
        let fit = self.prop.fit(&Scalar::Str(Cow::Borrowed(s)));
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
        // The fit of a compound value is known before its elements are read.
        if self.prop.fit(&Scalar::Compound) != Fit::Fits && !self.refute {
            return Err(unsure());
        }
        while seq.next_element_seed(Skip)?.is_some() {}
        self.give(Scalar::Compound)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if self.prop.fit(&Scalar::Compound) != Fit::Fits && !self.refute {
            return Err(unsure());
        }
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        self.give(Scalar::Compound)
    }
}

/// Both versions' fast paths in one read of a payload (the replay's "twin"): the union of both
/// schemas' top-level property names (and the names asked for), each value read once and
/// judged for each side by that side's own [`Prop`], `required` and `additionalProperties`, in
/// refute mode. Where it answers, each side's [`Answer`] is exactly what that side's
/// [`FastPath::judge`] (or [`FastPath::judge_picking`]) says; anything awkward (a name read
/// twice, a payload over either side's size limit, a payload that does not parse whole) makes
/// it give up, and the caller then asks each side's own judge.
#[derive(Clone, Debug)]
pub struct Twin {
    /// The union's names: both schemas' declared properties, then the picked names and the
    /// captured one that neither declares.
    names: Vec<String>,
    /// Per side, per name: its property, or `None` when that side does not declare it.
    props: [Vec<Option<Prop>>; 2],
    /// Per side, its required names (bits over `names`).
    required: [u64; 2],
    /// Per side, whether undeclared keys are allowed.
    additional: [bool; 2],
    /// Per name, its slot among the picked values.
    picks: Vec<Option<usize>>,
    /// How many values are picked.
    picked: usize,
    /// The name whose string is captured (the producer's id), if any.
    capture: Option<usize>,
    /// Payloads above this (the smaller of both sides' limits) are left to the sides' judges.
    max_bytes: usize,
}

/// How a key of the payload stands in the union.
enum TwinSlot {
    Named(usize),
    Other,
}

impl Twin {
    /// The twin of `first` and `second`'s fast paths, reading out the top-level values
    /// `picked` names (distinct; as [`FastPath::picks`] would, in that order) and capturing the
    /// string at `capture`. `None` when either has no fast path or the union is too large.
    pub fn new(
        first: &super::PayloadValidator,
        second: &super::PayloadValidator,
        picked: &[String],
        capture: Option<&str>,
    ) -> Option<Twin> {
        let sides = [first.fast.as_ref()?, second.fast.as_ref()?];
        let mut names: Vec<String> = Vec::new();
        let add = |names: &mut Vec<String>, name: &str| match names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                names.push(name.to_string());
                names.len() - 1
            }
        };
        for side in sides {
            for name in &side.names {
                add(&mut names, name);
            }
        }
        let pick_at: Vec<usize> = picked.iter().map(|n| add(&mut names, n)).collect();
        let capture = capture.map(|n| add(&mut names, n));
        if names.len() > 64 {
            return None;
        }
        let mut picks = vec![None; names.len()];
        for (slot, &i) in pick_at.iter().enumerate() {
            picks[i].get_or_insert(slot);
        }
        let side = |fast: &FastPath| {
            let mut props = vec![None; names.len()];
            let mut required = 0u64;
            for (j, name) in fast.names.iter().enumerate() {
                let i = names.iter().position(|n| n == name).expect("in the union");
                props[i] = Some(fast.props[j].clone());
                if fast.required & (1 << j) != 0 {
                    required |= 1 << i;
                }
            }
            (props, required)
        };
        let (a, b) = (side(sides[0]), side(sides[1]));
        Some(Twin {
            props: [a.0, b.0],
            required: [a.1, b.1],
            additional: [sides[0].additional, sides[1].additional],
            picks,
            picked: picked.len(),
            capture,
            names,
            max_bytes: first.max_bytes.min(second.max_bytes),
        })
    }

    /// How many values [`Twin::judge`] picks.
    pub fn picked(&self) -> usize {
        self.picked
    }

    /// Both sides' answers, as `first`'s `judge` (capturing when `capture` is set) and
    /// `second`'s `judge` (capturing nothing) would give them, in one read; the picked values
    /// go to `out` (at least [`Twin::picked`] long, to be read only for a side judged
    /// [`Answer::Valid`]). `None`: the twin gave up, ask each side.
    pub fn judge<'t>(
        &self,
        bytes: &'t [u8],
        capture: bool,
        out: &mut [Scalar<'t>],
    ) -> Option<[Answer; 2]> {
        if bytes.len() > self.max_bytes {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let mut de = serde_json::Deserializer::from_str(text);
        let root = TwinRoot {
            twin: self,
            capture: if capture { self.capture } else { None },
            out,
        };
        match (root.deserialize(&mut de), de.end()) {
            (Ok(answers), Ok(())) => Some(answers),
            _ => None,
        }
    }
}

struct TwinRoot<'a, 'o, 't> {
    twin: &'a Twin,
    capture: Option<usize>,
    out: &'o mut [Scalar<'t>],
}

impl<'de: 't, 't> DeserializeSeed<'de> for TwinRoot<'_, '_, 't> {
    type Value = [Answer; 2];
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

struct TwinKey<'a>(&'a Twin);

impl<'de> DeserializeSeed<'de> for TwinKey<'_> {
    type Value = TwinSlot;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for TwinKey<'_> {
    type Value = TwinSlot;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> Result<TwinSlot, E> {
        Ok(match position(&self.0.names, k) {
            Some(i) => TwinSlot::Named(i),
            None => TwinSlot::Other,
        })
    }
}

impl<'de: 't, 't> Visitor<'de> for TwinRoot<'_, '_, 't> {
    type Value = [Answer; 2];
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let twin = self.twin;
        let mut seen = 0u64;
        let mut found = None;
        let (mut breaks, mut doubt) = ([false; 2], [false; 2]);
        let mut note = |side: usize, fit: Fit| match fit {
            Fit::Fits => {}
            Fit::Breaks => breaks[side] = true,
            Fit::Unsure => doubt[side] = true,
        };
        while let Some(key) = map.next_key_seed(TwinKey(twin))? {
            match key {
                TwinSlot::Named(i) => {
                    if seen & (1 << i) != 0 {
                        // A name read twice: the sides' own judges decide (for a declared
                        // name, the full validator: the last one wins).
                        return Err(unsure());
                    }
                    seen |= 1 << i;
                    let pick = twin.picks[i];
                    let capture = self.capture == Some(i);
                    let judged = |s: usize| matches!(&twin.props[s][i], Some(p) if !matches!(p, Prop::Any | Prop::Opaque));
                    let v = if pick.is_some() || capture || judged(0) || judged(1) {
                        map.next_value_seed(Check {
                            prop: &Prop::Any,
                            want: true,
                            refute: true,
                        })?
                        .0
                    } else {
                        map.next_value_seed(Skip)?;
                        Scalar::Absent
                    };
                    for s in 0..2 {
                        note(
                            s,
                            match &twin.props[s][i] {
                                Some(p) => p.fit(&v),
                                None if twin.additional[s] => Fit::Fits,
                                None => Fit::Breaks,
                            },
                        );
                    }
                    if capture {
                        found = captured(&v);
                    }
                    if let Some(slot) = pick {
                        self.out[slot] = v;
                    }
                }
                TwinSlot::Other => {
                    for s in 0..2 {
                        if !twin.additional[s] {
                            note(s, Fit::Breaks);
                        }
                    }
                    map.next_value_seed(Skip)?;
                }
            }
        }
        let answer = |s: usize, found: Option<String>| {
            if seen & twin.required[s] != twin.required[s] || breaks[s] {
                Answer::Invalid(found)
            } else if doubt[s] {
                Answer::Unsure
            } else {
                Answer::Valid(found)
            }
        };
        Ok([answer(0, found), answer(1, None)])
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

    fn file_schema(path: &str) -> (Value, PayloadValidator) {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let full = PayloadValidator::new(&Schema::parse(doc.clone()).unwrap()).unwrap();
        (doc, full)
    }

    /// The twin's two answers are the two single judges' answers, for every payload on which
    /// it answers, and it answers on every payload that parses whole with no name read twice;
    /// the values it picks are those the first side's own pass picks.
    #[test]
    fn the_twin_answers_as_both_judges_would() {
        let validator = |doc: Value| {
            let full = PayloadValidator::new(&Schema::parse(doc.clone()).unwrap()).unwrap();
            (doc, full)
        };
        let mut schemas = vec![
            validator(all_kinds(false)),
            validator(all_kinds(true)),
            // Other names, other `required`, `id` opaque and `fuel` tighter.
            validator(serde_json::json!({
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "fuel": {"type": "number", "maximum": 50},
                    "runHours": {"type": "number", "minimum": 0},
                    "s": {"enum": ["a", "b", "c"]}
                },
                "required": ["runHours"]
            })),
            validator(serde_json::json!({
                "type": "object",
                "properties": {"x": true, "id": {"type": "string"}},
                "additionalProperties": false
            })),
            validator(serde_json::json!({"type": "object"})),
            file_schema("schemas/generator/v3.json"),
            file_schema("tests/fixtures/generator/compatible-v4.json"),
            file_schema("tests/fixtures/generator/fuel-as-percentage.json"),
        ];
        schemas.push(validator(serde_json::json!({
            "type": "object",
            "properties": {"fuel": {"type": "number", "maximum": 100}},
            "additionalProperties": false,
            "required": ["fuel"]
        })));
        let payloads = [
            r#"{"id":"ab","fuel":40}"#,
            r#"{"id":"ab","fuel":100.5}"#,
            r#"{"id":"ab","fuel":-1,"runHours":3}"#,
            r#"{"id":7,"fuel":1,"runHours":-1}"#,
            r#"{"id":"abcde","fuel":"1"}"#,
            r#"{"id":"ab","fuel":1,"s":"c","t":0.5}"#,
            r#"{"id":"ab","fuel":1,"s":"a","b":true,"n":null,"any":{"k":[1]}}"#,
            r#"{"id":"ab","fuel":1,"x":[1,2],"y":{}}"#,
            r#"{"id":"ab","fuel":1,"i":2.5,"ts":"yesterday"}"#,
            r#"{"id":"ab","fuel":9007199254740993}"#,
            r#"{"id":"ab","fuel":18446744073709551615}"#,
            r#"{"id":"\u0061b","fuel":1}"#,
            r#"{"fuel":1}"#,
            r#"{}"#,
            r#"{"id":"ab","fuel":1,"fuel":500}"#,
            r#"{"id":"ab","fuel":1,"x":1,"x":2}"#,
            r#"{"id":"ab","fuel":500} x"#,
            r#"{"id":"ab","fuel":500"#,
            r#"[1]"#,
            "not json",
            r#"{"generatorID":"generator1","lat":40.68066,"lon":-73.47429,"temperature":36,"pressure":500,"fuel":400}"#,
            r#"{"generatorID":"generator2","lat":1,"lon":2,"temperature":36,"pressure":500,"fuel":40,"status":"maintenance","runHours":-2}"#,
            r#"{"generatorID":"g3","lat":1,"lon":2,"temperature":36,"pressure":500,"fuel":40,"timestamp":"2026-12-01T10:00:00Z","firmware":"4.2"}"#,
            r#"{"generatorID":"g4","lat":1,"lon":2,"temperature":36,"pressure":500,"status":"standby"}"#,
        ];
        let picked: Vec<String> = ["fuel", "temperature", "extra"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // Names read twice: the twin leaves them to the sides.
        let twice = [payloads[14], payloads[15]];
        let mut answered = 0;
        for (a_doc, a) in &schemas {
            for (b_doc, b) in &schemas {
                let twin = Twin::new(a, b, &picked, Some("id")).expect("flat schemas");
                let draft = |doc: &Value| Schema::parse(doc.clone()).unwrap().draft;
                let fast_a = FastPath::compile(a_doc, draft(a_doc)).unwrap();
                let fast_b = FastPath::compile(b_doc, draft(b_doc)).unwrap();
                let picks = fast_a.picks(&picked);
                for p in payloads {
                    for capture in [false, true] {
                        let mut out = vec![Scalar::Absent; twin.picked()];
                        let mut single = vec![Scalar::Absent; picks.len()];
                        let first = fast_a.judge_picking(
                            p.as_bytes(),
                            1 << 20,
                            capture.then_some("id"),
                            &picks,
                            &mut single,
                        );
                        let second = fast_b.judge(p.as_bytes(), 1 << 20, None);
                        let both = twin.judge(p.as_bytes(), capture, &mut out);
                        let Some([x, y]) = both else {
                            let parses = serde_json::from_str::<serde_json::Map<String, Value>>(p);
                            assert!(parses.is_err() || twice.contains(&p), "gave up on {p}");
                            continue;
                        };
                        answered += 1;
                        assert_eq!((&x, &y), (&first, &second), "{a_doc} / {b_doc}: {p}");
                        if matches!(x, Answer::Valid(_)) {
                            assert_eq!(out, single, "{a_doc}: {p}");
                        }
                    }
                }
            }
        }
        assert!(answered > schemas.len() * schemas.len() * 30, "{answered}");
        // The replay's two proposals take the twin with today's version.
        let (_, today) = file_schema("schemas/generator/v3.json");
        for proposal in [
            "tests/fixtures/generator/compatible-v4.json",
            "tests/fixtures/generator/fuel-as-percentage.json",
        ] {
            let (_, proposal) = file_schema(proposal);
            let twin = Twin::new(&today, &proposal, &[], Some("generatorID")).unwrap();
            assert!(twin.judge(payloads[20].as_bytes(), true, &mut []).is_some());
        }
        // Over either side's size limit: left to the sides.
        let (_, small) = file_schema("schemas/generator/v3.json");
        let small = small.with_max_bytes(10);
        let twin = Twin::new(&today, &small, &[], None).unwrap();
        assert_eq!(twin.judge(payloads[20].as_bytes(), false, &mut []), None);
    }
}
