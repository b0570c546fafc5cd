//! Sentences for people: what a change means and, when it breaks, what would make it pass.
//!
//! Every sentence is written for the direction it was found in. A backward finding comes from
//! diffing the old schema into the new one (the new schema reads old data); a forward finding
//! comes from the same diff with the schemas swapped (the old schema reads new data), so a change
//! type's own wording ("now permits", "was removed") describes going from the new schema back to
//! the old one, and is said that way.

use super::Direction;
use super::change::ChangeType::{self, *};
use super::diff::Change;

/// One sentence naming the change as found in `direction`, with values where known.
pub fn message(change: &Change, direction: Direction) -> String {
    let (old, new) = (change.old.as_deref(), change.new.as_deref());
    // Built in one allocation: a transitive check writes one message per finding.
    let values = old.map_or(0, str::len) + new.map_or(0, str::len);
    if direction == Direction::Forward
        && let Some(sentence) = forward_sentence(change.kind)
    {
        let mut message = String::with_capacity(sentence.len() + change.path.len() + values + 32);
        message.push_str(sentence);
        message.push_str(" at ");
        message.push_str(&change.path);
        // The diff ran new → old: its "old" value is the new schema's.
        match (old, new) {
            (Some(o), Some(n)) => {
                message.push_str(" (new schema: ");
                message.push_str(o);
                message.push_str("; old schema: ");
                message.push_str(n);
                message.push(')');
            }
            (Some(o), None) => {
                message.push_str(" (new schema: ");
                message.push_str(o);
                message.push(')');
            }
            (None, Some(n)) => {
                message.push_str(" (old schema: ");
                message.push_str(n);
                message.push(')');
            }
            (None, None) => {}
        }
        return message;
    }
    let purpose = change.kind.purpose().trim_end_matches('.');
    let frame = if direction == Direction::Forward {
        FORWARD_FRAME.len()
    } else {
        0
    };
    let mut message =
        String::with_capacity(frame + purpose.len() + change.path.len() + values + 16);
    if direction == Direction::Forward {
        message.push_str(FORWARD_FRAME);
        let mut chars = purpose.chars();
        if let Some(first) = chars.next() {
            message.extend(first.to_lowercase());
            message.push_str(chars.as_str());
        }
    } else {
        message.push_str(purpose);
    }
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

/// How a forward finding without a sentence of its own is introduced: the change type's wording
/// then reads right, as a step from the new schema back to the old one.
const FORWARD_FRAME: &str = "From the new schema back to the old one (old readers, new data), ";

/// Forward findings of the content-model family, said as what old readers meet in new data.
fn forward_sentence(kind: ChangeType) -> Option<&'static str> {
    Some(match kind {
        ADDITIONAL_PROPERTIES_ADDED => {
            "The new schema forbids additional properties the old one permits, so old readers accept every record new writers send"
        }
        ADDITIONAL_PROPERTIES_REMOVED => {
            "The new schema permits additional properties the old one forbids: old readers reject new records that carry any"
        }
        ADDITIONAL_PROPERTIES_EXTENDED => {
            "The new schema constrains additional properties the old one accepts in any form"
        }
        ADDITIONAL_PROPERTIES_NARROWED => {
            "The new schema accepts additional properties the old one constrains: old readers may reject them"
        }
        PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL => {
            "The new schema adds a property the old, closed schema does not declare: old readers reject new records that carry it"
        }
        PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL => {
            "The new schema adds a property the old, open schema accepts with any value"
        }
        PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL => {
            "The new schema declares as forbidden (`false`) a property the old, closed schema does not declare"
        }
        PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => {
            "The new schema adds a property the old schema's additional/pattern schema accepts"
        }
        PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => {
            "The new schema adds a property the old schema's additional/pattern schema does not accept: old readers may reject it"
        }
        PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        | PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL => {
            "The new, open schema no longer declares a property the old one declares: new writers may send it with any value, and old readers check it against the old declaration"
        }
        REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        | REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL => {
            "The new schema no longer declares a property the old one requires: old readers reject new records without it"
        }
        REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
        | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL => {
            "The new schema no longer declares a property the old one requires with a default: new records may lack it"
        }
        OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL => {
            "The new, closed or partially open schema no longer declares an optional property the old one declares"
        }
        PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => {
            "The new schema no longer declares a property, and its additional/pattern schema accepts it as the old declaration does"
        }
        PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => {
            "The new schema no longer declares a property, and its additional/pattern schema lets new writers send values the old declaration rejects"
        }
        REQUIRED_ATTRIBUTE_ADDED => {
            "The new schema no longer requires a property the old one requires: old readers reject new records without it"
        }
        REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED => {
            "The new schema no longer requires a property the old one requires with a default: new records may lack it"
        }
        REQUIRED_ATTRIBUTE_REMOVED => "The new schema requires a property the old one does not",
        _ => return None,
    })
}

