//! The change types the diff reports, named exactly as Confluent names them, and the table of
//! which ones are compatible under each policy.
//!
//! A change type says *what* changed between an original and an updated schema; whether that
//! change is safe is a property of the table below, never of the walker that found it.

use serde::Serialize;
use std::fmt;

/// Whether a change type is compatible (`C`) or breaking (`B`) under the strict and lenient
/// policies, as Confluent Schema Registry 8.x classifies it for a BACKWARD check: `C` in the
/// strict column means the type is in `SchemaDiff.COMPATIBLE_CHANGES_STRICT`, in the lenient
/// column that it is in `COMPATIBLE_CHANGES_LENIENT` (json-schema-provider). The lenient set is
/// the strict set plus ten types: additional and unevaluated properties narrowed or removed,
/// optional or defaulted properties added to an open content model, properties removed from
/// any content model. `tests/compat_fixtures.rs` holds its own copy of both sets and checks
/// every fixture against it under both policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    C,
    B,
}

macro_rules! change_types {
    ($( $(#[doc = $doc:literal])* $name:ident => $strict:ident $lenient:ident, )*) => {
        /// One kind of difference between two JSON Schemas.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[allow(non_camel_case_types)]
        pub enum ChangeType {
            $( $(#[doc = $doc])* $name, )*
        }

        impl ChangeType {
            /// Every change type, in declaration order.
            pub const ALL: &'static [ChangeType] = &[$(ChangeType::$name,)*];

            /// The SCREAMING_SNAKE name Confluent uses.
            pub fn name(self) -> &'static str {
                match self { $(ChangeType::$name => stringify!($name),)* }
            }

            /// The one-sentence purpose of the rule (its doc comment).
            pub fn purpose(self) -> &'static str {
                match self { $(ChangeType::$name => concat!($($doc),*).trim_ascii(),)* }
            }

            fn table(self) -> (Cell, Cell) {
                match self { $(ChangeType::$name => (Cell::$strict, Cell::$lenient),)* }
            }

            /// Looks a change type up by its Confluent name.
            pub fn from_name(name: &str) -> Option<ChangeType> {
                match name { $(stringify!($name) => Some(ChangeType::$name),)* _ => None }
            }
        }
    };
}

change_types! {
    /// The schema's `$id` changed.
    ID_CHANGED => C C,
    /// The schema's `description` changed.
    DESCRIPTION_CHANGED => C C,
    /// The schema's `title` changed.
    TITLE_CHANGED => C C,
    /// The schema's `default` changed.
    DEFAULT_CHANGED => C C,
    /// A subschema appeared where there was none (e.g. `items` added).
    SCHEMA_ADDED => B B,
    /// A subschema was removed (e.g. `items` dropped), accepting more.
    SCHEMA_REMOVED => C C,
    /// The type accepts more values (e.g. `integer` became `number`).
    TYPE_EXTENDED => C C,
    /// The type accepts fewer values (e.g. `number` became `integer`).
    TYPE_NARROWED => B B,
    /// The type changed to an unrelated one (e.g. `string` became `number`).
    TYPE_CHANGED => B B,
    /// A `maxLength` was added to a string.
    MAX_LENGTH_ADDED => B B,
    /// The string's `maxLength` was removed.
    MAX_LENGTH_REMOVED => C C,
    /// The string's `maxLength` grew.
    MAX_LENGTH_INCREASED => C C,
    /// The string's `maxLength` shrank.
    MAX_LENGTH_DECREASED => B B,
    /// A `minLength` was added to a string.
    MIN_LENGTH_ADDED => B B,
    /// The string's `minLength` was removed.
    MIN_LENGTH_REMOVED => C C,
    /// The string's `minLength` grew.
    MIN_LENGTH_INCREASED => B B,
    /// The string's `minLength` shrank.
    MIN_LENGTH_DECREASED => C C,
    /// A `pattern` was added to a string.
    PATTERN_ADDED => B B,
    /// The string's `pattern` was removed.
    PATTERN_REMOVED => C C,
    /// The string's `pattern` changed.
    PATTERN_CHANGED => B B,
    /// A `maximum` was added to a number.
    MAXIMUM_ADDED => B B,
    /// The number's `maximum` was removed.
    MAXIMUM_REMOVED => C C,
    /// The number's `maximum` grew.
    MAXIMUM_INCREASED => C C,
    /// The number's `maximum` shrank.
    MAXIMUM_DECREASED => B B,
    /// A `minimum` was added to a number.
    MINIMUM_ADDED => B B,
    /// The number's `minimum` was removed.
    MINIMUM_REMOVED => C C,
    /// The number's `minimum` grew.
    MINIMUM_INCREASED => B B,
    /// The number's `minimum` shrank.
    MINIMUM_DECREASED => C C,
    /// An `exclusiveMaximum` was added to a number.
    EXCLUSIVE_MAXIMUM_ADDED => B B,
    /// The number's `exclusiveMaximum` was removed.
    EXCLUSIVE_MAXIMUM_REMOVED => C C,
    /// The number's `exclusiveMaximum` grew.
    EXCLUSIVE_MAXIMUM_INCREASED => C C,
    /// The number's `exclusiveMaximum` shrank.
    EXCLUSIVE_MAXIMUM_DECREASED => B B,
    /// An `exclusiveMinimum` was added to a number.
    EXCLUSIVE_MINIMUM_ADDED => B B,
    /// The number's `exclusiveMinimum` was removed.
    EXCLUSIVE_MINIMUM_REMOVED => C C,
    /// The number's `exclusiveMinimum` grew.
    EXCLUSIVE_MINIMUM_INCREASED => B B,
    /// The number's `exclusiveMinimum` shrank.
    EXCLUSIVE_MINIMUM_DECREASED => C C,
    /// A `multipleOf` was added to a number.
    MULTIPLE_OF_ADDED => B B,
    /// The number's `multipleOf` was removed.
    MULTIPLE_OF_REMOVED => C C,
    /// The new `multipleOf` is a multiple of the old one, accepting fewer values.
    MULTIPLE_OF_EXPANDED => B B,
    /// The new `multipleOf` divides the old one, accepting more values.
    MULTIPLE_OF_REDUCED => C C,
    /// The `multipleOf` changed to an unrelated value.
    MULTIPLE_OF_CHANGED => B B,
    /// An existing property became required.
    REQUIRED_ATTRIBUTE_ADDED => B B,
    /// An existing property with a default became required.
    REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED => C C,
    /// A property is no longer required.
    REQUIRED_ATTRIBUTE_REMOVED => C C,
    /// A `maxProperties` was added to an object.
    MAX_PROPERTIES_ADDED => B B,
    /// The object's `maxProperties` was removed.
    MAX_PROPERTIES_REMOVED => C C,
    /// The object's `maxProperties` grew.
    MAX_PROPERTIES_INCREASED => C C,
    /// The object's `maxProperties` shrank.
    MAX_PROPERTIES_DECREASED => B B,
    /// A `minProperties` was added to an object.
    MIN_PROPERTIES_ADDED => B B,
    /// The object's `minProperties` was removed.
    MIN_PROPERTIES_REMOVED => C C,
    /// The object's `minProperties` grew.
    MIN_PROPERTIES_INCREASED => B B,
    /// The object's `minProperties` shrank.
    MIN_PROPERTIES_DECREASED => C C,
    /// The object now permits additional properties it used to forbid.
    ADDITIONAL_PROPERTIES_ADDED => C C,
    /// The object now forbids additional properties it used to permit.
    ADDITIONAL_PROPERTIES_REMOVED => B C,
    /// The schema for additional properties was dropped, accepting any.
    ADDITIONAL_PROPERTIES_EXTENDED => C C,
    /// A schema now constrains additional properties that were unconstrained.
    ADDITIONAL_PROPERTIES_NARROWED => B C,
    /// A `dependencies` array was added for a property.
    DEPENDENCY_ARRAY_ADDED => B B,
    /// A `dependencies` array was removed for a property.
    DEPENDENCY_ARRAY_REMOVED => C C,
    /// A `dependencies` array names more properties.
    DEPENDENCY_ARRAY_EXTENDED => B B,
    /// A `dependencies` array names fewer properties.
    DEPENDENCY_ARRAY_NARROWED => C C,
    /// A `dependencies` array names other properties.
    DEPENDENCY_ARRAY_CHANGED => B B,
    /// A dependency schema was added for a property.
    DEPENDENCY_SCHEMA_ADDED => B B,
    /// A dependency schema was removed for a property.
    DEPENDENCY_SCHEMA_REMOVED => C C,
    /// A property was added to an open content model (Confluent 7.x name).
    PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL => B B,
    /// A required property was added to an open content model.
    REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL => B B,
    /// A required property with a default was added to an open content model.
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL => B C,
    /// An optional property was added to an open content model.
    OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL => B C,
    /// A property that accepts anything (`true` or `{}`) was added to an open content model.
    PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL => C C,
    /// A required property was added to a closed or partially open content model.
    REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL => B B,
    /// A required property with a default was added to a closed or partially open content model.
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL => C C,
    /// An optional property was added to a closed or partially open content model.
    OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL => C C,
    /// A property was removed from an open content model.
    PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL => C C,
    /// A property declared `false` was removed from a closed content model.
    PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL => C C,
    /// A property was removed from a closed content model.
    PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL => B C,
    /// A removed property is still accepted by the partially open content model.
    PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => C C,
    /// A removed property is not accepted by the partially open content model.
    PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => B C,
    /// An added property was already accepted by the partially open content model.
    PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => C C,
    /// An added property was not accepted by the partially open content model.
    PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => B C,
    /// A property reserved in the schema metadata (`confluent:reserved`) is no longer reserved.
    RESERVED_PROPERTY_REMOVED => B B,
    /// The schema defines a property that its metadata reserves.
    RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY => B B,
    /// `unevaluatedProperties` now permits what it forbade.
    UNEVALUATED_PROPERTIES_ADDED => C C,
    /// `unevaluatedProperties` now forbids what it permitted.
    UNEVALUATED_PROPERTIES_REMOVED => B C,
    /// The `unevaluatedProperties` schema was relaxed.
    UNEVALUATED_PROPERTIES_EXTENDED => C C,
    /// A schema now constrains unevaluated properties.
    UNEVALUATED_PROPERTIES_NARROWED => B C,
    /// A `maxItems` was added to an array.
    MAX_ITEMS_ADDED => B B,
    /// The array's `maxItems` was removed.
    MAX_ITEMS_REMOVED => C C,
    /// The array's `maxItems` grew.
    MAX_ITEMS_INCREASED => C C,
    /// The array's `maxItems` shrank.
    MAX_ITEMS_DECREASED => B B,
    /// A `minItems` was added to an array.
    MIN_ITEMS_ADDED => B B,
    /// The array's `minItems` was removed.
    MIN_ITEMS_REMOVED => C C,
    /// The array's `minItems` grew.
    MIN_ITEMS_INCREASED => B B,
    /// The array's `minItems` shrank.
    MIN_ITEMS_DECREASED => C C,
    /// A `maxContains` was added to an array.
    MAX_CONTAINS_ADDED => B B,
    /// The array's `maxContains` was removed.
    MAX_CONTAINS_REMOVED => C C,
    /// The array's `maxContains` grew.
    MAX_CONTAINS_INCREASED => C C,
    /// The array's `maxContains` shrank.
    MAX_CONTAINS_DECREASED => B B,
    /// A `minContains` was added to an array.
    MIN_CONTAINS_ADDED => B B,
    /// The array's `minContains` was removed.
    MIN_CONTAINS_REMOVED => C C,
    /// The array's `minContains` grew.
    MIN_CONTAINS_INCREASED => B B,
    /// The array's `minContains` shrank.
    MIN_CONTAINS_DECREASED => C C,
    /// The array now requires unique items.
    UNIQUE_ITEMS_ADDED => B B,
    /// The array no longer requires unique items.
    UNIQUE_ITEMS_REMOVED => C C,
    /// The array now permits additional items it used to forbid.
    ADDITIONAL_ITEMS_ADDED => C C,
    /// The array now forbids additional items it used to permit.
    ADDITIONAL_ITEMS_REMOVED => B B,
    /// The schema for additional items was dropped, accepting any.
    ADDITIONAL_ITEMS_EXTENDED => C C,
    /// A schema now constrains additional items that were unconstrained.
    ADDITIONAL_ITEMS_NARROWED => B B,
    /// `unevaluatedItems` now permits what it forbade.
    UNEVALUATED_ITEMS_ADDED => C C,
    /// `unevaluatedItems` now forbids what it permitted.
    UNEVALUATED_ITEMS_REMOVED => B B,
    /// The `unevaluatedItems` schema was relaxed.
    UNEVALUATED_ITEMS_EXTENDED => C C,
    /// A schema now constrains unevaluated items.
    UNEVALUATED_ITEMS_NARROWED => B B,
    /// A tuple item was added to an open content model.
    ITEM_ADDED_TO_OPEN_CONTENT_MODEL => B B,
    /// A tuple item that accepts anything was added to an open content model.
    ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL => C C,
    /// A tuple item was added to a closed content model.
    ITEM_ADDED_TO_CLOSED_CONTENT_MODEL => C C,
    /// A tuple item was removed from an open content model.
    ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL => C C,
    /// A tuple item declared `false` was removed from a closed content model.
    ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL => C C,
    /// A tuple item was removed from a closed content model.
    ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL => B B,
    /// A removed tuple item is still accepted by the partially open content model.
    ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => C C,
    /// A removed tuple item is not accepted by the partially open content model.
    ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => B B,
    /// An added tuple item was already accepted by the partially open content model.
    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => C C,
    /// An added tuple item was not accepted by the partially open content model.
    ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => B B,
    /// The `enum` (or `const`) accepts more values.
    ENUM_ARRAY_EXTENDED => C C,
    /// The `enum` accepts fewer values.
    ENUM_ARRAY_NARROWED => B B,
    /// The `enum` (or `const`) accepts other values.
    ENUM_ARRAY_CHANGED => B B,
    /// The combination keyword was relaxed (e.g. `oneOf` became `anyOf`).
    COMBINED_TYPE_EXTENDED => C C,
    /// The combination keyword changed in a way that rejects old data (e.g. `anyOf` became `allOf`).
    COMBINED_TYPE_CHANGED => B B,
    /// An `allOf` gained a subschema, adding a constraint.
    PRODUCT_TYPE_EXTENDED => B B,
    /// An `allOf` lost a subschema, dropping a constraint.
    PRODUCT_TYPE_NARROWED => C C,
    /// A `oneOf`/`anyOf` (or `type` list) gained an alternative.
    SUM_TYPE_EXTENDED => C C,
    /// A `oneOf`/`anyOf` (or `type` list) lost an alternative.
    SUM_TYPE_NARROWED => B B,
    /// The subschemas of a combination cannot all be matched to compatible ones.
    COMBINED_TYPE_SUBSCHEMAS_CHANGED => B B,
    /// The schema under `not` was widened, so the whole accepts fewer values.
    NOT_TYPE_EXTENDED => B B,
    /// The schema under `not` was narrowed, so the whole accepts more values.
    NOT_TYPE_NARROWED => C C,
}

/// How strictly open content models are judged, as Confluent's `compatibilityPolicy`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Confluent's default: an open content model may not gain typed properties.
    Strict,
    /// Treats JSON Schema like Avro: properties may come and go in open models.
    Lenient,
}

impl Policy {
    /// The lower-case name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Strict => "strict",
            Policy::Lenient => "lenient",
        }
    }
}

impl ChangeType {
    /// Whether this change keeps old data readable (BACKWARD direction) under `policy`.
    pub fn is_compatible(self, policy: Policy) -> bool {
        let (strict, lenient) = self.table();
        match policy {
            Policy::Strict => strict == Cell::C,
            Policy::Lenient => lenient == Cell::C,
        }
    }
}

impl fmt::Display for ChangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &change in ChangeType::ALL {
            assert_eq!(ChangeType::from_name(change.name()), Some(change));
            assert!(!change.purpose().is_empty(), "{change} has no purpose");
        }
        assert_eq!(ChangeType::from_name("NOT_A_CHANGE"), None);
    }

    #[test]
    fn lenient_is_a_superset_of_strict() {
        for &change in ChangeType::ALL {
            if change.is_compatible(Policy::Strict) {
                assert!(change.is_compatible(Policy::Lenient), "{change}");
            }
        }
        assert!(
            !ChangeType::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                .is_compatible(Policy::Strict)
        );
        assert!(
            ChangeType::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                .is_compatible(Policy::Lenient)
        );
    }
}
