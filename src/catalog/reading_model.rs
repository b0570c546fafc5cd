//! A contract's reading model (`[simulator]`): how its fleet makes readings, as data, so that
//! `simulate`, `demo` and `test` produce any contract's fleet without code of their own.
//!
//! ```toml
//! [simulator]
//! producer_id = "generator{n}"   # {n}: 1, 2, 3, ...
//! interval = [60, 120]           # seconds between one producer's readings (--rate overrides)
//!
//! [[simulator.fields]]           # one table per payload field, in payload order
//! name = "fuel"
//! kind = "counter"               # id | fixed | draw | walk | counter | const
//! type = "integer"               # or "number" (the default), rounded to `decimals`
//! start = [900, 1000]
//! use = [1, 10]
//! refill = [500, 1000]
//! refill_at = 0
//! ```

use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// How a contract's fleet makes its readings.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadingModel {
    /// The producers' ids: `{n}` is replaced by 1, 2, 3, ...
    pub producer_id: String,
    /// The time between two readings of one producer, drawn afresh each time.
    pub interval: (Duration, Duration),
    /// The payload's fields, in order.
    pub fields: Vec<FieldModel>,
}

/// One payload field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldModel {
    /// The payload key.
    pub name: String,
    /// How its value is made.
    pub kind: FieldKind,
}

/// How numbers are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// Whole numbers.
    Integer,
    /// Decimals, rounded to this many places.
    Decimal(u32),
}

/// An inclusive range of numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// The lowest value.
    pub min: f64,
    /// The highest value.
    pub max: f64,
}

/// How a field's value is made.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// The producer's id (`producer_id`).
    Id,
    /// Drawn once per producer in `range`, then constant (a position); the first producers take
    /// `first`'s values in order.
    Fixed {
        /// Where values are drawn.
        range: Range,
        /// How they are written.
        numbers: Numbers,
        /// The first producers' values.
        first: Vec<f64>,
    },
    /// Drawn afresh in `range` for every reading.
    Draw {
        /// Where values are drawn.
        range: Range,
        /// How they are written.
        numbers: Numbers,
    },
    /// A random walk: starts in `start`, moves by at most `step` per reading, stays in `range`.
    Walk {
        /// Where the walk stays.
        range: Range,
        /// Where it starts.
        start: Range,
        /// The largest move per reading.
        step: f64,
        /// How values are written.
        numbers: Numbers,
    },
    /// A level that drains and is refilled (a tank): starts in `start`; before each reading,
    /// a level at or below `refill_at` is refilled by an amount in `refill`; each reading uses an
    /// amount in `use_`. The reading after the last use before a refill may lie below
    /// `refill_at`, as real firmware reports it.
    Counter {
        /// The level at start.
        start: Range,
        /// Used per reading.
        use_: Range,
        /// Added by a refill.
        refill: Range,
        /// The level at or below which the tank is refilled.
        refill_at: f64,
        /// How values are written.
        numbers: Numbers,
    },
    /// Always this value.
    Const(serde_json::Value),
}

impl ReadingModel {
    /// The id of producer `i` (0-based).
    pub fn producer_id(&self, i: usize) -> String {
        self.producer_id.replace("{n}", &(i + 1).to_string())
    }