/// What a change that Confluent's check accepts still breaks, if anything: a `default` makes a
/// new required property pass the check, but JSON Schema's `default` fills nothing in, so
/// payloads without the property still fail validation.
pub fn caveat(kind: ChangeType, direction: Direction) -> Option<&'static str> {
    match (kind, direction) {
        (
            REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
            Direction::Backward,
        ) => Some(
            "the registry accepts this because of the \"default\", but JSON Schema's \"default\" fills nothing in: every old payload without the property still fails validation (validate, test, audit, any validating consumer); make the property optional (leave it out of \"required\") instead",
        ),
        (
            REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
            Direction::Forward,
        ) => Some(
            "the registry accepts this because of the old schema's \"default\", but JSON Schema's \"default\" fills nothing in: old readers that validate reject every new record without the property; keep it required until every reader has upgraded",
        ),
        _ => None,
    }
}

/// What to do about a change that breaks compatibility in `direction` (or a note when it does
/// not): what really makes it safe for the data on the other side, not merely for the check.
pub fn help(kind: ChangeType, direction: Direction) -> &'static str {
    match (advice(kind), direction) {
        (None, _) => "compatible: no action needed",
        (Some(advice), Direction::Backward) => backward_help(advice),
        (Some(advice), Direction::Forward) => forward_help(advice),
    }
}

/// The change types that take one piece of advice: each direction says it in its own words
/// (`backward_help`, `forward_help`), and the compiler holds both to every family.
#[derive(Clone, Copy)]
enum Advice {
    Type,
    SchemaAdded,
    UpperBound,
    LowerBound,
    Pattern,
    MultipleOf,
    RequiredAdded,
    ExtraProperties,
    ExtraItems,
    Dependency,
    AddedToOpenModel,
    RequiredWithDefaultAddedToOpenModel,
    RemovedFromClosedModel,
    RemovedNotCovered,
    AddedNotCovered,
    ItemAddedToOpenArray,
    ReservationWithdrawn,
    ReservedName,
    UniqueItems,
    Enum,
    CombinationKeyword,
    AllOfMember,
    Alternative,
    Subschemas,
    Not,
}

