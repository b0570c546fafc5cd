//! Walker for object nodes: properties against content models, required, dependencies,
//! additional and unevaluated properties, property counts.

use super::scalar::{MAX_PROPERTIES, MIN_PROPERTIES, bound};
use super::{Ctx, show};
use crate::compat::change::ChangeType::*;
use crate::compat::schema::{Additional, NodeId, ObjectNode};
use std::collections::HashSet;

pub(super) fn compare(ctx: &mut Ctx<'_>, a: &ObjectNode, b: &ObjectNode) {
    required(ctx, a, b);
    properties(ctx, a, b);
    dependencies(ctx, a, b);
    additional(ctx, a, b);
    super::array::unevaluated(
        ctx,
        "unevaluatedProperties",
        a.unevaluated,
        b.unevaluated,
        UNEVALUATED,
    );
    bound(
        ctx,
        "maxProperties",
        a.max_properties,
        b.max_properties,
        &MAX_PROPERTIES,
    );
    bound(
        ctx,
        "minProperties",
        a.min_properties,
        b.min_properties,
        &MIN_PROPERTIES,
    );
}

const UNEVALUATED: [crate::compat::change::ChangeType; 4] = [
    UNEVALUATED_PROPERTIES_ADDED,
    UNEVALUATED_PROPERTIES_REMOVED,
    UNEVALUATED_PROPERTIES_EXTENDED,
    UNEVALUATED_PROPERTIES_NARROWED,
];

fn required(ctx: &mut Ctx<'_>, a: &ObjectNode, b: &ObjectNode) {
    for (i, (name, _)) in a.properties.iter().enumerate() {
        let Some(update) = b.property_near(name, i) else {
            continue;
        };
        let was = a.requires(name);
        let is = b.requires(name);
        let kind = match (was, is) {
            (true, false) => REQUIRED_ATTRIBUTE_REMOVED,
            (false, true) if ctx.has_default(update) => REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED,
            (false, true) => REQUIRED_ATTRIBUTE_ADDED,
            _ => continue,
        };
        ctx.add_at_name("required", name, kind, None, None);
    }
}

/// Open: no pattern properties, no schema for additional properties, and unevaluated
/// properties absent or accepting anything.
fn is_open(ctx: &Ctx<'_>, update_side: bool, o: &ObjectNode) -> bool {
    o.pattern_properties.is_empty()
        && o.additional == Additional::Permitted
        && o.unevaluated.is_none_or(|u| ctx.is_empty(update_side, u))
}

/// The schema a partially open content model gives to a property it does not declare.
fn partial_schema(ctx: &Ctx<'_>, update_side: bool, o: &ObjectNode, name: &str) -> Option<NodeId> {
    let by_pattern = o
        .pattern_properties
        .iter()
        .find(|(_, regex, _)| {
            regex
                .as_ref()
                .is_some_and(|r| r.is_match(name).unwrap_or(false))
        })
        .map(|&(_, _, id)| id);
    by_pattern
        .or(o.additional.schema())
        .or_else(|| match (o.additional, o.unevaluated) {
            (Additional::Permitted, Some(u))
                if !ctx.is_empty(update_side, u) && !ctx.is_false(update_side, u) =>
            {
                Some(u)
            }
            _ => None,
        })
}

fn properties(ctx: &mut Ctx<'_>, a: &ObjectNode, b: &ObjectNode) {
    // The original's properties in order, then those only the update declares.
    for (i, (name, o)) in a.properties.iter().enumerate() {
        ctx.enter_member("properties", name);
        match b.property_near(name, i) {
            None => removed(ctx, b, name, *o),
            Some(u) => ctx.compare(*o, u),
        }
        ctx.leave();
    }
    for (i, (name, u)) in b.properties.iter().enumerate() {
        if a.property_near(name, i).is_none() {
            ctx.enter_member("properties", name);
            added(ctx, a, b, name, *u);
            ctx.leave();
        }
    }
}