    /// The field holding the producer's id, if any.
    pub fn id_field(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.kind == FieldKind::Id)
            .map(|f| f.name.as_str())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModel {
    producer_id: Option<Spanned<String>>,
    interval: Option<Spanned<[f64; 2]>>,
    #[serde(default)]
    fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: Spanned<String>,
    kind: Spanned<String>,
    #[serde(rename = "type")]
    numbers: Option<Spanned<String>>,
    decimals: Option<Spanned<u32>>,
    range: Option<Spanned<[f64; 2]>>,
    first: Option<Spanned<Vec<f64>>>,
    start: Option<Spanned<[f64; 2]>>,
    step: Option<Spanned<f64>>,
    #[serde(rename = "use")]
    use_: Option<Spanned<[f64; 2]>>,
    refill: Option<Spanned<[f64; 2]>>,
    refill_at: Option<Spanned<f64>>,
    value: Option<Spanned<toml::Value>>,
}

/// The kinds a field can be, with the keys each takes besides `name` and `kind`.
const KINDS: [(&str, &[&str]); 6] = [
    ("id", &[]),
    ("fixed", &["range", "type", "decimals", "first"]),
    ("draw", &["range", "type", "decimals"]),
    ("walk", &["range", "start", "step", "type", "decimals"]),
    (
        "counter",
        &["start", "use", "refill", "refill_at", "type", "decimals"],
    ),
    ("const", &["value"]),
];

/// The contract's default interval when `[simulator]` names none: one reading a second.
const DEFAULT_INTERVAL: [f64; 2] = [1.0, 1.0];

/// Where in the contract a problem lies: its line and column, 1-based (columns count bytes,
/// as the contract's other messages do). Written before a message as "line L, column C: ".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct At(Option<(usize, usize)>);

impl At {
    /// The place of byte `offset` in `text`.
    pub(super) fn of(text: &str, offset: usize) -> At {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = offset - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        At(Some((line, column)))
    }

    /// The line, when known.
    pub fn line(self) -> Option<usize> {
        self.0.map(|(line, _)| line)
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some((line, column)) => write!(f, "line {line}, column {column}: "),
            None => Ok(()),
        }
    }
}

