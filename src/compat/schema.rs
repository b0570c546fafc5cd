//! Parsing a JSON Schema document into the node model the diff walks.
//!
//! The model follows the one Confluent's registry diffs (the everit loader): a schema object
//! becomes one node per kind of constraint it carries (`enum`, a combination, `not`, `const`,
//! an explicit `type`, then keywords sniffed by kind). Several kinds at once become a synthetic
//! `allOf`, which is why `{"type":"string","enum":[..]}` diffs as a product type.
//! `$ref`s are resolved within the document and into the schemas its Confluent `references`
//! name ([`ResolvedReferences`]); a node is loaded once per document and JSON pointer, so
//! recursive schemas form cycles in the arena rather than infinite trees. Nothing is ever
//! fetched: a `$ref` to any other document is an error.

use serde_json::{Map, Value};
use std::borrow::Cow;
use thiserror::Error;

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
    fn from_url(url: &str) -> Option<(Draft, bool)> {
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
    fn id_keyword(self) -> Kw {
        if self == Draft::Draft4 {
            Kw::Id
        } else {
            Kw::DollarId
        }
    }
}

/// Why a document could not be read as a JSON Schema.
#[derive(Debug, Error)]
pub enum SchemaError {
    /// The document is not a schema (an object or a boolean) at the given pointer.
    #[error("not a JSON Schema at {pointer}: {found}")]
    NotASchema {
        /// JSON pointer of the offending value.
        pointer: String,
        /// What was found instead.
        found: String,
    },
    /// A keyword has a value of the wrong shape.
    #[error("invalid `{keyword}` at {pointer}: {reason}")]
    BadKeyword {
        /// The keyword.
        keyword: String,
        /// JSON pointer of the keyword.
        pointer: String,
        /// What is wrong.
        reason: String,
    },
    /// A `$ref` does not resolve inside the document.
    #[error("$ref \"{reference}\" at {pointer} does not resolve{hint}")]
    UnresolvedRef {
        /// The reference as written.
        reference: String,
        /// JSON pointer of the `$ref`.
        pointer: String,
        /// Extra advice.
        hint: String,
    },
    /// A chain of `$ref`s leads back to itself without ever reaching a schema.
    #[error("$ref at {pointer} refers to itself without reaching a schema (a $ref cycle: {chain})")]
    RefCycle {
        /// JSON pointer of the first `$ref` in the cycle.
        pointer: String,
        /// The pointers visited.
        chain: String,
    },
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
    by_name: Vec<usize>,
    /// `required`, sorted, for the same reason: objects can have tens of thousands of both.
    required_sorted: Vec<String>,
}

