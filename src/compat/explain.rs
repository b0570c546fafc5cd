//! Sentences for people: what a change means and, when it breaks, what would make it pass.

use super::change::ChangeType::{self, *};
use super::diff::Change;

/// One sentence naming the change, with old → new values where known.
pub fn message(change: &Change) -> String {
    let purpose = change.kind.purpose().trim_end_matches('.');
    let (old, new) = (change.old.as_deref(), change.new.as_deref());
    // Built in one allocation: a transitive check writes one message per finding.
    let values = old.map_or(0, str::len) + new.map_or(0, str::len);
    let mut message = String::with_capacity(purpose.len() + change.path.len() + values + 16);
    message.push_str(purpose);
    message.push_str(" at ");
    message.push_str(&change.path);
    match (old, new) {
        (Some(o), Some(n)) => {
            message.push_str(": ");
            message.push_str(o);
            message.push_str(" → ");
            message.push_str(n);
        }
        (Some(o), None) => {
            message.push_str(": was ");
            message.push_str(o);
        }
        (None, Some(n)) => {
            message.push_str(": now ");
            message.push_str(n);
        }
        (None, None) => {}
    }
    message
}

/// What to do about a change that breaks compatibility (or a note when it does not).
pub fn help(kind: ChangeType) -> &'static str {
    match kind {
        TYPE_CHANGED | TYPE_NARROWED => {
            "keep the old type, or widen it with a union (\"type\": [old, new] or oneOf) so old data still validates"
        }
        SCHEMA_ADDED => {
            "a new subschema constrains data that was unconstrained; drop it or make it accept anything old data held"
        }
        MAX_LENGTH_ADDED
        | MAX_LENGTH_DECREASED
        | MAXIMUM_ADDED
        | MAXIMUM_DECREASED
        | EXCLUSIVE_MAXIMUM_ADDED
        | EXCLUSIVE_MAXIMUM_DECREASED
        | MAX_PROPERTIES_ADDED
        | MAX_PROPERTIES_DECREASED
        | MAX_ITEMS_ADDED
        | MAX_ITEMS_DECREASED
        | MAX_CONTAINS_ADDED
        | MAX_CONTAINS_DECREASED => {
            "old data may exceed the new upper bound: keep the old bound or raise it"
        }
        MIN_LENGTH_ADDED
        | MIN_LENGTH_INCREASED
        | MINIMUM_ADDED
        | MINIMUM_INCREASED
        | EXCLUSIVE_MINIMUM_ADDED
        | EXCLUSIVE_MINIMUM_INCREASED
        | MIN_PROPERTIES_ADDED
        | MIN_PROPERTIES_INCREASED
        | MIN_ITEMS_ADDED
        | MIN_ITEMS_INCREASED
        | MIN_CONTAINS_ADDED
        | MIN_CONTAINS_INCREASED => {
            "old data may fall below the new lower bound: keep the old bound or lower it"
        }
        PATTERN_ADDED | PATTERN_CHANGED => {
            "old strings may not match the new pattern: keep the old pattern or remove it"
        }
        MULTIPLE_OF_ADDED | MULTIPLE_OF_EXPANDED | MULTIPLE_OF_CHANGED => {
            "old numbers may not be multiples of the new value: use a divisor of the old multipleOf"
        }
        REQUIRED_ATTRIBUTE_ADDED
        | REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
        | REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL => {
            "old data may lack this property: make it optional, or give it a \"default\""
        }
        ADDITIONAL_PROPERTIES_REMOVED
        | ADDITIONAL_PROPERTIES_NARROWED
        | UNEVALUATED_PROPERTIES_REMOVED
        | UNEVALUATED_PROPERTIES_NARROWED => {
            "old data may carry extra properties the new schema rejects: keep additional properties open"
        }
        ADDITIONAL_ITEMS_REMOVED
        | ADDITIONAL_ITEMS_NARROWED
        | UNEVALUATED_ITEMS_REMOVED
        | UNEVALUATED_ITEMS_NARROWED => {
            "old arrays may carry extra items the new schema rejects: keep additional items open"
        }
        DEPENDENCY_ARRAY_ADDED
        | DEPENDENCY_ARRAY_EXTENDED
        | DEPENDENCY_ARRAY_CHANGED
        | DEPENDENCY_SCHEMA_ADDED => {
            "old data may not satisfy the new dependency: drop it or only remove names from it"
        }
        PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL => {
            "the old schema was open, so old writers may have sent this property with any type: close the content model (\"additionalProperties\": false) in the first version, or use the lenient policy"
        }
        PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL | ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL => {
            "the new schema is closed and no longer accepts what old data held: keep the property or item, or open the content model"
        }
        PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        | ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => {
            "the removed member's old values do not fit the additional/pattern schema: keep it, or widen that schema"
        }
        PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        | ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => {
            "old writers could send this member under the additional/pattern schema: give it a schema that accepts those values"
        }
        ITEM_ADDED_TO_OPEN_CONTENT_MODEL => {
            "the old array was open, so old writers may have sent any item here: add only items that accept anything"
        }
        RESERVED_PROPERTY_REMOVED => {
            "keep the property in confluent:reserved: reservations cannot be withdrawn"
        }
        RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY => {
            "rename the property: its name is reserved in the schema metadata"
        }
        UNIQUE_ITEMS_ADDED => "old arrays may hold duplicates: drop uniqueItems",
        ENUM_ARRAY_NARROWED | ENUM_ARRAY_CHANGED => {
            "old data may hold a value no longer allowed: keep every old value in the enum"
        }
        COMBINED_TYPE_CHANGED => {
            "keep the combination keyword, or only relax it (allOf/oneOf to anyOf)"
        }
        PRODUCT_TYPE_EXTENDED => "an added allOf member constrains old data: drop it",
        SUM_TYPE_NARROWED => {
            "old data may match only the removed alternative: keep every alternative"
        }
        COMBINED_TYPE_SUBSCHEMAS_CHANGED => {
            "each old subschema needs a compatible counterpart in the new combination: restore or relax the changed one"
        }
        NOT_TYPE_EXTENDED => {
            "the schema under not now excludes more: only narrow what not excludes"
        }
        _ => "compatible: no action needed",
    }
}