/// Why a contract's `[simulator]` table cannot make a fleet: the input's fault (exit 2). Each
/// names the key or field and, where the contract says it, its line and column.
#[derive(Debug, thiserror::Error)]
pub enum ReadingModelError {
    /// `interval` is not a range of seconds above 0.
    #[error(
        "{at}[simulator] interval = [{low}, {high}] is not a range of seconds above 0, low first\nhelp: write the shortest and the longest time between one producer's readings, e.g. interval = [60, 120]"
    )]
    BadInterval {
        /// Where.
        at: At,
        /// The low end as written.
        low: f64,
        /// The high end as written.
        high: f64,
    },
    /// `producer_id` has no `{n}`.
    #[error(
        "{at}[simulator] producer_id = \"{producer_id}\" has no {{n}}, so every producer would have the same id\nhelp: write where the number goes, e.g. producer_id = \"generator{{n}}\""
    )]
    NoNumberInProducerId {
        /// Where.
        at: At,
        /// The id as written.
        producer_id: String,
    },
    /// An `id` field, but no `producer_id` to make ids.
    #[error(
        "[simulator] has an `id` field but no producer_id\nhelp: say how producers are named, e.g. producer_id = \"generator{{n}}\""
    )]
    IdWithoutProducerId,
    /// No `[[simulator.fields]]`.
    #[error(
        "[simulator] has no fields\nhelp: add one [[simulator.fields]] table per payload field (name, kind, and the kind's keys)"
    )]
    NoFields,
    /// Two fields of one name.
    #[error("{at}[simulator] field \"{field}\" is defined twice")]
    DuplicateField {
        /// Where the second one is named.
        at: At,
        /// The field.
        field: String,
    },
    /// A `kind` that is not a field kind.
    #[error(
        "{at}[simulator] field \"{field}\": kind \"{kind}\" is not a field kind\nhelp: kind is one of {}",
        KINDS.map(|(k, _)| format!("\"{k}\"")).join(", ")
    )]
    UnknownKind {
        /// Where the kind is written.
        at: At,
        /// The field.
        field: String,
        /// The kind as written.
        kind: String,
    },
    /// A key the field's kind does not take.
    #[error(
        "{at}[simulator] field \"{field}\": a {kind} field takes no `{key}`\nhelp: a {kind} field takes {}",
        takes_list(takes)
    )]
    KeyNotTaken {
        /// Where the key is written.
        at: At,
        /// The field.
        field: String,
        /// The field's kind.
        kind: &'static str,
        /// The key.
        key: &'static str,
        /// The keys the kind takes.
        takes: &'static [&'static str],
    },
    /// A `type` that is not a number type.
    #[error(
        "{at}[simulator] field \"{field}\": type \"{found}\" is not a number type\nhelp: type is \"integer\" or \"number\""
    )]
    NotANumberType {
        /// Where the type is written.
        at: At,
        /// The field.
        field: String,
        /// The type as written.
        found: String,
    },
    /// A range key the field's kind needs is missing.
    #[error(
        "{at}[simulator] field \"{field}\": a {kind} field needs `{key} = [LOW, HIGH]`\nhelp: a {kind} field takes {}",
        takes.join(", ")
    )]
    MissingRange {
        /// Where the field starts.
        at: At,
        /// The field.
        field: String,
        /// The field's kind.
        kind: &'static str,
        /// The key.
        key: &'static str,
        /// The keys the kind takes.
        takes: &'static [&'static str],
    },
    /// A range holding a number that is not finite.
    #[error("{at}[simulator] field \"{field}\": {key} must hold two finite numbers")]
    NotFinite {
        /// Where the range is written.
        at: At,
        /// The field.
        field: String,
        /// The key.
        key: &'static str,
    },
    /// A range written high end first.
    #[error(
        "{at}[simulator] field \"{field}\": {key} = [{min}, {max}] has its low end above its high end\nhelp: write the low end first: {key} = [{max}, {min}]"
    )]
    LowAboveHigh {
        /// Where the range is written.
        at: At,
        /// The field.
        field: String,
        /// The key.
        key: &'static str,
        /// The first number as written.
        min: f64,
        /// The second number as written.
        max: f64,
    },
    /// A walk without `step`.
    #[error(
        "{at}[simulator] field \"{field}\": a walk field needs `step` (the largest move per reading)"
    )]
    MissingStep {
        /// Where the field starts.
        at: At,
        /// The field.
        field: String,
    },
    /// A negative or infinite `step`.
    #[error("{at}[simulator] field \"{field}\": step must be a number of at least 0")]
    BadStep {
        /// Where the step is written.
        at: At,
        /// The field.
        field: String,
    },
    /// A walk that starts outside its range.
    #[error(
        "{at}[simulator] field \"{field}\": start [{}, {}] lies outside range [{}, {}]",
        start.min, start.max, range.min, range.max
    )]
    StartOutsideRange {
        /// Where the field starts.
        at: At,
        /// The field.
        field: String,
        /// Where the walk starts.
        start: Range,
        /// Where it must stay.
        range: Range,
    },
    /// A counter whose use is negative.
    #[error(
        "{at}[simulator] field \"{field}\": use must not be negative (a counter drains; refills add)"
    )]
    NegativeUse {
        /// Where `use` is written.
        at: At,
        /// The field.
        field: String,
    },
    /// A const field without `value`.
    #[error("{at}[simulator] field \"{field}\": a const field needs `value`")]
    MissingValue {
        /// Where the field starts.
        at: At,
        /// The field.
        field: String,
    },
    /// A const value that JSON cannot hold.
    #[error("{at}[simulator] field \"{field}\": value cannot be written as JSON: {reason}")]
    ValueNotJson {
        /// Where the field starts.
        at: At,
        /// The field.
        field: String,
        /// The converter's words (not a `source`: the message already says it).
        reason: serde_json::Error,
    },
}

impl ReadingModelError {
    /// Where in the contract, when known.
    pub fn at(&self) -> At {
        use ReadingModelError as E;
        match self {
            E::IdWithoutProducerId | E::NoFields => At::default(),
            E::BadInterval { at, .. }
            | E::NoNumberInProducerId { at, .. }
            | E::DuplicateField { at, .. }
            | E::UnknownKind { at, .. }
            | E::KeyNotTaken { at, .. }
            | E::NotANumberType { at, .. }
            | E::MissingRange { at, .. }
            | E::NotFinite { at, .. }
            | E::LowAboveHigh { at, .. }
            | E::MissingStep { at, .. }
            | E::BadStep { at, .. }
            | E::StartOutsideRange { at, .. }
            | E::NegativeUse { at, .. }
            | E::MissingValue { at, .. }
            | E::ValueNotJson { at, .. } => *at,
        }
    }
}

