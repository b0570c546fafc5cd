//! The node model the diff walks: one node per kind of constraint, in an arena.

use super::keywords::Kw;
use serde_json::Value;

/// Index of a node in a [`Schema`]'s arena.
pub type NodeId = usize;

/// A JSON Schema dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Draft {
    /// draft-04
    Draft4,
    /// draft-06
    Draft6,
    /// draft-07 (also the default when `$schema` is absent)
    Draft7,
    /// 2019-09
    Draft201909,
    /// 2020-12
    Draft202012,
}

impl Draft {
    /// The draft's usual name (`draft-07`, `2020-12`).
    pub fn name(self) -> &'static str {
        match self {
            Draft::Draft4 => "draft-04",
            Draft::Draft6 => "draft-06",
            Draft::Draft7 => "draft-07",
            Draft::Draft201909 => "2019-09",
            Draft::Draft202012 => "2020-12",
        }
    }

    /// Recognises a `$schema` URL; `None` for a URL that names no known draft. The bool says
    /// whether the URL is a canonical meta-schema URL (either scheme, trailing `#` optional).
    pub(super) fn from_url(url: &str) -> Option<(Draft, bool)> {
        const TABLE: [(&str, &str, Draft); 5] = [
            ("json-schema.org/draft-04/schema", "draft-04", Draft::Draft4),
            ("json-schema.org/draft-06/schema", "draft-06", Draft::Draft6),
            ("json-schema.org/draft-07/schema", "draft-07", Draft::Draft7),
            (
                "json-schema.org/draft/2019-09/schema",
                "2019-09",
                Draft::Draft201909,
            ),
            (
                "json-schema.org/draft/2020-12/schema",
                "2020-12",
                Draft::Draft202012,
            ),
        ];
        let trimmed = url.trim_end_matches('#');
        let location = trimmed
            .strip_prefix("http://")
            .or_else(|| trimmed.strip_prefix("https://"));
        if let Some(&(_, _, draft)) = TABLE.iter().find(|(at, _, _)| location == Some(*at)) {
            return Some((draft, true));
        }
        TABLE
            .iter()
            .find(|(_, tag, _)| url.contains(tag))
            .map(|&(_, _, d)| (d, false))
    }

    /// Whether Confluent builds its model of this dialect with json-sKema, translated into
    /// everit's classes, rather than with everit's own loader (draft-04 to draft-07). The two
    /// models differ, so the same keywords can diff differently (see the loader's `sniffs`,
    /// `object` and `array`). Only 2020-12 is read this way here: Confluent also sends 2019-09 to
    /// json-sKema, but json-sKema knows only 2020-12's keywords (no tuple `items`, no
    /// `additionalItems`, no `dependencies`), and no 2019-09 case has been checked against it.
    pub fn read_by_skema(self) -> bool {
        self == Draft::Draft202012
    }

    /// Whether Confluent reads this dialect with everit's loader, which knows no keyword
    /// introduced after draft-07.
    pub fn read_by_everit(self) -> bool {
        matches!(self, Draft::Draft4 | Draft::Draft6 | Draft::Draft7)
    }

    /// The keyword naming a schema's identifier in this draft.
    pub(super) fn id_keyword(self) -> Kw {
        if self == Draft::Draft4 {
            Kw::Id
        } else {
            Kw::DollarId
        }
    }
}
/// `additionalProperties` / `additionalItems` as the diff sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Additional {
    /// Absent or `true`.
    Permitted,
    /// `false`.
    Forbidden,
    /// A schema constrains the extra members.
    Schema(NodeId),
}

impl Additional {
    /// Whether extra members are permitted at all.
    pub fn permits(self) -> bool {
        self != Additional::Forbidden
    }
    /// The schema of extra members, if any.
    pub fn schema(self) -> Option<NodeId> {
        match self {
            Additional::Schema(id) => Some(id),
            _ => None,
        }
    }
}

/// A string schema's constraints.
#[derive(Clone, Debug, Default)]
pub struct StringNode {
    /// `minLength`
    pub min_length: Option<f64>,
    /// `maxLength`
    pub max_length: Option<f64>,
    /// `pattern`
    pub pattern: Option<String>,
}

/// A number schema's constraints.
#[derive(Clone, Debug, Default)]
pub struct NumberNode {
    /// `minimum`
    pub minimum: Option<f64>,
    /// `maximum`
    pub maximum: Option<f64>,
    /// `exclusiveMinimum` as a number (draft-06 and later)
    pub exclusive_minimum: Option<f64>,
    /// `exclusiveMaximum` as a number (draft-06 and later)
    pub exclusive_maximum: Option<f64>,
    /// `multipleOf`
    pub multiple_of: Option<f64>,
    /// `type: integer`
    pub requires_integer: bool,
}