impl ObjectNode {
    fn index(&mut self) {
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

/// A parsed JSON Schema document.
#[derive(Debug)]
pub struct Schema {
    doc: Value,
    references: ResolvedReferences,
    nodes: Vec<Node>,
    root: NodeId,
    /// The dialect the document was read as.
    pub draft: Draft,
    /// Things worth telling the user that did not stop the parse.
    pub warnings: Vec<String>,
}

/// Declares the keywords the loader reads: an index per keyword and its name.
macro_rules! keywords {
    ($($kw:ident = $name:literal,)*) => {
        /// A keyword the loader reads.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Kw {
            $($kw,)*
        }

        impl Kw {
            const COUNT: usize = [$($name,)*].len();

            /// The keyword as written in a schema.
            fn name(self) -> &'static str {
                match self {
                    $(Kw::$kw => $name,)*
                }
            }

            fn of(name: &str) -> Option<Kw> {
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

const ARRAY_KEYWORDS: &[Kw] = &[
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
const OBJECT_KEYWORDS: &[Kw] = &[
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
const NUMBER_KEYWORDS: &[Kw] = &[
    Kw::Minimum,
    Kw::Maximum,
    Kw::ExclusiveMinimum,
    Kw::ExclusiveMaximum,
    Kw::MultipleOf,
];
const STRING_KEYWORDS: &[Kw] = &[Kw::MinLength, Kw::MaxLength, Kw::Pattern, Kw::Format];
/// Keywords of 2019-09 and 2020-12 that everit, which reads draft-07 and older for Confluent,
/// does not know: it keeps them as unread properties, which its diff looks at only for
/// `minContains` and `maxContains` (as plain numbers, on a node that is an array for other
/// reasons).
const LATER_DRAFT_KEYWORDS: &[Kw] = &[
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
struct Keywords<'a>([Option<&'a Value>; Kw::COUNT]);

impl<'a> Keywords<'a> {
    fn of(map: &'a Map<String, Value>) -> Self {
        let mut found = [None; Kw::COUNT];
        for (name, value) in map {
            if let Some(kw) = Kw::of(name) {
                found[kw as usize] = Some(value);
            }
        }
        Keywords(found)
    }

    fn get(&self, kw: Kw) -> Option<&'a Value> {
        self.0[kw as usize]
    }

    fn has(&self, kw: Kw) -> bool {
        self.0[kw as usize].is_some()
    }
}

/// The kinds of constraint one schema object carries, in the order the loader finds them;
/// almost always one, so the first needs no allocation.
#[derive(Default)]
struct Parts {
    first: Option<Kind>,
    rest: Vec<Kind>,
}

impl Parts {
    fn push(&mut self, kind: Kind) {
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
struct Consumed {
    array: bool,
    object: bool,
    number: bool,
    string: bool,
}

impl Schema {
    /// Parses a schema document that names no references.
    pub fn parse(doc: Value) -> Result<Schema, SchemaError> {
        Schema::parse_with_references(doc, ResolvedReferences::default())
    }

    /// Parses a schema document whose `$ref`s may point into the schemas its references name.
    pub fn parse_with_references(
        doc: Value,
        references: ResolvedReferences,
    ) -> Result<Schema, SchemaError> {
        let mut warnings = Vec::new();
        let draft = match doc.get("$schema") {
            Some(Value::String(url)) => match Draft::from_url(url) {
                Some((draft, true)) => draft,
                Some((draft, false)) => {
                    warnings.push(format!(
                        "$schema \"{url}\" is not a canonical meta-schema URL; read as {}",
                        draft.name()
                    ));
                    draft
                }
                None => {
                    warnings.push(format!(
                        "$schema \"{url}\" names no known draft; read as draft-07"
                    ));
                    Draft::Draft7
                }
            },
            _ => Draft::Draft7,
        };
        if let Value::Object(map) = &doc
            && !map.is_empty()
            && !map.keys().any(|k| is_keyword(k))
        {
            let keys: Vec<&str> = map.keys().take(5).map(String::as_str).collect();
            return Err(SchemaError::NotASchema {
                pointer: "#".into(),
                found: format!(
                    "it is an object without any JSON Schema keyword (keys: {}); is it a payload?",
                    keys.join(", ")
                ),
            });
        }
        let mut docs = Vec::with_capacity(references.len() + 1);
        docs.push(&doc);
        docs.extend(references.docs.iter().map(|(_, d)| d));
        let mut loader = Loader {
            docs,
            references: &references,
            cur: 0,
            draft,
            nodes: Vec::new(),
            by_pointer: None,
            refs: Vec::new(),
        };
        let root = loader.load("")?;
        loader.resolve_refs()?;
        let nodes = loader.nodes;
        let schema = Schema {
            doc,
            references,
            nodes,
            root,
            draft,
            warnings,
        };
        schema.check_ref_cycles()?;
        Ok(schema)
    }

    /// Parses a schema from JSON text.
    pub fn from_json_text(text: &str) -> Result<Schema, ParseError> {
        let doc: Value = serde_json::from_str(text).map_err(ParseError::Json)?;
        Schema::parse(doc).map_err(ParseError::Schema)
    }

    /// The root node.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// A node by id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The parsed document.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// The schemas the document's references name, resolved (empty for most schemas).
    pub fn references(&self) -> &ResolvedReferences {
        &self.references
    }

    /// The JSON a node was read from, if it is not synthetic.
    pub fn raw(&self, id: NodeId) -> Option<&Value> {
        let node = &self.nodes[id];
        let doc = match node.doc {
            0 => &self.doc,
            n => &self.references.docs.get(n - 1)?.1,
        };
        node.pointer.as_deref().and_then(|p| doc.pointer(p))
    }

    /// Follows `$ref`s to the node they name.
    pub fn resolve(&self, mut id: NodeId) -> NodeId {
        // Cycles were rejected at parse time, so this terminates.
        while let Kind::Ref(target) = self.nodes[id].kind {
            id = target;
        }
        id
    }

    fn check_ref_cycles(&self) -> Result<(), SchemaError> {
        // Each `$ref` node has one successor, so one walk per chain, marking what it has
        // seen, finds every cycle in linear time (chains of a thousand references included).
        const FRESH: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![FRESH; self.nodes.len()];
        let mut path = Vec::new();
        for start in 0..self.nodes.len() {
            if state[start] != FRESH || !matches!(self.nodes[start].kind, Kind::Ref(_)) {
                continue;
            }
            path.clear();
            let mut id = start;
            while let Kind::Ref(target) = self.nodes[id].kind {
                state[id] = ON_PATH;
                path.push(id);
                match state[target] {
                    DONE => break,
                    ON_PATH => {
                        let first = path.iter().position(|&i| i == target).unwrap_or(0);
                        let chain = path[first..]
                            .iter()
                            .chain(std::iter::once(&target))
                            .map(|&i| self.describe(i))
                            .collect::<Vec<_>>()
                            .join(" -> ");
                        return Err(SchemaError::RefCycle {
                            pointer: self.describe(path[first]),
                            chain,
                        });
                    }
                    _ => id = target,
                }
            }
            for &i in &path {
                state[i] = DONE;
            }
        }
        Ok(())
    }

    /// `#/pointer`, or `name#/pointer` for a node of a referenced schema.
    fn describe(&self, id: NodeId) -> String {
        let node = &self.nodes[id];
        let pointer = node.pointer.clone().unwrap_or_default();
        match node.doc {
            0 => format!("#{pointer}"),
            n => format!(
                "{}#{pointer}",
                self.references.docs.get(n - 1).map_or("", |d| d.0.as_str())
            ),
        }
    }
}

/// Keywords the loader does not read but that still mark an object as a schema.
const ANNOTATION_KEYWORDS: &[&str] = &[
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
fn is_keyword(key: &str) -> bool {
    ANNOTATION_KEYWORDS.contains(&key) || Kw::of(key).is_some()
}

/// Reading a schema from text failed.
#[derive(Debug, Error)]
pub enum ParseError {
    /// Not JSON.
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    /// JSON, but not a usable schema.
    #[error("{0}")]
    Schema(SchemaError),
}

struct Loader<'a> {
    /// The schema (0), then the referenced schemas in the order of `references`.
    docs: Vec<&'a Value>,
    references: &'a ResolvedReferences,
    /// The document being walked.
    cur: usize,
    draft: Draft,
    nodes: Vec<Node>,
    /// Per document, the node loaded from each pointer, so a pointer is loaded once. The tree
    /// walk never reaches a pointer twice, so the index is built only when `$ref`s need
    /// resolving.
    by_pointer: Option<Vec<foldhash::HashMap<String, NodeId>>>,
    /// `$ref` nodes to resolve: node, reference as written, where it is written, its document.
    refs: Vec<(NodeId, String, String, usize)>,
}

/// `pointer/keyword` or `pointer/keyword/member` (an escaped member name or an index): built
/// by hand, as `format!` costs more than the rest of loading a leaf schema.
fn child_pointer(pointer: &str, keyword: &str, member: Option<&str>) -> String {
    let extra = member.map_or(0, |m| m.len() + 1);
    let mut at = String::with_capacity(pointer.len() + keyword.len() + extra + 1);
    at.push_str(pointer);
    at.push('/');
    at.push_str(keyword);
    if let Some(member) = member {
        at.push('/');
        at.push_str(member);
    }
    at
}

/// Escapes a member name for a JSON pointer (RFC 6901: `~` as `~0`, `/` as `~1`), allocating
/// only when it has to.
pub(crate) fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Loader<'a> {
    fn push(&mut self, pointer: Option<String>, kind: Kind) -> NodeId {
        self.nodes.push(Node {
            doc: self.cur,
            pointer,
            id: None,
            title: None,
            description: None,
            default: None,
            kind,
        });
        self.nodes.len() - 1
    }

    fn bad(&self, keyword: &str, pointer: &str, reason: impl Into<String>) -> SchemaError {
        SchemaError::BadKeyword {
            keyword: keyword.to_string(),
            pointer: format!("{}/{}", self.at(pointer), escape(keyword)),
            reason: reason.into(),
        }
    }

    /// `#/json/pointer` in the schema itself, `name#/json/pointer` in a referenced schema.
    fn at(&self, pointer: &str) -> String {
        match self.cur {
            0 => format!("#{pointer}"),
            n => format!("{}#{pointer}", self.references.docs[n - 1].0),
        }
    }

    fn indexed(&self, pointer: &str) -> Option<NodeId> {
        self.by_pointer
            .as_ref()?
            .get(self.cur)?
            .get(pointer)
            .copied()
    }

    fn index(&mut self, pointer: String, id: NodeId) {
        let cur = self.cur;
        if let Some(by_pointer) = &mut self.by_pointer {
            by_pointer[cur].insert(pointer, id);
        }
    }

    /// Loads the schema at a JSON pointer into the current document.
    fn load(&mut self, pointer: &str) -> Result<NodeId, SchemaError> {
        if let Some(id) = self.indexed(pointer) {
            return Ok(id);
        }
        let value =
            self.docs[self.cur]
                .pointer(pointer)
                .ok_or_else(|| SchemaError::NotASchema {
                    pointer: self.at(pointer),
                    found: "nothing there".into(),
                })?;
        self.load_at(pointer.to_string(), value)
    }

    /// Loads `value`, which lives at `pointer`; the walk hands values down rather than
    /// looking each one up again from the document root.
    fn load_at(&mut self, pointer: String, value: &'a Value) -> Result<NodeId, SchemaError> {
        if let Some(id) = self.indexed(&pointer) {
            return Ok(id);
        }
        let id = match value {
            Value::Bool(true) => self.push(Some(pointer.clone()), Kind::True),
            Value::Bool(false) => self.push(Some(pointer.clone()), Kind::False),
            Value::Object(map) => {
                // Reserve the slot first so that a reference back to this pointer finds it.
                let id = self.push(None, Kind::Empty);
                if self.by_pointer.is_some() {
                    self.index(pointer.clone(), id);
                }
                let keywords = Keywords::of(map);
                let kind = self.load_object(&pointer, &keywords)?;
                let node = &mut self.nodes[id];
                node.pointer = Some(pointer);
                node.kind = kind;
                // json-sKema keeps `$id` for resolving references only, never on the schema
                // it builds, so Confluent never reports ID_CHANGED for a 2020-12 schema.
                if !self.draft.read_by_skema() {
                    node.id = keywords.get(self.draft.id_keyword()).cloned();
                }
                node.title = keywords.get(Kw::Title).cloned();
                node.description = keywords.get(Kw::Description).cloned();
                node.default = keywords.get(Kw::Default).cloned();
                return Ok(id);
            }
            other => {
                return Err(SchemaError::NotASchema {
                    pointer: self.at(&pointer),
                    found: format!(
                        "expected an object or a boolean, found {}",
                        type_name(other)
                    ),
                });
            }
        };
        self.index(pointer, id);
        Ok(id)
    }

    /// Loads the schema under keyword `kw` of the object at `pointer`.
    fn child(
        &mut self,
        pointer: &str,
        kw: Kw,
        keywords: &Keywords<'a>,
    ) -> Result<NodeId, SchemaError> {
        let value = keywords.get(kw).ok_or_else(|| SchemaError::NotASchema {
            pointer: format!("{}/{}", self.at(pointer), kw.name()),
            found: "nothing there".into(),
        })?;
        // No keyword name needs escaping.
        self.load_at(child_pointer(pointer, kw.name(), None), value)
    }

    fn load_object(&mut self, pointer: &str, keywords: &Keywords<'a>) -> Result<Kind, SchemaError> {
        if let Some(reference) = keywords.get(Kw::Ref) {
            let Value::String(reference) = reference else {
                return Err(self.bad(
                    "$ref",
                    pointer,
                    format!("expected a string, found {}", type_name(reference)),
                ));
            };
            let id = self.push(None, Kind::Empty);
            let at = format!("{}/$ref", self.at(pointer));
            self.refs.push((id, reference.clone(), at, self.cur));
            return Ok(Kind::Ref(id));
        }
        let mut parts = Parts::default();
        if let Some(values) = keywords.get(Kw::Enum) {
            let Value::Array(values) = values else {
                return Err(self.bad("enum", pointer, "expected an array"));
            };
            parts.push(Kind::Enum(values.clone()));
        }
        for (criterion, kw) in [
            (Criterion::All, Kw::AllOf),
            (Criterion::Any, Kw::AnyOf),
            (Criterion::One, Kw::OneOf),
        ] {
            if let Some(subs) = keywords.get(kw) {
                let Value::Array(subs) = subs else {
                    return Err(self.bad(
                        criterion.keyword(),
                        pointer,
                        "expected an array of schemas",
                    ));
                };
                let ids = subs
                    .iter()
                    .enumerate()
                    .map(|(i, sub)| {
                        self.load_at(child_pointer(pointer, kw.name(), Some(&i.to_string())), sub)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                parts.push(Kind::Combined(criterion, ids));
            }
        }
        if keywords.has(Kw::Not) {
            parts.push(Kind::Not(self.child(pointer, Kw::Not, keywords)?));
        }
        if let Some(value) = keywords.get(Kw::Const) {
            parts.push(Kind::Const(value.clone()));
        }
        let mut consumed = Consumed::default();
        match keywords.get(Kw::Type) {
            None => {}
            Some(Value::String(t)) => {
                let kind = self.typed(pointer, keywords, t, &mut consumed)?;
                parts.push(kind);
            }
            Some(Value::Array(types)) => {
                let mut ids = Vec::new();
                // A type listed twice reads the same subschemas again: reuse the first reading,
                // so that each pointer is loaded once.
                let (mut object, mut array) = (None, None);
                for (i, t) in types.iter().enumerate() {
                    let Value::String(t) = t else {
                        return Err(self.bad(
                            "type",
                            pointer,
                            format!("entry {i} is not a string"),
                        ));
                    };
                    let kind = match (t.as_str(), &object, &array) {
                        ("object", Some(kind), _) | ("array", _, Some(kind)) => Kind::clone(kind),
                        _ => {
                            let kind = self.typed(pointer, keywords, t, &mut consumed)?;
                            match t.as_str() {
                                "object" => object = Some(kind.clone()),
                                "array" => array = Some(kind.clone()),
                                _ => {}
                            }
                            kind
                        }
                    };
                    ids.push(self.push(None, kind));
                }
                parts.push(Kind::Combined(Criterion::Any, ids));
            }
            Some(other) => {
                return Err(self.bad(
                    "type",
                    pointer,
                    format!("expected a string or an array, found {}", type_name(other)),
                ));
            }
        }
        if !consumed.array && self.sniffs(keywords, ARRAY_KEYWORDS) {
            parts.push(self.array(pointer, keywords)?);
        }
        if !consumed.object && self.sniffs(keywords, OBJECT_KEYWORDS) {
            parts.push(self.object(pointer, keywords)?);
        }
        if !consumed.number && self.sniffs(keywords, NUMBER_KEYWORDS) {
            parts.push(Kind::Number(self.number(pointer, keywords, false)?));
        }
        if !consumed.string && self.sniffs(keywords, STRING_KEYWORDS) {
            parts.push(Kind::String(self.string(pointer, keywords)?));
        }
        Ok(match parts {
            Parts { first: None, .. } => Kind::Empty,
            Parts {
                first: Some(only),
                rest,
            } if rest.is_empty() => only,
            Parts {
                first: Some(first),
                rest,
            } => {
                let mut ids = Vec::with_capacity(1 + rest.len());
                ids.push(self.push(None, first));
                ids.extend(rest.into_iter().map(|k| self.push(None, k)));
                Kind::Combined(Criterion::All, ids)
            }
        })
    }

    /// Whether a keyword of `family` is present that Confluent's model of this draft turns into
    /// a node of that kind. everit (draft-07 and older) keeps keywords of later drafts aside as
    /// unread properties: `{"unevaluatedProperties": false}` is the empty schema there.
    /// json-sKema (2020-12) makes a node of each keyword it reads, so `"properties": {}` or
    /// `"patternProperties": {}`, which hold no subschema, make no object node, `format` makes
    /// no string node, and `minContains`/`maxContains` belong to `contains`.
    fn sniffs(&self, keywords: &Keywords<'a>, family: &[Kw]) -> bool {
        family.iter().any(|&kw| {
            let Some(value) = keywords.get(kw) else {
                return false;
            };
            if self.draft.read_by_everit() {
                return !LATER_DRAFT_KEYWORDS.contains(&kw);
            }
            if !self.draft.read_by_skema() {
                return true;
            }
            match kw {
                Kw::Properties | Kw::PatternProperties => {
                    value.as_object().is_none_or(|members| !members.is_empty())
                }
                Kw::Format
                | Kw::MinContains
                | Kw::MaxContains
                | Kw::AdditionalItems
                | Kw::Dependencies => false,
                _ => true,
            }
        })
    }

    fn typed(
        &mut self,
        pointer: &str,
        keywords: &Keywords<'a>,
        t: &str,
        consumed: &mut Consumed,
    ) -> Result<Kind, SchemaError> {
        Ok(match t {
            "string" => {
                consumed.string = true;
                Kind::String(self.string(pointer, keywords)?)
            }
            "number" | "integer" => {
                consumed.number = true;
                Kind::Number(self.number(pointer, keywords, t == "integer")?)
            }
            "object" => {
                consumed.object = true;
                self.object(pointer, keywords)?
            }
            "array" => {
                consumed.array = true;
                self.array(pointer, keywords)?
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            other => {
                return Err(self.bad(
                    "type",
                    pointer,
                    format!("unknown type \"{other}\" (expected string, number, integer, object, array, boolean or null)"),
                ));
            }
        })
    }

    fn non_negative(
        &self,
        pointer: &str,
        keywords: &Keywords<'a>,
        kw: Kw,
    ) -> Result<Option<f64>, SchemaError> {
        match keywords.get(kw) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x >= 0.0 && x.fract() == 0.0 => Ok(Some(x)),
                _ => Err(self.bad(
                    kw.name(),
                    pointer,
                    format!("expected a non-negative integer, found {n}"),
                )),
            },
            Some(other) => Err(self.bad(
                kw.name(),
                pointer,
                format!(
                    "expected a non-negative integer, found {}",
                    type_name(other)
                ),
            )),
        }
    }

    fn number_kw(
        &self,
        pointer: &str,
        keywords: &Keywords<'a>,
        kw: Kw,
    ) -> Result<Option<f64>, SchemaError> {
        match keywords.get(kw) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            // draft-04 boolean exclusive bounds modify minimum/maximum; the diff ignores them.
            Some(Value::Bool(_))
                if matches!(kw, Kw::ExclusiveMinimum | Kw::ExclusiveMaximum)
                    && self.draft == Draft::Draft4 =>
            {
                Ok(None)
            }
            Some(other) => Err(self.bad(
                kw.name(),
                pointer,
                format!("expected a number, found {}", type_name(other)),
            )),
        }
    }

    fn string(&self, pointer: &str, keywords: &Keywords<'a>) -> Result<StringNode, SchemaError> {
        let pattern = match keywords.get(Kw::Pattern) {
            None => None,
            Some(Value::String(p)) => {
                if let Err(e) = fancy_regex::Regex::new(p) {
                    return Err(self.bad(
                        "pattern",
                        pointer,
                        format!("not a valid regular expression: {e}"),
                    ));
                }
                Some(p.clone())
            }
            Some(other) => {
                return Err(self.bad(
                    "pattern",
                    pointer,
                    format!("expected a string, found {}", type_name(other)),
                ));
            }
        };
        Ok(StringNode {
            min_length: self.non_negative(pointer, keywords, Kw::MinLength)?,
            max_length: self.non_negative(pointer, keywords, Kw::MaxLength)?,
            pattern,
        })
    }

    fn number(
        &self,
        pointer: &str,
        keywords: &Keywords<'a>,
        integer: bool,
    ) -> Result<NumberNode, SchemaError> {
        let multiple_of = self.number_kw(pointer, keywords, Kw::MultipleOf)?;
        if multiple_of.is_some_and(|m| m <= 0.0) {
            return Err(self.bad("multipleOf", pointer, "must be greater than 0"));
        }
        Ok(NumberNode {
            minimum: self.number_kw(pointer, keywords, Kw::Minimum)?,
            maximum: self.number_kw(pointer, keywords, Kw::Maximum)?,
            exclusive_minimum: self.number_kw(pointer, keywords, Kw::ExclusiveMinimum)?,
            exclusive_maximum: self.number_kw(pointer, keywords, Kw::ExclusiveMaximum)?,
            multiple_of,
            requires_integer: integer,
        })
    }

    fn additional(
        &mut self,
        pointer: &str,
        keywords: &Keywords<'a>,
        kw: Kw,
    ) -> Result<Option<Additional>, SchemaError> {
        Ok(match keywords.get(kw) {
            None => None,
            Some(Value::Bool(true)) => Some(Additional::Permitted),
            Some(Value::Bool(false)) => Some(Additional::Forbidden),
            Some(Value::Object(_)) => Some(Additional::Schema(self.child(pointer, kw, keywords)?)),
            Some(other) => {
                return Err(self.bad(
                    kw.name(),
                    pointer,
                    format!("expected a schema, found {}", type_name(other)),
                ));
            }
        })
    }

    fn schema_map(
        &mut self,
        pointer: &str,
        keywords: &Keywords<'a>,
        kw: Kw,
    ) -> Result<Vec<(String, NodeId)>, SchemaError> {
        let Some(value) = keywords.get(kw) else {
            return Ok(Vec::new());
        };
        let Value::Object(members) = value else {
            return Err(self.bad(
                kw.name(),
                pointer,
                format!("expected an object of schemas, found {}", type_name(value)),
            ));
        };
        members
            .iter()
            .map(|(name, schema)| {
                let at = child_pointer(pointer, kw.name(), Some(&escape(name)));
                Ok((name.clone(), self.load_at(at, schema)?))
            })
            .collect()
    }

    fn string_list(
        &self,
        pointer: &str,
        value: &Value,
        keyword: &str,
    ) -> Result<Vec<String>, SchemaError> {
        let Value::Array(items) = value else {
            return Err(self.bad(
                keyword,
                pointer,
                format!("expected an array of strings, found {}", type_name(value)),
            ));
        };
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| self.bad(keyword, pointer, "expected an array of strings"))
            })
            .collect()
    }

    fn object(&mut self, pointer: &str, keywords: &Keywords<'a>) -> Result<Kind, SchemaError> {
        let properties = self.schema_map(pointer, keywords, Kw::Properties)?;
        let required = match keywords.get(Kw::Required) {
            None => Vec::new(),
            Some(v) => self.string_list(pointer, v, "required")?,
        };
        let patterns = self.schema_map(pointer, keywords, Kw::PatternProperties)?;
        let pattern_properties = patterns
            .into_iter()
            .map(|(p, id)| {
                let regex = fancy_regex::Regex::new(&p).ok();
                (p, regex, id)
            })
            .collect();
        let mut property_dependencies = Vec::new();
        let mut schema_dependencies = Vec::new();
        // Which keywords Confluent's model of the draft reads: everit ignores 2019-09's
        // `dependentRequired`, `dependentSchemas` and `unevaluatedProperties`, json-sKema
        // ignores draft-07's `dependencies`.
        let everit = self.draft.read_by_everit();
        let dependencies = if self.draft.read_by_skema() {
            None
        } else {
            keywords.get(Kw::Dependencies)
        };
        if let Some(Value::Object(deps)) = dependencies {
            for (name, dep) in deps {
                if dep.is_array() {
                    property_dependencies.push((
                        name.clone(),
                        self.string_list(pointer, dep, "dependencies")?,
                    ));
                } else {
                    let at = child_pointer(pointer, "dependencies", Some(&escape(name)));
                    let id = self.load_at(at, dep)?;
                    schema_dependencies.push((name.clone(), id));
                }
            }
        } else if let Some(other) = dependencies {
            return Err(self.bad(
                "dependencies",
                pointer,
                format!("expected an object, found {}", type_name(other)),
            ));
        }
        if let Some(value) = keywords.get(Kw::DependentRequired).filter(|_| !everit) {
            let Value::Object(deps) = value else {
                return Err(self.bad(
                    "dependentRequired",
                    pointer,
                    "expected an object of string arrays",
                ));
            };
            for (name, dep) in deps {
                property_dependencies.push((
                    name.clone(),
                    self.string_list(pointer, dep, "dependentRequired")?,
                ));
            }
        }
        if !everit {
            schema_dependencies.extend(self.schema_map(pointer, keywords, Kw::DependentSchemas)?);
        }
        let unevaluated = match keywords.get(Kw::UnevaluatedProperties) {
            Some(_) if !everit => Some(self.child(pointer, Kw::UnevaluatedProperties, keywords)?),
            _ => None,
        };
        if keywords.has(Kw::PropertyNames) {
            self.child(pointer, Kw::PropertyNames, keywords)?;
        }
        let mut node = ObjectNode {
            properties,
            required,
            additional: self
                .additional(pointer, keywords, Kw::AdditionalProperties)?
                .unwrap_or(Additional::Permitted),
            pattern_properties,
            min_properties: self.non_negative(pointer, keywords, Kw::MinProperties)?,
            max_properties: self.non_negative(pointer, keywords, Kw::MaxProperties)?,
            property_dependencies,
            schema_dependencies,
            unevaluated,
            by_name: Vec::new(),
            required_sorted: Vec::new(),
        };
        node.index();
        Ok(Kind::Object(Box::new(node)))
    }

    fn array(&mut self, pointer: &str, keywords: &Keywords<'a>) -> Result<Kind, SchemaError> {
        let mut node = ArrayNode::default();
        let tuple_keyword = if self.draft == Draft::Draft202012 {
            Kw::PrefixItems
        } else {
            Kw::Items
        };
        match keywords.get(tuple_keyword) {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = child_pointer(pointer, tuple_keyword.name(), Some(&i.to_string()));
                    node.item_schemas.push(self.load_at(at, item)?);
                }
            }
            Some(other) if tuple_keyword == Kw::PrefixItems => {
                return Err(self.bad(
                    "prefixItems",
                    pointer,
                    format!("expected an array of schemas, found {}", type_name(other)),
                ));
            }
            _ => {}
        }
        if self.draft == Draft::Draft202012 && keywords.has(Kw::PrefixItems) {
            node.additional = self.additional(pointer, keywords, Kw::Items)?;
        } else if self.draft == Draft::Draft202012 {
            // Without `prefixItems`, json-sKema's `items` is still one node, which Confluent's
            // translation reads as everit's: `false` forbids additional items, `true` adds
            // nothing, a schema constrains every item. `additionalItems` is not a 2020-12
            // keyword.
            match keywords.get(Kw::Items) {
                Some(Value::Bool(false)) => node.additional = Some(Additional::Forbidden),
                Some(Value::Bool(true)) | None => {}
                Some(Value::Array(_)) => {
                    return Err(self.bad(
                        "items",
                        pointer,
                        "2020-12 takes one schema here; write a tuple as \"prefixItems\"",
                    ));
                }
                Some(_) => node.all_items = Some(self.child(pointer, Kw::Items, keywords)?),
            }
        } else {
            if let Some(items) = keywords.get(Kw::Items)
                && !items.is_array()
            {
                node.all_items = Some(self.child(pointer, Kw::Items, keywords)?);
            }
            node.additional = self.additional(pointer, keywords, Kw::AdditionalItems)?;
        }
        if keywords.has(Kw::Contains) {
            self.child(pointer, Kw::Contains, keywords)?;
        }
        node.min_items = self.non_negative(pointer, keywords, Kw::MinItems)?;
        node.max_items = self.non_negative(pointer, keywords, Kw::MaxItems)?;
        node.min_contains = self.non_negative(pointer, keywords, Kw::MinContains)?;
        node.max_contains = self.non_negative(pointer, keywords, Kw::MaxContains)?;
        if self.draft.read_by_skema() {
            // json-sKema reads both only as part of `contains`, where `minContains` defaults
            // to 1: removing `"minContains": 1` changes nothing, removing `contains` removes
            // both.
            if keywords.has(Kw::Contains) {
                node.min_contains = Some(node.min_contains.unwrap_or(1.0));
            } else {
                node.min_contains = None;
                node.max_contains = None;
            }
        }
        node.unique_items = match keywords.get(Kw::UniqueItems) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(self.bad(
                    "uniqueItems",
                    pointer,
                    format!("expected a boolean, found {}", type_name(other)),
                ));
            }
        };
        if keywords.has(Kw::UnevaluatedItems) && !self.draft.read_by_everit() {
            node.unevaluated = Some(self.child(pointer, Kw::UnevaluatedItems, keywords)?);
        }
        Ok(Kind::Array(Box::new(node)))
    }

    fn resolve_refs(&mut self) -> Result<(), SchemaError> {
        if self.refs.is_empty() {
            return Ok(());
        }
        // From here on every loaded node is indexed, as a reference may lead anywhere.
        let mut by_pointer = vec![foldhash::HashMap::default(); self.docs.len()];
        for (id, node) in self.nodes.iter().enumerate() {
            if let Some(pointer) = &node.pointer {
                by_pointer[node.doc].entry(pointer.clone()).or_insert(id);
            }
        }
        self.by_pointer = Some(by_pointer);
        while let Some((id, reference, at, from)) = self.refs.pop() {
            let (doc, target) = self.ref_pointer(&reference, &at, from)?;
            self.cur = doc;
            let target_id = self.load(&target)?;
            self.nodes[id].kind = Kind::Ref(target_id);
            self.nodes[id].doc = doc;
            self.nodes[id].pointer = Some(target);
        }
        self.cur = 0;
        Ok(())
    }

    /// The document and JSON pointer a `$ref` written in document `from` names.
    fn ref_pointer(
        &self,
        reference: &str,
        at: &str,
        from: usize,
    ) -> Result<(usize, String), SchemaError> {
        let unresolved = |hint: String| SchemaError::UnresolvedRef {
            reference: reference.to_string(),
            pointer: at.to_string(),
            hint,
        };
        let (uri, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let doc = if uri.is_empty() {
            from
        } else {
            match self.references.find(uri) {
                Some(n) => n + 1,
                None => {
                    let names = if self.references.is_empty() {
                        "the schema names no references".to_string()
                    } else {
                        format!("its references are named {}", self.references.names())
                    };
                    let network = if uri.contains("://") {
                        "; schemactl never fetches a $ref from the network or a file"
                    } else {
                        ""
                    };
                    return Err(unresolved(format!(
                        ": a $ref to another document must name one of the schema's references ({names}){network}\nhelp: register the other schema as a subject and reference it (`references` in the registry, `[references]` in a contract), or inline it under \"$defs\" and use \"#/$defs/...\""
                    )));
                }
            }
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(unresolved(
                ": anchors are not supported; use a JSON pointer such as \"#/definitions/name\""
                    .into(),
            ));
        }
        let pointer = percent_decode(fragment);
        if self.docs[doc].pointer(&pointer).is_none() {
            return Err(unresolved(": nothing at that JSON pointer".into()));
        }
        Ok((doc, pointer))
    }
}

