//! Walker for array nodes: `items` (one schema or a tuple against content models),
//! additional and unevaluated items, item counts, uniqueness and `contains` bounds.

use super::Ctx;
use super::scalar::{MAX_CONTAINS, MAX_ITEMS, MIN_CONTAINS, MIN_ITEMS, bound};
use crate::compat::change::ChangeType::{self, *};
use crate::compat::schema::{ArrayNode, NodeId};

pub(super) fn compare(ctx: &mut Ctx<'_>, a: &ArrayNode, b: &ArrayNode) {
    ctx.enter("items");
    ctx.compare_opt(a.all_items, b.all_items);
    ctx.leave();
    tuple(ctx, a, b);
    additional(ctx, a, b);
    unevaluated(
        ctx,
        "unevaluatedItems",
        a.unevaluated,
        b.unevaluated,
        UNEVALUATED,
    );
    bound(ctx, "maxItems", a.max_items, b.max_items, &MAX_ITEMS);
    bound(ctx, "minItems", a.min_items, b.min_items, &MIN_ITEMS);
    if a.unique_items != b.unique_items {
        let kind = if a.unique_items {
            UNIQUE_ITEMS_REMOVED
        } else {
            UNIQUE_ITEMS_ADDED
        };
        ctx.add_at(
            "uniqueItems",
            kind,
            Some(a.unique_items.to_string()),
            Some(b.unique_items.to_string()),
        );
    }
    bound(
        ctx,
        "maxContains",
        a.max_contains,
        b.max_contains,
        &MAX_CONTAINS,
    );
    bound(
        ctx,
        "minContains",
        a.min_contains,
        b.min_contains,
        &MIN_CONTAINS,
    );
}

const UNEVALUATED: [ChangeType; 4] = [
    UNEVALUATED_ITEMS_ADDED,
    UNEVALUATED_ITEMS_REMOVED,
    UNEVALUATED_ITEMS_EXTENDED,
    UNEVALUATED_ITEMS_NARROWED,
];

/// Open: additional items permitted without a schema, and unevaluated items absent or
/// accepting anything.
fn is_open(ctx: &Ctx<'_>, update_side: bool, a: &ArrayNode) -> bool {
    let additional = a.additional();
    additional.permits()
        && additional.schema().is_none()
        && a.unevaluated.is_none_or(|u| ctx.is_empty(update_side, u))
}

/// The schema a partially open content model gives to items past the tuple.
fn partial_schema(ctx: &Ctx<'_>, update_side: bool, a: &ArrayNode) -> Option<NodeId> {
    a.additional().schema().or_else(|| {
        a.unevaluated.filter(|&u| {
            a.additional().permits()
                && !ctx.is_empty(update_side, u)
                && !ctx.is_false(update_side, u)
        })
    })
}

fn tuple(ctx: &mut Ctx<'_>, a: &ArrayNode, b: &ArrayNode) {
    let common = a.item_schemas.len().min(b.item_schemas.len());
    for (i, (&o, &u)) in a.item_schemas.iter().zip(&b.item_schemas).enumerate() {
        ctx.enter_index("items", i);
        ctx.compare(o, u);
        ctx.leave();
    }
    for (i, &o) in a.item_schemas.iter().enumerate().skip(common) {
        ctx.enter_index("items", i);
        if is_open(ctx, true, b) {
            ctx.add(ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL);
        } else if let Some(partial) = partial_schema(ctx, true, b) {
            let (changes, ok) = ctx.trial(|c| c.compare(o, partial));
            ctx.extend(changes);
            ctx.add(if ok {
                ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            } else {
                ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            });
        } else if ctx.is_false(false, o) {
            ctx.add(ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
        } else {
            ctx.add(ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL);
        }
        ctx.leave();
    }
    for (i, &u) in b.item_schemas.iter().enumerate().skip(common) {
        ctx.enter_index("items", i);
        if is_open(ctx, false, a) {
            ctx.add(if ctx.is_empty(true, u) {
                ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
            } else {
                ITEM_ADDED_TO_OPEN_CONTENT_MODEL
            });
        } else if let Some(partial) = partial_schema(ctx, false, a) {
            let (changes, ok) = ctx.trial(|c| c.compare(partial, u));
            ctx.extend(changes);
            ctx.add(if ok {
                ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            } else {
                ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            });
        } else {
            ctx.add(ITEM_ADDED_TO_CLOSED_CONTENT_MODEL);
        }
        ctx.leave();
    }
}

fn additional(ctx: &mut Ctx<'_>, a: &ArrayNode, b: &ArrayNode) {
    ctx.enter("additionalItems");
    let (o, u) = (a.additional(), b.additional());
    if o.permits() != u.permits() {
        ctx.add(if o.permits() {
            ADDITIONAL_ITEMS_REMOVED
        } else {
            ADDITIONAL_ITEMS_ADDED
        });
    } else {
        match (o.schema(), u.schema()) {
            (None, Some(_)) => ctx.add(ADDITIONAL_ITEMS_NARROWED),
            (Some(_), None) => ctx.add(ADDITIONAL_ITEMS_EXTENDED),
            (Some(x), Some(y)) => ctx.compare(x, y),
            (None, None) => {}
        }
    }
    ctx.leave();
}

/// Compares `unevaluatedItems` or `unevaluatedProperties`; `kinds` is added, removed,
/// extended, narrowed.
pub(super) fn unevaluated(
    ctx: &mut Ctx<'_>,
    keyword: &str,
    o: Option<NodeId>,
    u: Option<NodeId>,
    kinds: [ChangeType; 4],
) {
    let [added, removed, extended, narrowed] = kinds;
    if o.is_none() && u.is_none() {
        return;
    }
    ctx.enter(keyword);
    let o_false = o.is_some_and(|x| ctx.is_false(false, x));
    let u_false = u.is_some_and(|x| ctx.is_false(true, x));
    let o_empty = o.is_some_and(|x| ctx.is_empty(false, x));
    let u_empty = u.is_some_and(|x| ctx.is_empty(true, x));
    match (o, u) {
        (None, Some(_)) => ctx.add(if u_false { removed } else { narrowed }),
        (Some(_), None) => ctx.add(if o_false { added } else { extended }),
        (Some(_), Some(_)) if o_false && !u_false => ctx.add(added),
        (Some(_), Some(_)) if !o_false && u_false => ctx.add(removed),
        (Some(_), Some(_)) if o_empty && !u_empty => ctx.add(narrowed),
        (Some(_), Some(_)) if !o_empty && u_empty => ctx.add(extended),
        (Some(x), Some(y)) => ctx.compare(x, y),
        (None, None) => {}
    }
    ctx.leave();
}
