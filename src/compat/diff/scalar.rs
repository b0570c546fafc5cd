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
    EXCLUSIVE_MAXIMUM: EXCLUSIVE_MAXIMUM_ADDED EXCLUSIVE_MAXIMUM_REMOVED EXCLUSIVE_MAXIMUM_INCREASED EXCLUSIVE_MAXIMUM_DECREASED;
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

/// Whether `x` is a whole multiple of `y`.
fn is_multiple(x: f64, y: f64) -> bool {
    let q = x / y;
    (q - q.round()).abs() < 1e-9
}

pub(super) fn number(ctx: &mut Ctx<'_>, a: &NumberNode, b: &NumberNode) {
    bound(ctx, "maximum", a.maximum, b.maximum, &MAXIMUM);
    bound(ctx, "minimum", a.minimum, b.minimum, &MINIMUM);
    bound(
        ctx,
        "exclusiveMaximum",
        a.exclusive_maximum,
        b.exclusive_maximum,
        &EXCLUSIVE_MAXIMUM,
    );
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
