//! Walkers for string, number, enum, const and not nodes.

use super::{Ctx, num, show};
use crate::compat::change::ChangeType::{self, *};
use crate::compat::schema::{NodeId, NumberNode, StringNode};
use serde_json::Value;

/// The four outcomes of comparing an optional bound.
pub(super) struct BoundTypes {
    added: ChangeType,
    removed: ChangeType,
    increased: ChangeType,
    decreased: ChangeType,
}

/// Compares an optional numeric keyword; shared by every walker with min/max style bounds.
pub(super) fn bound(
    ctx: &mut Ctx<'_>,
    keyword: &str,
    old: Option<f64>,
    new: Option<f64>,
    t: &BoundTypes,
) {
    let kind = match (old, new) {
        (None, None) => return,
        (None, Some(_)) => t.added,
        (Some(_), None) => t.removed,
        (Some(a), Some(b)) if a < b => t.increased,
        (Some(a), Some(b)) if a > b => t.decreased,
        _ => return,
    };
    ctx.add_at(keyword, kind, old.map(num), new.map(num));
}

macro_rules! bounds {
    ($($name:ident: $a:ident $r:ident $i:ident $d:ident;)*) => {
        $(pub(super) const $name: BoundTypes = BoundTypes { added: $a, removed: $r, increased: $i, decreased: $d };)*
    };
}

bounds! {
    MAX_LENGTH: MAX_LENGTH_ADDED MAX_LENGTH_REMOVED MAX_LENGTH_INCREASED MAX_LENGTH_DECREASED;
    MIN_LENGTH: MIN_LENGTH_ADDED MIN_LENGTH_REMOVED MIN_LENGTH_INCREASED MIN_LENGTH_DECREASED;
    MAXIMUM: MAXIMUM_ADDED MAXIMUM_REMOVED MAXIMUM_INCREASED MAXIMUM_DECREASED;
    MINIMUM: MINIMUM_ADDED MINIMUM_REMOVED MINIMUM_INCREASED MINIMUM_DECREASED;
    EXCLUSIVE_MINIMUM: EXCLUSIVE_MINIMUM_ADDED EXCLUSIVE_MINIMUM_REMOVED EXCLUSIVE_MINIMUM_INCREASED EXCLUSIVE_MINIMUM_DECREASED;
    MAX_PROPERTIES: MAX_PROPERTIES_ADDED MAX_PROPERTIES_REMOVED MAX_PROPERTIES_INCREASED MAX_PROPERTIES_DECREASED;
    MIN_PROPERTIES: MIN_PROPERTIES_ADDED MIN_PROPERTIES_REMOVED MIN_PROPERTIES_INCREASED MIN_PROPERTIES_DECREASED;
    MAX_ITEMS: MAX_ITEMS_ADDED MAX_ITEMS_REMOVED MAX_ITEMS_INCREASED MAX_ITEMS_DECREASED;
    MIN_ITEMS: MIN_ITEMS_ADDED MIN_ITEMS_REMOVED MIN_ITEMS_INCREASED MIN_ITEMS_DECREASED;
    MAX_CONTAINS: MAX_CONTAINS_ADDED MAX_CONTAINS_REMOVED MAX_CONTAINS_INCREASED MAX_CONTAINS_DECREASED;
    MIN_CONTAINS: MIN_CONTAINS_ADDED MIN_CONTAINS_REMOVED MIN_CONTAINS_INCREASED MIN_CONTAINS_DECREASED;
}

pub(super) fn string(ctx: &mut Ctx<'_>, a: &StringNode, b: &StringNode) {
    bound(ctx, "maxLength", a.max_length, b.max_length, &MAX_LENGTH);
    bound(ctx, "minLength", a.min_length, b.min_length, &MIN_LENGTH);
    let kind = match (&a.pattern, &b.pattern) {
        (None, Some(_)) => PATTERN_ADDED,
        (Some(_), None) => PATTERN_REMOVED,
        (Some(x), Some(y)) if x != y => PATTERN_CHANGED,
        _ => return,
    };
    ctx.add_at("pattern", kind, a.pattern.clone(), b.pattern.clone());
}