/// The keys a kind takes, as a sentence's end.
fn takes_list(takes: &[&str]) -> String {
    if takes.is_empty() {
        "only name and kind".to_string()
    } else {
        takes.join(", ")
    }
}

impl RawModel {
    /// Checks the model; `text` is the contract it was read from, for the places errors name.
    pub(super) fn check(self, text: &str) -> Result<ReadingModel, ReadingModelError> {
        let at = |span: std::ops::Range<usize>| At::of(text, span.start);
        let (interval, interval_at) = match &self.interval {
            Some(i) => (*i.get_ref(), at(i.span())),
            None => (DEFAULT_INTERVAL, At::default()),
        };
        if !(interval[0] > 0.0 && interval[0] <= interval[1] && interval[1].is_finite()) {
            return Err(ReadingModelError::BadInterval {
                at: interval_at,
                low: interval[0],
                high: interval[1],
            });
        }
        let has_id = self.fields.iter().any(|f| f.kind.get_ref() == "id");
        let producer_id = match self.producer_id {
            Some(p) if p.get_ref().contains("{n}") => p.into_inner(),
            Some(p) => {
                return Err(ReadingModelError::NoNumberInProducerId {
                    at: at(p.span()),
                    producer_id: p.into_inner(),
                });
            }
            None if has_id => return Err(ReadingModelError::IdWithoutProducerId),
            None => "producer{n}".into(),
        };
        if self.fields.is_empty() {
            return Err(ReadingModelError::NoFields);
        }
        let mut fields = Vec::with_capacity(self.fields.len());
        for raw in self.fields {
            let name = raw.name.get_ref().clone();
            if fields.iter().any(|f: &FieldModel| f.name == name) {
                return Err(ReadingModelError::DuplicateField {
                    at: at(raw.name.span()),
                    field: name,
                });
            }
            let kind = raw.check(&name, &at)?;
            fields.push(FieldModel { name, kind });
        }
        Ok(ReadingModel {
            producer_id,
            interval: (
                Duration::from_secs_f64(interval[0]),
                Duration::from_secs_f64(interval[1]),
            ),
            fields,
        })
    }
}