/// An object schema's constraints.
#[derive(Clone, Debug)]
pub struct ObjectNode {
    /// `properties`, in document order.
    pub properties: Vec<(String, NodeId)>,
    /// `required`
    pub required: Vec<String>,
    /// `additionalProperties`
    pub additional: Additional,
    /// `patternProperties`: source regex, compiled regex (None if it does not compile), schema.
    pub pattern_properties: Vec<(String, Option<fancy_regex::Regex>, NodeId)>,
    /// `minProperties`
    pub min_properties: Option<f64>,
    /// `maxProperties`
    pub max_properties: Option<f64>,
    /// `dependencies` (array form) and `dependentRequired`
    pub property_dependencies: Vec<(String, Vec<String>)>,
    /// `dependencies` (schema form) and `dependentSchemas`
    pub schema_dependencies: Vec<(String, NodeId)>,
    /// `unevaluatedProperties`
    pub unevaluated: Option<NodeId>,
    /// Positions in `properties`, sorted by name: the diff looks every property up by name.
    pub(super) by_name: Vec<usize>,
    /// `required`, sorted, for the same reason: objects can have tens of thousands of both.
    pub(super) required_sorted: Vec<String>,
}

impl ObjectNode {
    pub(super) fn index(&mut self) {
        let mut by_name: Vec<usize> = (0..self.properties.len()).collect();
        by_name.sort_by(|&x, &y| self.properties[x].0.cmp(&self.properties[y].0));
        self.by_name = by_name;
        let mut required = self.required.clone();
        required.sort_unstable();
        self.required_sorted = required;
    }

    /// Whether `required` lists `name`.
    pub fn requires(&self, name: &str) -> bool {
        self.required_sorted
            .binary_search_by(|r| r.as_str().cmp(name))
            .is_ok()
    }

    /// The schema of the property called `name`, looked for first at position `hint`: two
    /// versions of a schema usually list their properties in the same order.
    pub fn property_near(&self, name: &str, hint: usize) -> Option<NodeId> {
        match self.properties.get(hint) {
            Some((n, id)) if n == name => Some(*id),
            _ => self.property(name),
        }
    }

    /// The schema of the property called `name`, if the object declares it.
    pub fn property(&self, name: &str) -> Option<NodeId> {
        let at = self
            .by_name
            .binary_search_by(|&i| self.properties[i].0.as_str().cmp(name))
            .ok()?;
        Some(self.properties[self.by_name[at]].1)
    }
}

/// An array schema's constraints.
#[derive(Clone, Debug, Default)]
pub struct ArrayNode {
    /// `items` as one schema for all items.
    pub all_items: Option<NodeId>,
    /// `items` as a tuple (draft-04..2019-09) or `prefixItems` (2020-12).
    pub item_schemas: Vec<NodeId>,
    /// `additionalItems` (or `items` beside `prefixItems` in 2020-12)
    pub additional: Option<Additional>,
    /// `minItems`
    pub min_items: Option<f64>,
    /// `maxItems`
    pub max_items: Option<f64>,
    /// `uniqueItems`
    pub unique_items: bool,
    /// `minContains`
    pub min_contains: Option<f64>,
    /// `maxContains`
    pub max_contains: Option<f64>,
    /// `unevaluatedItems`
    pub unevaluated: Option<NodeId>,
}

impl ArrayNode {
    /// `additionalItems`, absent counting as permitted.
    pub fn additional(&self) -> Additional {
        self.additional.unwrap_or(Additional::Permitted)
    }
}

/// `allOf`, `anyOf` or `oneOf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// `allOf`
    All,
    /// `anyOf`
    Any,
    /// `oneOf`
    One,
}

impl Criterion {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

/// What a node constrains.
#[derive(Clone, Debug)]
pub enum Kind {
    /// `{}`: accepts anything.
    Empty,
    /// `true`: accepts anything.
    True,
    /// `false`: accepts nothing.
    False,
    /// `type: boolean`
    Boolean,
    /// `type: null`
    Null,
    /// A string schema.
    String(StringNode),
    /// A number or integer schema.
    Number(NumberNode),
    /// An object schema.
    Object(Box<ObjectNode>),
    /// An array schema.
    Array(Box<ArrayNode>),
    /// `enum`
    Enum(Vec<Value>),
    /// `const`
    Const(Value),
    /// `allOf` / `anyOf` / `oneOf` (also synthetic, for a schema with several kinds).
    Combined(Criterion, Vec<NodeId>),
    /// `not`
    Not(NodeId),
    /// `$ref`, resolved to its target.
    Ref(NodeId),
}

impl Kind {
    /// A stable name for the node kind; two nodes of different kinds are a type change.
    pub fn class(&self) -> &'static str {
        match self {
            Kind::Empty => "empty",
            Kind::True => "true",
            Kind::False => "false",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
            Kind::String(_) => "string",
            Kind::Number(_) => "number",
            Kind::Object(_) => "object",
            Kind::Array(_) => "array",
            Kind::Enum(_) => "enum",
            Kind::Const(_) => "const",
            Kind::Combined(..) => "combined",
            Kind::Not(_) => "not",
            Kind::Ref(_) => "ref",
        }
    }
}

/// One schema node and its annotations.
#[derive(Clone, Debug)]
pub struct Node {
    /// Which document the node's JSON lives in: 0 for the schema itself, `n` for its `n`-th
    /// referenced schema (see [`Schema::references`]).
    pub doc: usize,
    /// Where the node's JSON lives in that document; `None` for a synthetic part.
    pub pointer: Option<String>,
    /// `$id` (or `id` in draft-04)
    pub id: Option<Value>,
    /// `title`
    pub title: Option<Value>,
    /// `description`
    pub description: Option<Value>,
    /// `default`
    pub default: Option<Value>,
    /// What the node constrains.
    pub kind: Kind,
}