/// The advice a change type takes, if it can break compatibility.
fn advice(kind: ChangeType) -> Option<Advice> {
    use Advice::*;
    Some(match kind {
        TYPE_CHANGED | TYPE_NARROWED => Type,
        SCHEMA_ADDED => SchemaAdded,
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
        | MAX_CONTAINS_DECREASED => UpperBound,
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
        | MIN_CONTAINS_INCREASED => LowerBound,
        PATTERN_ADDED | PATTERN_CHANGED => Pattern,
        MULTIPLE_OF_ADDED | MULTIPLE_OF_EXPANDED | MULTIPLE_OF_CHANGED => MultipleOf,
        REQUIRED_ATTRIBUTE_ADDED
        | REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
        | REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL => RequiredAdded,
        ADDITIONAL_PROPERTIES_REMOVED
        | ADDITIONAL_PROPERTIES_NARROWED
        | UNEVALUATED_PROPERTIES_REMOVED
        | UNEVALUATED_PROPERTIES_NARROWED => ExtraProperties,
        ADDITIONAL_ITEMS_REMOVED
        | ADDITIONAL_ITEMS_NARROWED
        | UNEVALUATED_ITEMS_REMOVED
        | UNEVALUATED_ITEMS_NARROWED => ExtraItems,
        DEPENDENCY_ARRAY_ADDED
        | DEPENDENCY_ARRAY_EXTENDED
        | DEPENDENCY_ARRAY_CHANGED
        | DEPENDENCY_SCHEMA_ADDED => Dependency,
        PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL => {
            AddedToOpenModel
        }
        REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL => {
            RequiredWithDefaultAddedToOpenModel
        }
        PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL | ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL => {
            RemovedFromClosedModel
        }
        PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        | ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => RemovedNotCovered,
        PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        | ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => AddedNotCovered,
        ITEM_ADDED_TO_OPEN_CONTENT_MODEL => ItemAddedToOpenArray,
        RESERVED_PROPERTY_REMOVED => ReservationWithdrawn,
        RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY => ReservedName,
        UNIQUE_ITEMS_ADDED => UniqueItems,
        ENUM_ARRAY_NARROWED | ENUM_ARRAY_CHANGED => Enum,
        COMBINED_TYPE_CHANGED => CombinationKeyword,
        PRODUCT_TYPE_EXTENDED => AllOfMember,
        SUM_TYPE_NARROWED => Alternative,
        COMBINED_TYPE_SUBSCHEMAS_CHANGED => Subschemas,
        NOT_TYPE_EXTENDED => Not,
        _ => return None,
    })
}

/// The trap of open content models, and the ways out (each checked with `schemactl check-compat`
/// against an open v1; see the tests below).
const OPEN_MODEL_TRAP: &str = "the old schema's content model is open (no \"additionalProperties\": false), so old data may already carry this property with any type; under Confluent's strict policy even an optional property added to an open model breaks BACKWARD. Ways out: add it with an empty schema {} (PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL, compatible, but it constrains nothing); run the subject at FORWARD, where producers upgrade first (adding and closing are compatible there); use the lenient policy; or start a new subject whose v1 is closed. Closing or partially opening an existing open model is itself refused at BACKWARD (strict)";

/// Help for findings of the backward direction (the new schema reads old data).
fn backward_help(advice: Advice) -> &'static str {
    use Advice::*;
    match advice {
        Type => {
            "keep the old type, or widen it with a union (\"type\": [old, new] or oneOf) so old data still validates"
        }
        SchemaAdded => {
            "a new subschema constrains data that was unconstrained; drop it or make it accept anything old data held"
        }
        UpperBound => "old data may exceed the new upper bound: keep the old bound or raise it",
        LowerBound => "old data may fall below the new lower bound: keep the old bound or lower it",
        Pattern => "old strings may not match the new pattern: keep the old pattern or remove it",
        MultipleOf => {
            "old numbers may not be multiples of the new value: use a divisor of the old multipleOf"
        }
        RequiredAdded => {
            "old data may lack this property: make it optional (leave it out of \"required\"). A \"default\" would satisfy the registry's check, but JSON Schema's \"default\" fills nothing in, so old payloads would still fail validation"
        }
        ExtraProperties => {
            "old data may carry extra properties the new schema rejects: keep additional properties open, or close the model at the FORWARD level (producers upgrade first) or in a new subject"
        }
        ExtraItems => {
            "old arrays may carry extra items the new schema rejects: keep additional items open"
        }
        Dependency => {
            "old data may not satisfy the new dependency: drop it or only remove names from it"
        }
        AddedToOpenModel => OPEN_MODEL_TRAP,
        RequiredWithDefaultAddedToOpenModel => {
            "the old schema's content model is open, so old data may already carry this property with any type, and old data may lack it: a \"default\" fills nothing in. Make it optional, and see OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL for the ways out of the open-model trap (an empty schema {}, FORWARD, lenient, a new subject)"
        }
        RemovedFromClosedModel => {
            "the new schema is closed and no longer accepts what old data held: keep the property or item, or open the content model"
        }
        RemovedNotCovered => {
            "the removed member's old values do not fit the additional/pattern schema: keep it, or widen that schema"
        }
        AddedNotCovered => {
            "old writers could send this member under the additional/pattern schema: give it a schema that accepts those values"
        }
        ItemAddedToOpenArray => {
            "the old array was open, so old writers may have sent any item here: add only items that accept anything"
        }
        ReservationWithdrawn => {
            "keep the property in confluent:reserved: reservations cannot be withdrawn"
        }
        ReservedName => "rename the property: its name is reserved in the schema metadata",
        UniqueItems => "old arrays may hold duplicates: drop uniqueItems",
        Enum => "old data may hold a value no longer allowed: keep every old value in the enum",
        CombinationKeyword => {
            "keep the combination keyword, or only relax it (allOf/oneOf to anyOf)"
        }
        AllOfMember => "an added allOf member constrains old data: drop it",
        Alternative => "old data may match only the removed alternative: keep every alternative",
        Subschemas => {
            "each old subschema needs a compatible counterpart in the new combination: restore or relax the changed one"
        }
        Not => "the schema under not now excludes more: only narrow what not excludes",
    }
}