impl RawField {
    fn check(
        self,
        name: &str,
        at: &dyn Fn(std::ops::Range<usize>) -> At,
    ) -> Result<FieldKind, ReadingModelError> {
        use ReadingModelError as E;
        // Where the field starts, for what is missing rather than wrong.
        let here = at(self.name.span());
        let field = || name.to_string();
        let Some(&(kind, takes)) = KINDS.iter().find(|(k, _)| *k == self.kind.get_ref()) else {
            return Err(E::UnknownKind {
                at: at(self.kind.span()),
                field: field(),
                kind: self.kind.into_inner(),
            });
        };
        let present: [(&'static str, Option<std::ops::Range<usize>>); 10] = [
            ("type", self.numbers.as_ref().map(Spanned::span)),
            ("decimals", self.decimals.as_ref().map(Spanned::span)),
            ("range", self.range.as_ref().map(Spanned::span)),
            ("first", self.first.as_ref().map(Spanned::span)),
            ("start", self.start.as_ref().map(Spanned::span)),
            ("step", self.step.as_ref().map(Spanned::span)),
            ("use", self.use_.as_ref().map(Spanned::span)),
            ("refill", self.refill.as_ref().map(Spanned::span)),
            ("refill_at", self.refill_at.as_ref().map(Spanned::span)),
            ("value", self.value.as_ref().map(Spanned::span)),
        ];
        if let Some((key, Some(span))) = present
            .iter()
            .find(|(k, s)| s.is_some() && !takes.contains(k))
        {
            return Err(E::KeyNotTaken {
                at: at(span.clone()),
                field: field(),
                kind,
                key,
                takes,
            });
        }
        let numbers = match self
            .numbers
            .as_ref()
            .map(|t| (t.get_ref().as_str(), t.span()))
        {
            None | Some(("number", _)) => {
                Numbers::Decimal(self.decimals.as_ref().map_or(2, |d| *d.get_ref()))
            }
            Some(("integer", _)) => Numbers::Integer,
            Some((other, span)) => {
                return Err(E::NotANumberType {
                    at: at(span),
                    field: field(),
                    found: other.to_string(),
                });
            }
        };
        let need = |key: &'static str, v: Option<Spanned<[f64; 2]>>| -> Result<Range, E> {
            let v = v.ok_or_else(|| E::MissingRange {
                at: here,
                field: field(),
                kind,
                key,
                takes,
            })?;
            let [min, max] = *v.get_ref();
            if !(min.is_finite() && max.is_finite()) {
                return Err(E::NotFinite {
                    at: at(v.span()),
                    field: field(),
                    key,
                });
            }
            if min > max {
                return Err(E::LowAboveHigh {
                    at: at(v.span()),
                    field: field(),
                    key,
                    min,
                    max,
                });
            }
            Ok(Range { min, max })
        };
        Ok(match kind {
            "id" => FieldKind::Id,
            "fixed" => FieldKind::Fixed {
                range: need("range", self.range)?,
                numbers,
                first: self.first.map(Spanned::into_inner).unwrap_or_default(),
            },
            "draw" => FieldKind::Draw {
                range: need("range", self.range)?,
                numbers,
            },
            "walk" => {
                let range = need("range", self.range)?;
                let start = match self.start {
                    Some(s) => need("start", Some(s))?,
                    None => range,
                };
                let step = self.step.ok_or_else(|| E::MissingStep {
                    at: here,
                    field: field(),
                })?;
                if !(*step.get_ref() >= 0.0 && step.get_ref().is_finite()) {
                    return Err(E::BadStep {
                        at: at(step.span()),
                        field: field(),
                    });
                }
                if start.min < range.min || start.max > range.max {
                    return Err(E::StartOutsideRange {
                        at: here,
                        field: field(),
                        start,
                        range,
                    });
                }
                FieldKind::Walk {
                    range,
                    start,
                    step: step.into_inner(),
                    numbers,
                }
            }
            "counter" => {
                let use_at = self.use_.as_ref().map(|u| at(u.span()));
                let use_ = need("use", self.use_)?;
                if use_.min < 0.0 {
                    return Err(E::NegativeUse {
                        at: use_at.unwrap_or_default(),
                        field: field(),
                    });
                }
                FieldKind::Counter {
                    start: need("start", self.start)?,
                    use_,
                    refill: need("refill", self.refill)?,
                    refill_at: self.refill_at.map_or(0.0, Spanned::into_inner),
                    numbers,
                }
            }
            _ => {
                let value = self.value.ok_or_else(|| E::MissingValue {
                    at: here,
                    field: field(),
                })?;
                let value =
                    serde_json::to_value(value.into_inner()).map_err(|reason| E::ValueNotJson {
                        at: here,
                        field: field(),
                        reason,
                    })?;
                FieldKind::Const(value)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ReadingModel, ReadingModelError> {
        #[derive(Deserialize)]
        struct Doc {
            simulator: RawModel,
        }
        let doc: Doc = toml::from_str(text).expect("the test's TOML parses");
        doc.simulator.check(text)
    }

    #[test]
    fn reads_every_kind() {
        let m = parse(
            r#"
[simulator]
producer_id = "meter-{n}"
interval = [5, 10]
[[simulator.fields]]
name = "id"
kind = "id"
[[simulator.fields]]
name = "lat"
kind = "fixed"
range = [10, 20]
decimals = 5
first = [12.5]
[[simulator.fields]]
name = "t"
kind = "walk"
range = [0, 10]
step = 0.5
[[simulator.fields]]
name = "n"
kind = "draw"
type = "integer"
range = [-3, 3]
[[simulator.fields]]
name = "tank"
kind = "counter"
start = [90, 100]
use = [1, 2]
refill = [50, 60]
[[simulator.fields]]
name = "unit"
kind = "const"
value = "l"
"#,
        )
        .unwrap();
        assert_eq!(m.producer_id(0), "meter-1");
        assert_eq!(m.id_field(), Some("id"));
        assert_eq!(
            m.interval,
            (Duration::from_secs(5), Duration::from_secs(10))
        );
        assert_eq!(m.fields.len(), 6);
        assert_eq!(
            m.fields[3].kind,
            FieldKind::Draw {
                range: Range {
                    min: -3.0,
                    max: 3.0
                },
                numbers: Numbers::Integer
            }
        );
        assert_eq!(m.fields[5].kind, FieldKind::Const(serde_json::json!("l")));
    }

    #[test]
    fn refuses_impossible_models_naming_field_and_line() {
        use ReadingModelError as E;
        let base =
            "[simulator]\nproducer_id = \"g{n}\"\n[[simulator.fields]]\nname = \"temperature\"\n";
        type Is = fn(&ReadingModelError) -> bool;
        let cases: [(&str, Is, Option<usize>, &[&str]); 6] = [
            (
                "kind = \"draw\"\nrange = [90, -10]\n",
                |e| matches!(e, E::LowAboveHigh { key: "range", .. }),
                Some(6),
                &[
                    "line 6, column 9: ",
                    "\"temperature\"",
                    "range = [90, -10]",
                    "low end above",
                    "range = [-10, 90]",
                ],
            ),
            (
                "kind = \"drift\"\n",
                |e| matches!(e, E::UnknownKind { kind, .. } if kind == "drift"),
                Some(5),
                &["\"drift\" is not a field kind", "\"walk\""],
            ),
            (
                "kind = \"draw\"\n",
                |e| {
                    matches!(
                        e,
                        E::MissingRange {
                            kind: "draw",
                            key: "range",
                            ..
                        }
                    )
                },
                Some(4),
                &["needs `range = [LOW, HIGH]`", "takes range, type, decimals"],
            ),
            (
                "kind = \"id\"\nrange = [1, 2]\n",
                |e| matches!(e, E::KeyNotTaken { key: "range", .. }),
                Some(6),
                &["takes no `range`", "takes only name and kind"],
            ),
            (
                "kind = \"draw\"\ntype = \"float\"\nrange = [1, 2]\n",
                |e| matches!(e, E::NotANumberType { found, .. } if found == "float"),
                Some(6),
                &["\"float\" is not a number type"],
            ),
            (
                "kind = \"counter\"\nstart = [1, 2]\nuse = [-1, 2]\nrefill = [1, 2]\n",
                |e| matches!(e, E::NegativeUse { field, .. } if field == "temperature"),
                Some(7),
                &["must not be negative"],
            ),
        ];
        for (rest, is, line, needles) in cases {
            let err = parse(&format!("{base}{rest}")).unwrap_err();
            assert!(is(&err), "{rest}: {err:?}");
            assert_eq!(err.at().line(), line, "{rest}: {err}");
            let text = err.to_string();
            for needle in needles {
                assert!(text.contains(needle), "{needle:?} in {text}");
            }
        }
        let err = parse(
            "[simulator]\nproducer_id = \"g\"\n[[simulator.fields]]\nname = \"x\"\nkind = \"id\"\n",
        )
        .unwrap_err();
        assert!(matches!(err, E::NoNumberInProducerId { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("line 2, column 15: ")
                && err.to_string().contains("no {n}"),
            "{err}"
        );
        let err = parse("[simulator]\ninterval = [120, 60]\n[[simulator.fields]]\nname = \"x\"\nkind = \"const\"\nvalue = 1\n")
            .unwrap_err();
        assert!(
            matches!(
                err,
                E::BadInterval {
                    low: 120.0,
                    high: 60.0,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.at().line(), Some(2));
        let err = parse("[simulator]\nproducer_id = \"g{n}\"\n").unwrap_err();
        assert!(
            matches!(err, E::NoFields) && err.at() == At::default(),
            "{err:?}"
        );
    }
}
