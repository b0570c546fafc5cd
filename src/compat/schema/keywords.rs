//! The keywords the loader reads, by family, and the single pass that finds them in an object.

use super::model::Kind;
use serde_json::{Map, Value};

/// Declares the keywords the loader reads: an index per keyword and its name.
macro_rules! keywords {
    ($($kw:ident = $name:literal,)*) => {
        /// A keyword the loader reads.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Kw {
            $($kw,)*
        }

        impl Kw {
            pub(super) const COUNT: usize = [$($name,)*].len();

            /// The keyword as written in a schema.
            pub(super) fn name(self) -> &'static str {
                match self {
                    $(Kw::$kw => $name,)*
                }
            }

            pub(super) fn of(name: &str) -> Option<Kw> {
                match name {
                    $($name => Some(Kw::$kw),)*
                    _ => None,
                }
            }
        }
    };
}

keywords! {
    Ref = "$ref",
    DollarId = "$id",
    Id = "id",
    Title = "title",
    Description = "description",
    Default = "default",
    Enum = "enum",
    AllOf = "allOf",
    AnyOf = "anyOf",
    OneOf = "oneOf",
    Not = "not",
    Const = "const",
    Type = "type",
    Items = "items",
    AdditionalItems = "additionalItems",
    MinItems = "minItems",
    MaxItems = "maxItems",
    UniqueItems = "uniqueItems",
    Contains = "contains",
    PrefixItems = "prefixItems",
    MinContains = "minContains",
    MaxContains = "maxContains",
    UnevaluatedItems = "unevaluatedItems",
    Properties = "properties",
    Required = "required",
    AdditionalProperties = "additionalProperties",
    MinProperties = "minProperties",
    MaxProperties = "maxProperties",
    Dependencies = "dependencies",
    PatternProperties = "patternProperties",
    PropertyNames = "propertyNames",
    DependentRequired = "dependentRequired",
    DependentSchemas = "dependentSchemas",
    UnevaluatedProperties = "unevaluatedProperties",
    Minimum = "minimum",
    Maximum = "maximum",
    ExclusiveMinimum = "exclusiveMinimum",
    ExclusiveMaximum = "exclusiveMaximum",
    MultipleOf = "multipleOf",
    MinLength = "minLength",
    MaxLength = "maxLength",
    Pattern = "pattern",
    Format = "format",
}

pub(super) const ARRAY_KEYWORDS: &[Kw] = &[
    Kw::Items,
    Kw::AdditionalItems,
    Kw::MinItems,
    Kw::MaxItems,
    Kw::UniqueItems,
    Kw::Contains,
    Kw::PrefixItems,
    Kw::MinContains,
    Kw::MaxContains,
    Kw::UnevaluatedItems,
];
pub(super) const OBJECT_KEYWORDS: &[Kw] = &[
    Kw::Properties,
    Kw::Required,
    Kw::AdditionalProperties,
    Kw::MinProperties,
    Kw::MaxProperties,
    Kw::Dependencies,
    Kw::PatternProperties,
    Kw::PropertyNames,
    Kw::DependentRequired,
    Kw::DependentSchemas,
    Kw::UnevaluatedProperties,
];
pub(super) const NUMBER_KEYWORDS: &[Kw] = &[
    Kw::Minimum,
    Kw::Maximum,
    Kw::ExclusiveMinimum,
    Kw::ExclusiveMaximum,
    Kw::MultipleOf,
];
pub(super) const STRING_KEYWORDS: &[Kw] = &[Kw::MinLength, Kw::MaxLength, Kw::Pattern, Kw::Format];
/// Keywords of 2019-09 and 2020-12 that everit, which reads draft-07 and older for Confluent,
/// does not know: it keeps them as unread properties, which its diff looks at only for
/// `minContains` and `maxContains` (as plain numbers, on a node that is an array for other
/// reasons).
pub(super) const LATER_DRAFT_KEYWORDS: &[Kw] = &[
    Kw::PrefixItems,
    Kw::MinContains,
    Kw::MaxContains,
    Kw::UnevaluatedItems,
    Kw::DependentRequired,
    Kw::DependentSchemas,
    Kw::UnevaluatedProperties,
];

/// The keywords of one schema object, found in a single pass over its members: the loader
/// asks for some forty keywords per object, and each map lookup would hash the key again.
pub(super) struct Keywords<'a>([Option<&'a Value>; Kw::COUNT]);

impl<'a> Keywords<'a> {
    pub(super) fn of(map: &'a Map<String, Value>) -> Self {
        let mut found = [None; Kw::COUNT];
        for (name, value) in map {
            if let Some(kw) = Kw::of(name) {
                found[kw as usize] = Some(value);
            }
        }
        Keywords(found)
    }

    pub(super) fn get(&self, kw: Kw) -> Option<&'a Value> {
        self.0[kw as usize]
    }

    pub(super) fn has(&self, kw: Kw) -> bool {
        self.0[kw as usize].is_some()
    }
}

/// The kinds of constraint one schema object carries, in the order the loader finds them;
/// almost always one, so the first needs no allocation.
#[derive(Default)]
pub(super) struct Parts {
    pub(super) first: Option<Kind>,
    pub(super) rest: Vec<Kind>,
}

impl Parts {
    pub(super) fn push(&mut self, kind: Kind) {
        if self.first.is_none() {
            self.first = Some(kind);
        } else {
            self.rest.push(kind);
        }
    }
}

/// The keyword families a `type` has already read, so that they are not read again as an
/// untyped part (`{"type": "string", "maxLength": 3}` is one string schema, not two).
#[derive(Default)]
pub(super) struct Consumed {
    pub(super) array: bool,
    pub(super) object: bool,
    pub(super) number: bool,
    pub(super) string: bool,
}
/// Keywords the loader does not read but that still mark an object as a schema.
pub(super) const ANNOTATION_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "id",
    "$ref",
    "$defs",
    "definitions",
    "$anchor",
    "$comment",
    "$vocabulary",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "title",
    "description",
    "default",
    "examples",
    "type",
    "enum",
    "const",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "readOnly",
    "writeOnly",
    "deprecated",
    "contentEncoding",
    "contentMediaType",
];

/// Whether `key` is a JSON Schema keyword of any draft.
pub(super) fn is_keyword(key: &str) -> bool {
    ANNOTATION_KEYWORDS.contains(&key) || Kw::of(key).is_some()
}