/// The schemas a schema's Confluent `references` name, resolved transitively and flattened by
/// reference name, as Confluent's registry hands them to its loader: a `$ref` whose URI is a
/// reference's name (with or without a leading `./`), optionally with a `#/...` fragment,
/// points into that schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResolvedReferences {
    docs: Vec<(String, Value)>,
    by_name: std::collections::HashMap<String, usize>,
}

impl ResolvedReferences {
    /// Adds the schema a reference `name` resolves to; `false` (and nothing added) when the
    /// name is already taken.
    pub fn insert(&mut self, name: &str, doc: Value) -> bool {
        let key = name.strip_prefix("./").unwrap_or(name);
        if self.by_name.contains_key(key) {
            return false;
        }
        self.by_name.insert(key.to_string(), self.docs.len());
        self.docs.push((name.to_string(), doc));
        true
    }

    /// Whether a schema is known under `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The position of the schema a `$ref` URI names.
    fn find(&self, uri: &str) -> Option<usize> {
        self.by_name
            .get(uri.strip_prefix("./").unwrap_or(uri))
            .copied()
    }

    /// How many schemas.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The names and schemas, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.docs.iter().map(|(n, d)| (n.as_str(), d))
    }

    /// The schema a `$ref` URI (without its fragment) names, for a validator's retriever:
    /// the URI as written, or resolved against a base (`json-schema:///location.json`,
    /// `https://example.com/schemas/location.json` for the name `location.json`).
    pub fn retrieve(&self, uri: &str) -> Option<&Value> {
        if let Some(n) = self.find(uri) {
            return Some(&self.docs[n].1);
        }
        self.docs
            .iter()
            .find(|(name, _)| {
                let name = name.strip_prefix("./").unwrap_or(name);
                uri.strip_suffix(name)
                    .is_some_and(|base| base.ends_with('/') || base.ends_with(':'))
            })
            .map(|(_, d)| d)
    }

    fn names(&self) -> String {
        self.docs
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_with_enum_is_a_synthetic_all_of() {
        let s = Schema::parse(json!({"type": "string", "enum": ["red"]})).unwrap();
        assert!(
            matches!(s.node(s.root()).kind, Kind::Combined(Criterion::All, ref ids) if ids.len() == 2)
        );
    }

    #[test]
    fn nodes_point_at_their_json() {
        let s = Schema::parse(json!({"properties": {
            "": {"type": "string"},
            "a/b~c": {"type": "number"},
            "t": {"items": [{"const": 1}, {"const": 2}]},
        }}))
        .unwrap();
        let Kind::Object(o) = &s.node(s.root()).kind else {
            panic!("object expected")
        };
        let pointers: Vec<_> = o
            .properties
            .iter()
            .map(|&(_, id)| s.node(id).pointer.clone().unwrap())
            .collect();
        assert_eq!(
            pointers,
            ["/properties/", "/properties/a~1b~0c", "/properties/t"]
        );
        assert_eq!(s.raw(o.properties[1].1), Some(&json!({"type": "number"})));
        let Kind::Array(t) = &s.node(o.properties[2].1).kind else {
            panic!("array expected")
        };
        assert_eq!(s.raw(t.item_schemas[1]), Some(&json!({"const": 2})));
        assert_eq!(o.property("a/b~c"), Some(o.properties[1].1));
        assert_eq!(o.property("missing"), None);
    }

    #[test]
    fn each_pointer_is_loaded_once() {
        let s = Schema::parse(json!({
            "type": ["object", "object"],
            "properties": {"a": {"$ref": "#/properties/b"}, "b": {"type": "string"}},
        }))
        .unwrap();
        let Kind::Combined(Criterion::Any, ids) = &s.node(s.root()).kind else {
            panic!("anyOf expected")
        };
        let objects: Vec<&ObjectNode> = ids
            .iter()
            .map(|&id| match &s.node(id).kind {
                Kind::Object(o) => &**o,
                other => panic!("object expected, found {other:?}"),
            })
            .collect();
        assert_eq!(objects[0].properties, objects[1].properties);
        let (a, b) = (objects[0].properties[0].1, objects[0].properties[1].1);
        assert_eq!(s.resolve(a), b);
        let strings = s
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, Kind::String(_)))
            .count();
        assert_eq!(strings, 1, "/properties/b was loaded more than once");
    }

    #[test]
    fn recursive_schema_forms_a_cycle() {
        let s = Schema::parse(json!({"properties": {"child": {"$ref": "#"}}})).unwrap();
        let Kind::Object(o) = &s.node(s.root()).kind else {
            panic!("object expected")
        };
        assert_eq!(s.resolve(o.properties[0].1), s.root());
    }

    #[test]
    fn self_reference_without_a_schema_is_an_error() {
        let err = Schema::parse(json!({"$ref": "#"})).unwrap_err();
        assert!(matches!(err, SchemaError::RefCycle { .. }), "{err}");
        let err = Schema::parse(json!({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"})).unwrap_err();
        assert!(matches!(err, SchemaError::RefCycle { .. }), "{err}");
    }

    fn location() -> Value {
        json!({"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"$ref": "#/definitions/degrees"}}, "definitions": {"degrees": {"type": "number", "maximum": 180}}})
    }

    #[test]
    fn a_ref_to_a_reference_name_points_into_that_schema() {
        let mut refs = ResolvedReferences::default();
        assert!(refs.insert("location.json", location()));
        assert!(
            !refs.insert("./location.json", json!({})),
            "a name is taken once"
        );
        let s = Schema::parse_with_references(
            json!({"properties": {"at": {"$ref": "location.json"}, "lon": {"$ref": "./location.json#/properties/lon"}}}),
            refs,
        )
        .unwrap();
        let Kind::Object(o) = &s.node(s.root()).kind else {
            panic!()
        };
        let at = s.resolve(o.properties[0].1);
        assert_eq!(s.node(at).doc, 1);
        assert_eq!(s.raw(at), Some(&location()));
        // The referenced schema's own `#/...` stays inside it.
        let lon = s.resolve(o.properties[1].1);
        assert_eq!(s.raw(lon), Some(&json!({"type": "number", "maximum": 180})));
    }

    #[test]
    fn a_ref_to_anything_but_a_reference_is_refused_and_names_it() {
        for uri in [
            "http://127.0.0.1:9/location.json",
            "file:///etc/passwd",
            "other.json#/a",
        ] {
            let mut refs = ResolvedReferences::default();
            refs.insert("location.json", location());
            let err = Schema::parse_with_references(json!({"$ref": uri}), refs).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, SchemaError::UnresolvedRef { .. }), "{text}");
            assert!(
                text.contains("\"location.json\"") && text.contains(uri),
                "{text}"
            );
            if uri.contains("://") {
                assert!(text.contains("never fetches"), "{text}");
            }
        }
    }

    #[test]
    fn references_may_refer_back_and_cycles_without_a_schema_are_caught() {
        // A tree of two documents referring to each other is a recursive schema.
        let mut refs = ResolvedReferences::default();
        refs.insert(
            "node.json",
            json!({"properties": {"parent": {"$ref": "tree.json"}}}),
        );
        refs.insert(
            "tree.json",
            json!({"properties": {"child": {"$ref": "node.json"}}}),
        );
        assert!(Schema::parse_with_references(json!({"$ref": "tree.json"}), refs).is_ok());
        // Two documents that are nothing but references to each other.
        let mut refs = ResolvedReferences::default();
        refs.insert("a.json", json!({"$ref": "b.json"}));
        refs.insert("b.json", json!({"$ref": "a.json"}));
        let err = Schema::parse_with_references(json!({"$ref": "a.json"}), refs).unwrap_err();
        assert!(matches!(err, SchemaError::RefCycle { .. }), "{err}");
        assert!(err.to_string().contains("a.json#"), "{err}");
    }

    #[test]
    fn a_thousand_chained_references_parse_in_linear_time() {
        // Each schema is only a reference to the next, the longest chain the walk can meet.
        let mut refs = ResolvedReferences::default();
        for i in 0..1000 {
            let next = if i == 999 {
                json!({"type": "string"})
            } else {
                json!({"$ref": format!("s{}.json", i + 1)})
            };
            refs.insert(&format!("s{i}.json"), next);
        }
        let s = Schema::parse_with_references(json!({"$ref": "s0.json"}), refs).unwrap();
        let end = s.resolve(s.root());
        assert_eq!(s.raw(end), Some(&json!({"type": "string"})));
        assert_eq!(s.node(end).doc, 1000);
    }

    #[test]
    fn dangling_ref_names_its_position() {
        let err = Schema::parse(json!({"properties": {"a": {"$ref": "#/definitions/missing"}}}))
            .unwrap_err();
        assert!(err.to_string().contains("#/properties/a/$ref"), "{err}");
    }

    #[test]
    fn each_draft_reads_what_confluents_loader_for_it_reads() {
        const D2020: &str = "https://json-schema.org/draft/2020-12/schema";
        // 2020-12 (json-sKema): no `$id` on the schema, no object node for an empty
        // `properties`, `minContains` only with `contains`, defaulting to 1.
        let s = Schema::parse(json!({"$schema": D2020, "$id": "g", "properties": {}})).unwrap();
        assert_eq!(s.node(s.root()).id, None);
        assert!(matches!(s.node(s.root()).kind, Kind::Empty));
        let s = Schema::parse(json!({"$schema": D2020, "contains": {"const": 1}})).unwrap();
        let Kind::Array(a) = &s.node(s.root()).kind else {
            panic!("array expected")
        };
        assert_eq!((a.min_contains, a.max_contains), (Some(1.0), None));
        let err =
            Schema::parse(json!({"$schema": D2020, "items": [{"type": "string"}]})).unwrap_err();
        assert!(
            err.to_string().contains("#/items") && err.to_string().contains("prefixItems"),
            "{err}"
        );
        // draft-07 (everit): keywords of later drafts are neither read nor make a node.
        let later =
            json!({"$id": "g", "unevaluatedProperties": false, "dependentRequired": {"a": ["b"]}});
        let s = Schema::parse(later).unwrap();
        assert_eq!(s.node(s.root()).id, Some(json!("g")));
        assert!(matches!(s.node(s.root()).kind, Kind::Empty));
        let s = Schema::parse(json!({"type": "object", "unevaluatedProperties": false, "dependentSchemas": {"a": {}}})).unwrap();
        let Kind::Object(o) = &s.node(s.root()).kind else {
            panic!("object expected")
        };
        assert!(o.unevaluated.is_none() && o.schema_dependencies.is_empty());
    }

    #[test]
    fn unknown_schema_url_warns_and_reads_draft_07() {
        let s =
            Schema::parse(json!({"$schema": "https://mirror.example/draft-07/schema#"})).unwrap();
        assert_eq!(s.draft, Draft::Draft7);
        assert_eq!(s.warnings.len(), 1);
    }

    #[test]
    fn wrong_keyword_shape_is_reported() {
        let err = Schema::parse(json!({"properties": {"a": {"type": 5}}})).unwrap_err();
        assert!(err.to_string().contains("#/properties/a/type"), "{err}");
        let err = Schema::parse(json!([1, 2])).unwrap_err();
        assert!(err.to_string().contains("not a JSON Schema at #"), "{err}");
    }
}