fn removed(ctx: &mut Ctx<'_>, b: &ObjectNode, name: &str, original: NodeId) {
    // Only the update's content model matters: it must still accept the property.
    if is_open(ctx, true, b) {
        ctx.add(PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL);
    } else if let Some(partial) = partial_schema(ctx, true, b, name) {
        let (changes, ok) = ctx.trial(|c| c.compare(original, partial));
        ctx.extend(changes);
        ctx.add(if ok {
            PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        } else {
            PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        });
    } else if ctx.is_false(false, original) {
        ctx.add(PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
    } else {
        ctx.add(PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL);
    }
}

fn added(ctx: &mut Ctx<'_>, a: &ObjectNode, b: &ObjectNode, name: &str, update: NodeId) {
    let required = b.requires(name);
    let with_default = ctx.has_default(update);
    // Only the original's content model matters: it may have let old writers send anything.
    if is_open(ctx, false, a) {
        let kind = if ctx.is_empty(true, update) {
            PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
        } else if required && with_default {
            REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
        } else if required {
            REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        } else {
            OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        };
        ctx.add(kind);
        return;
    }
    if let Some(partial) = partial_schema(ctx, false, a, name) {
        let (changes, ok) = ctx.trial(|c| c.compare(partial, update));
        ctx.extend(changes);
        ctx.add(if ok {
            PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        } else {
            PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        });
    }
    ctx.add(match (required, with_default) {
        (true, true) => REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
        (true, false) => REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
        (false, _) => OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    });
}

fn dependencies(ctx: &mut Ctx<'_>, a: &ObjectNode, b: &ObjectNode) {
    let lookup = |deps: &[(String, Vec<String>)], name: &str| {
        deps.iter().find(|(n, _)| n == name).map(|(_, d)| d.clone())
    };
    let mut seen = HashSet::new();
    let names: Vec<String> = a
        .property_dependencies
        .iter()
        .chain(&b.property_dependencies)
        .map(|(n, _)| n.clone())
        .filter(|n| seen.insert(n.clone()))
        .collect();
    for name in names {
        let (old, new) = (
            lookup(&a.property_dependencies, &name),
            lookup(&b.property_dependencies, &name),
        );
        let kind = match (&old, &new) {
            (_, None) => DEPENDENCY_ARRAY_REMOVED,
            (None, _) => DEPENDENCY_ARRAY_ADDED,
            (Some(o), Some(n)) => {
                let (os, ns): (HashSet<_>, HashSet<_>) = (o.iter().collect(), n.iter().collect());
                if os == ns {
                    continue;
                } else if ns.is_superset(&os) {
                    DEPENDENCY_ARRAY_EXTENDED
                } else if os.is_superset(&ns) {
                    DEPENDENCY_ARRAY_NARROWED
                } else {
                    DEPENDENCY_ARRAY_CHANGED
                }
            }
        };
        let render = |d: &Option<Vec<String>>| d.as_ref().map(|d| show(&serde_json::json!(d)));
        ctx.add_at_name("dependencies", &name, kind, render(&old), render(&new));
    }
    let lookup = |deps: &[(String, NodeId)], name: &str| {
        deps.iter().find(|(n, _)| n == name).map(|&(_, id)| id)
    };
    let mut seen = HashSet::new();
    let names: Vec<String> = a
        .schema_dependencies
        .iter()
        .chain(&b.schema_dependencies)
        .map(|(n, _)| n.clone())
        .filter(|n| seen.insert(n.clone()))
        .collect();
    for name in names {
        ctx.enter_member("dependencies", &name);
        match (
            lookup(&a.schema_dependencies, &name),
            lookup(&b.schema_dependencies, &name),
        ) {
            (_, None) => ctx.add(DEPENDENCY_SCHEMA_REMOVED),
            (None, _) => ctx.add(DEPENDENCY_SCHEMA_ADDED),
            (Some(o), Some(u)) => ctx.compare(o, u),
        }
        ctx.leave();
    }
}

fn additional(ctx: &mut Ctx<'_>, a: &ObjectNode, b: &ObjectNode) {
    ctx.enter("additionalProperties");
    let (o, u) = (a.additional, b.additional);
    if o.permits() != u.permits() {
        ctx.add(if u.permits() {
            ADDITIONAL_PROPERTIES_ADDED
        } else {
            ADDITIONAL_PROPERTIES_REMOVED
        });
    } else {
        match (o.schema(), u.schema()) {
            (None, Some(_)) => ctx.add(ADDITIONAL_PROPERTIES_NARROWED),
            (Some(_), None) => ctx.add(ADDITIONAL_PROPERTIES_EXTENDED),
            (Some(x), Some(y)) => ctx.compare(x, y),
            (None, None) => {}
        }
    }
    ctx.leave();
}
