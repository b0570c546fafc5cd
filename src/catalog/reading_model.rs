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

impl RawModel {
    /// Checks the model; `place(offset)` renders a byte offset of the contract as
    /// "line L, column C: ".
    pub(super) fn check(self, place: &dyn Fn(usize) -> String) -> Result<ReadingModel, String> {
        let at = |span: std::ops::Range<usize>| place(span.start);
        let (interval, interval_at) = match &self.interval {
            Some(i) => (*i.get_ref(), at(i.span())),
            None => (DEFAULT_INTERVAL, String::new()),
        };
        if !(interval[0] > 0.0 && interval[0] <= interval[1] && interval[1].is_finite()) {
            return Err(format!(
                "{interval_at}[simulator] interval = [{}, {}] is not a range of seconds above 0, low first\nhelp: write the shortest and the longest time between one producer's readings, e.g. interval = [60, 120]",
                interval[0], interval[1]
            ));
        }
        let has_id = self.fields.iter().any(|f| f.kind.get_ref() == "id");
        let producer_id = match self.producer_id {
            Some(p) if p.get_ref().contains("{n}") => p.into_inner(),
            Some(p) => {
                return Err(format!(
                    "{}[simulator] producer_id = \"{}\" has no {{n}}, so every producer would have the same id\nhelp: write where the number goes, e.g. producer_id = \"generator{{n}}\"",
                    at(p.span()),
                    p.get_ref()
                ));
            }
            None if has_id => {
                return Err("[simulator] has an `id` field but no producer_id\nhelp: say how producers are named, e.g. producer_id = \"generator{n}\"".into());
            }
            None => "producer{n}".into(),
        };
        if self.fields.is_empty() {
            return Err("[simulator] has no fields\nhelp: add one [[simulator.fields]] table per payload field (name, kind, and the kind's keys)".into());
        }
        let mut fields = Vec::with_capacity(self.fields.len());
        for raw in self.fields {
            let name = raw.name.get_ref().clone();
            if fields.iter().any(|f: &FieldModel| f.name == name) {
                return Err(format!(
                    "{}[simulator] field \"{name}\" is defined twice",
                    at(raw.name.span())
                ));
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
        at: &dyn Fn(std::ops::Range<usize>) -> String,
    ) -> Result<FieldKind, String> {
        // Where the field starts, for what is missing rather than wrong.
        let here = at(self.name.span());
        let kind = self.kind.get_ref().as_str();
        let Some((_, takes)) = KINDS.iter().find(|(k, _)| *k == kind) else {
            return Err(format!(
                "{}[simulator] field \"{name}\": kind \"{kind}\" is not a field kind\nhelp: kind is one of {}",
                at(self.kind.span()),
                KINDS.map(|(k, _)| format!("\"{k}\"")).join(", ")
            ));
        };
        let present: [(&str, Option<std::ops::Range<usize>>); 10] = [
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
            return Err(format!(
                "{}[simulator] field \"{name}\": a {kind} field takes no `{key}`\nhelp: a {kind} field takes {}",
                at(span.clone()),
                if takes.is_empty() {
                    "only name and kind".to_string()
                } else {
                    takes.join(", ")
                }
            ));
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
                return Err(format!(
                    "{}[simulator] field \"{name}\": type \"{other}\" is not a number type\nhelp: type is \"integer\" or \"number\"",
                    at(span)
                ));
            }
        };
        let need = |key: &str, v: Option<Spanned<[f64; 2]>>| -> Result<Range, String> {
            let v = v.ok_or_else(|| {
                format!(
                    "{here}[simulator] field \"{name}\": a {kind} field needs `{key} = [LOW, HIGH]`\nhelp: a {kind} field takes {}",
                    takes.join(", ")
                )
            })?;
            let [min, max] = *v.get_ref();
            if !(min.is_finite() && max.is_finite()) {
                return Err(format!(
                    "{}[simulator] field \"{name}\": {key} must hold two finite numbers",
                    at(v.span())
                ));
            }
            if min > max {
                return Err(format!(
                    "{}[simulator] field \"{name}\": {key} = [{min}, {max}] has its low end above its high end\nhelp: write the low end first: {key} = [{max}, {min}]",
                    at(v.span())
                ));
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
                let step = self.step.ok_or_else(|| {
                    format!("{here}[simulator] field \"{name}\": a walk field needs `step` (the largest move per reading)")
                })?;
                if !(*step.get_ref() >= 0.0 && step.get_ref().is_finite()) {
                    return Err(format!(
                        "{}[simulator] field \"{name}\": step must be a number of at least 0",
                        at(step.span())
                    ));
                }
                if start.min < range.min || start.max > range.max {
                    return Err(format!(
                        "{here}[simulator] field \"{name}\": start [{}, {}] lies outside range [{}, {}]",
                        start.min, start.max, range.min, range.max
                    ));
                }
                FieldKind::Walk {
                    range,
                    start,
                    step: step.into_inner(),
                    numbers,
                }
            }
            "counter" => {
                let use_span = self.use_.as_ref().map(Spanned::span);
                let use_ = need("use", self.use_)?;
                if use_.min < 0.0 {
                    return Err(format!(
                        "{}[simulator] field \"{name}\": use must not be negative (a counter drains; refills add)",
                        use_span.map(at).unwrap_or_default()
                    ));
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
                let value = self.value.ok_or_else(|| {
                    format!("{here}[simulator] field \"{name}\": a const field needs `value`")
                })?;
                let value = serde_json::to_value(value.into_inner()).map_err(|e| {
                    format!(
                        "{here}[simulator] field \"{name}\": value cannot be written as JSON: {e}"
                    )
                })?;
                FieldKind::Const(value)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ReadingModel, String> {
        #[derive(Deserialize)]
        struct Doc {
            simulator: RawModel,
        }
        let doc: Doc = toml::from_str(text).map_err(|e| e.to_string())?;
        let place = |at: usize| {
            let line = text[..at].matches('\n').count() + 1;
            format!("line {line}: ")
        };
        doc.simulator.check(&place)
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
        let base =
            "[simulator]\nproducer_id = \"g{n}\"\n[[simulator.fields]]\nname = \"temperature\"\n";
        for (rest, needles) in [
            (
                "kind = \"draw\"\nrange = [90, -10]\n",
                &[
                    "line 6",
                    "\"temperature\"",
                    "range = [90, -10]",
                    "low end above",
                    "range = [-10, 90]",
                ][..],
            ),
            (
                "kind = \"drift\"\n",
                &["line 5", "\"drift\" is not a field kind", "\"walk\""],
            ),
            ("kind = \"draw\"\n", &["needs `range = [LOW, HIGH]`"]),
            (
                "kind = \"id\"\nrange = [1, 2]\n",
                &["line 6", "takes no `range`"],
            ),
            (
                "kind = \"draw\"\ntype = \"float\"\nrange = [1, 2]\n",
                &["\"float\" is not a number type"],
            ),
            (
                "kind = \"counter\"\nstart = [1, 2]\nuse = [-1, 2]\nrefill = [1, 2]\n",
                &["must not be negative"],
            ),
        ] {
            let err = parse(&format!("{base}{rest}")).unwrap_err();
            for needle in needles {
                assert!(err.contains(needle), "{needle:?} in {err}");
            }
        }
        let err = parse(
            "[simulator]\nproducer_id = \"g\"\n[[simulator.fields]]\nname = \"x\"\nkind = \"id\"\n",
        )
        .unwrap_err();
        assert!(err.contains("line 2") && err.contains("no {n}"), "{err}");
        let err = parse("[simulator]\ninterval = [120, 60]\n[[simulator.fields]]\nname = \"x\"\nkind = \"const\"\nvalue = 1\n")
            .unwrap_err();
        assert!(err.contains("line 2") && err.contains("interval"), "{err}");
    }
}