/// A finite number as an exact decimal `digits × 10^exponent`, read from its shortest
/// round-trip text (`0.1` is `1 × 10^-1`, not the binary fraction nearest to it).
fn decimal(x: f64) -> Option<(i128, i32)> {
    let text = format!("{x:e}");
    let (mantissa, exponent) = text.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some((digits, exponent - i32::try_from(fraction.len()).ok()?))
}

/// Whether `x` is a whole multiple of `y`, decided on the decimals as written, as Confluent
/// decides it with `BigDecimal#remainder`: a tolerance would call `2.0000000001` a multiple
/// of `1`, and binary floating point would not call `0.3` a multiple of `0.1`.
fn is_multiple(x: f64, y: f64) -> bool {
    let (Some((a, p)), Some((b, q))) = (decimal(x), decimal(y)) else {
        return (x / y).fract() == 0.0;
    };
    if b == 0 {
        return false;
    }
    if p >= q {
        // x = a·10^(p-q) units of 10^q and y = b units: reduce modulo b one power at a time.
        // A double has at most 17 significant digits, so `r * 10` stays far inside i128.
        let mut r = a % b;
        for _ in q..p {
            r = r * 10 % b;
        }
        r == 0
    } else {
        // y = b·10^(q-p) units of 10^p: a nonzero `a` shorter than that cannot be a multiple.
        let unit = u32::try_from(q - p)
            .ok()
            .and_then(|k| 10i128.checked_pow(k))
            .and_then(|scale| scale.checked_mul(b));
        match unit {
            Some(unit) => a % unit == 0,
            None => a == 0,
        }
    }
}

/// `exclusiveMaximum` as Confluent's `NumberSchemaDiff` compares it: added, removed and
/// increased as any bound, but a lower limit counts as decreased only when the original limit
/// is above the update's `maximum` (Confluent compares it with `maximum`, not with the new
/// `exclusiveMaximum`). So a decrease is not reported when the update's `maximum` is at or
/// above the old limit, and the registry accepts that schema.
///
/// With no `maximum` in the update, Confluent's comparison fails with an internal error
/// (a `NullPointerException`, HTTP 500), so it registers nothing. schemactl refuses the schema
/// too, but as EXCLUSIVE_MAXIMUM_DECREASED with its values, which says what to fix.
fn exclusive_maximum(ctx: &mut Ctx<'_>, a: &NumberNode, b: &NumberNode) {
    let decreased = |old: f64| match b.maximum {
        Some(maximum) => old > maximum,
        None => true,
    };
    let kind = match (a.exclusive_maximum, b.exclusive_maximum) {
        (None, None) => return,
        (None, Some(_)) => EXCLUSIVE_MAXIMUM_ADDED,
        (Some(_), None) => EXCLUSIVE_MAXIMUM_REMOVED,
        (Some(x), Some(y)) if x < y => EXCLUSIVE_MAXIMUM_INCREASED,
        (Some(x), Some(y)) if x > y && decreased(x) => EXCLUSIVE_MAXIMUM_DECREASED,
        _ => return,
    };
    ctx.add_at(
        "exclusiveMaximum",
        kind,
        a.exclusive_maximum.map(num),
        b.exclusive_maximum.map(num),
    );
}

pub(super) fn number(ctx: &mut Ctx<'_>, a: &NumberNode, b: &NumberNode) {
    bound(ctx, "maximum", a.maximum, b.maximum, &MAXIMUM);
    bound(ctx, "minimum", a.minimum, b.minimum, &MINIMUM);
    exclusive_maximum(ctx, a, b);
    bound(
        ctx,
        "exclusiveMinimum",
        a.exclusive_minimum,
        b.exclusive_minimum,
        &EXCLUSIVE_MINIMUM,
    );
    let multiple = match (a.multiple_of, b.multiple_of) {
        (None, None) => None,
        (None, Some(_)) => Some(MULTIPLE_OF_ADDED),
        (Some(_), None) => Some(MULTIPLE_OF_REMOVED),
        (Some(x), Some(y)) if x == y => None,
        (Some(x), Some(y)) if is_multiple(y, x) => Some(MULTIPLE_OF_EXPANDED),
        (Some(x), Some(y)) if is_multiple(x, y) => Some(MULTIPLE_OF_REDUCED),
        _ => Some(MULTIPLE_OF_CHANGED),
    };
    if let Some(kind) = multiple {
        ctx.add_at(
            "multipleOf",
            kind,
            a.multiple_of.map(num),
            b.multiple_of.map(num),
        );
    }
    let name = |integer: bool| Some(if integer { "integer" } else { "number" }.to_string());
    match (a.requires_integer, b.requires_integer) {
        (true, false) => ctx.add_values(TYPE_EXTENDED, name(true), name(false)),
        (false, true) => ctx.add_values(TYPE_NARROWED, name(false), name(true)),
        _ => {}
    }
}