/// Help for findings of the forward direction (the old schema reads new data): what new writers
/// must not send so that consumers still on the old schema read it.
fn forward_help(advice: Advice) -> &'static str {
    use Advice::*;
    match advice {
        Type => {
            "old readers reject the new type: keep the old type in the new schema, or upgrade every reader before any writer (BACKWARD)"
        }
        SchemaAdded => {
            "the old schema constrains what the new one leaves open: new writers may send values old readers reject; keep the constraint"
        }
        UpperBound => {
            "new data may exceed the old readers' upper bound: keep the new bound at or below the old one"
        }
        LowerBound => {
            "new data may fall below the old readers' lower bound: keep the new bound at or above the old one"
        }
        Pattern => {
            "old readers check strings against a pattern new writers need not follow: keep the old pattern"
        }
        MultipleOf => {
            "old readers expect multiples the new schema no longer promises: keep a multiple of the old multipleOf"
        }
        RequiredAdded => {
            "old readers require this property: keep it required in the new schema while old readers remain (a \"default\" fills nothing in)"
        }
        ExtraProperties => {
            "the old schema is closed (or constrains extra properties) and the new one is not: new writers may send properties old readers reject; keep the new schema as closed as the old"
        }
        ExtraItems => {
            "the old schema forbids (or constrains) extra items the new one allows: keep the new schema as closed as the old"
        }
        Dependency => {
            "old readers enforce a dependency the new schema dropped: keep the dependency"
        }
        AddedToOpenModel | RequiredWithDefaultAddedToOpenModel => {
            "the new schema is open and dropped this property, so new writers may send it with any type and old readers, which still declare it, may reject it: keep the property declared in the new schema (deprecate it in its description), or close the new schema"
        }
        RemovedFromClosedModel => {
            "the old schema is closed, so old readers reject the member the new schema adds: don't add it until readers have upgraded (BACKWARD, consumers first), or open the old model first"
        }
        RemovedNotCovered => {
            "the added member's values do not fit the old schema's additional/pattern schema, so old readers reject them: give the new member a schema inside that one"
        }
        AddedNotCovered => {
            "the new schema dropped this member, and its additional/pattern schema lets new writers send values the old declaration rejects: keep the member declared"
        }
        ItemAddedToOpenArray => {
            "the new array is open and dropped this item, so new writers may send anything there that old readers reject: keep the item declared"
        }
        ReservationWithdrawn => {
            "keep the property in confluent:reserved: reservations cannot be withdrawn"
        }
        ReservedName => "rename the property: its name is reserved in the schema metadata",
        UniqueItems => {
            "old readers require unique items the new schema no longer promises: keep uniqueItems"
        }
        Enum => {
            "new writers may send a value old readers do not allow: add no value to the enum until readers have upgraded"
        }
        CombinationKeyword => {
            "old readers apply a stricter combination (allOf/oneOf) than the new schema's (anyOf): keep the old keyword"
        }
        AllOfMember => "old readers require an allOf member the new schema dropped: keep it",
        Alternative => {
            "new writers may match an alternative old readers do not know: add no alternative until readers have upgraded"
        }
        Subschemas => {
            "each new subschema needs a counterpart old readers accept: restore or tighten the changed one"
        }
        Not => "the new schema excludes less under not than old readers do: keep what not excludes",
    }
}