fn list(values: &[Value]) -> String {
    show(&Value::Array(values.to_vec()))
}

pub(super) fn enumeration(ctx: &mut Ctx<'_>, a: &[Value], b: &[Value]) {
    let covers = |outer: &[Value], inner: &[Value]| inner.iter().all(|v| outer.contains(v));
    let (a_in_b, b_in_a) = (covers(b, a), covers(a, b));
    let kind = match (a_in_b, b_in_a) {
        (true, true) => return,
        (true, false) => ENUM_ARRAY_EXTENDED,
        (false, true) => ENUM_ARRAY_NARROWED,
        (false, false) => ENUM_ARRAY_CHANGED,
    };
    ctx.add_at("enum", kind, Some(list(a)), Some(list(b)));
}

pub(super) fn constant(ctx: &mut Ctx<'_>, a: &Value, b: &Value) {
    if a != b {
        ctx.add_at("const", ENUM_ARRAY_CHANGED, Some(show(a)), Some(show(b)));
    }
}

pub(super) fn not(ctx: &mut Ctx<'_>, a: NodeId, b: NodeId) {
    ctx.enter("not");
    // `not` reverses the direction: the update's excluded set must fit inside the original's.
    ctx.flipped = !ctx.flipped;
    let (_, ok) = ctx.trial(|c| c.compare(b, a));
    ctx.flipped = !ctx.flipped;
    ctx.add(if ok {
        NOT_TYPE_NARROWED
    } else {
        NOT_TYPE_EXTENDED
    });
    ctx.leave();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::{Policy, Schema, diff};
    use serde_json::json;

    fn multiple_of_change(old: f64, new: f64) -> Vec<ChangeType> {
        let schema = |m: f64| Schema::parse(json!({"type": "number", "multipleOf": m})).unwrap();
        diff(&schema(old), &schema(new), Policy::Strict)
            .into_iter()
            .map(|c| c.kind)
            .collect()
    }

    #[test]
    fn multiple_of_is_decided_on_exact_decimals() {
        // Decimal fractions that binary floating point cannot divide exactly.
        assert_eq!(multiple_of_change(0.1, 0.3), [MULTIPLE_OF_EXPANDED]);
        assert_eq!(multiple_of_change(0.3, 0.1), [MULTIPLE_OF_REDUCED]);
        assert_eq!(multiple_of_change(0.001, 0.0001), [MULTIPLE_OF_REDUCED]);
        assert_eq!(multiple_of_change(0.25, 5.0), [MULTIPLE_OF_EXPANDED]);
        // Near multiples are not multiples: 2.0000000001 is not a multiple of 1, so old data
        // such as 2.0000000001 fails the new schema and the change must not pass as REDUCED.
        assert_eq!(
            multiple_of_change(2.000_000_000_1, 1.0),
            [MULTIPLE_OF_CHANGED]
        );
        assert_eq!(
            multiple_of_change(1.0, 1.000_000_000_1),
            [MULTIPLE_OF_CHANGED]
        );
        assert_eq!(multiple_of_change(0.5, 0.2), [MULTIPLE_OF_CHANGED]);
        assert_eq!(multiple_of_change(2.5, 2.5), []);
    }

    #[test]
    fn decimals_read_as_written() {
        assert_eq!(decimal(0.1), Some((1, -1)));
        assert_eq!(decimal(2.5), Some((25, -1)));
        assert_eq!(decimal(1500.0), Some((15, 2)));
        assert_eq!(decimal(1e-300), Some((1, -300)));
        // Operands too far apart for i128 still get an exact answer.
        assert!(is_multiple(1e300, 1e-300));
        assert!(is_multiple(3e300, 1e-300));
        assert!(!is_multiple(1e-300, 1e300));
        assert!(!is_multiple(1e300, 7.0));
    }
}
