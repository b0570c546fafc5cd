//! Parsing a JSON Schema document into the node model the diff walks.
//!
//! The model follows the one Confluent's registry diffs (the everit loader): a schema object
//! becomes one node per kind of constraint it carries (`enum`, a combination, `not`, `const`,
//! an explicit `type`, then keywords sniffed by kind). Several kinds at once become a synthetic
//! `allOf`, which is why `{"type":"string","enum":[..]}` diffs as a product type.
//! `$ref`s are resolved within the document; a node is loaded once per JSON pointer, so
//! recursive schemas form cycles in the arena rather than infinite trees.

use serde_json::{Map, Value};
use std::collections::HashMap;
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

    /// Recognises a `$schema` URL; `None` for a URL that names no known draft.
    fn from_url(url: &str) -> Option<(Draft, bool)> {
        let canonical = |s: &str| {
            let t = url.trim_end_matches('#');
            t == s || t == s.replacen("http://", "https://", 1)
        };
        let table = [
            (
                "http://json-schema.org/draft-04/schema",
                "draft-04",
                Draft::Draft4,
            ),
            (
                "http://json-schema.org/draft-06/schema",
                "draft-06",
                Draft::Draft6,
            ),
            (
                "http://json-schema.org/draft-07/schema",
                "draft-07",
                Draft::Draft7,
            ),
            (
                "https://json-schema.org/draft/2019-09/schema",
                "2019-09",
                Draft::Draft201909,
            ),
            (
                "https://json-schema.org/draft/2020-12/schema",
                "2020-12",
                Draft::Draft202012,
            ),
        ];
        for (url_form, _, draft) in table {
            if canonical(url_form) || canonical(&url_form.replacen("https://", "http://", 1)) {
                return Some((draft, true));
            }
        }
        table
            .iter()
            .find(|(_, tag, _)| url.contains(tag))
            .map(|&(_, _, d)| (d, false))
    }

    /// The keyword naming a schema's identifier in this draft.
    fn id_keyword(self) -> &'static str {
        if self == Draft::Draft4 { "id" } else { "$id" }
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
    /// Where the node's JSON lives in the document; `None` for a synthetic part.
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
    nodes: Vec<Node>,
    root: NodeId,
    /// The dialect the document was read as.
    pub draft: Draft,
    /// Things worth telling the user that did not stop the parse.
    pub warnings: Vec<String>,
}

const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "prefixItems",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];

impl Schema {
    /// Parses a schema document.
    pub fn parse(doc: Value) -> Result<Schema, SchemaError> {
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
        let mut loader = Loader {
            doc: &doc,
            draft,
            nodes: Vec::new(),
            by_pointer: HashMap::new(),
            indexing: false,
            refs: Vec::new(),
        };
        let root = loader.load_at("", &doc)?;
        loader.resolve_refs()?;
        let nodes = loader.nodes;
        let schema = Schema {
            doc,
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

    /// The JSON a node was read from, if it is not synthetic.
    pub fn raw(&self, id: NodeId) -> Option<&Value> {
        self.nodes[id]
            .pointer
            .as_deref()
            .and_then(|p| self.doc.pointer(p))
    }

    /// Follows `$ref`s to the node they name.
    pub fn resolve(&self, mut id: NodeId) -> NodeId {
        // Cycles were rejected at parse time, so this terminates.
        while let Kind::Ref(target) = self.nodes[id].kind {
            id = target;
        }
        id
    }

    /// Names of the root's properties, when the root is an object schema.
    pub fn root_object(&self) -> Option<&ObjectNode> {
        match &self.nodes[self.resolve(self.root)].kind {
            Kind::Object(o) => Some(o),
            _ => None,
        }
    }

    fn check_ref_cycles(&self) -> Result<(), SchemaError> {
        for (start, node) in self.nodes.iter().enumerate() {
            if !matches!(node.kind, Kind::Ref(_)) {
                continue;
            }
            let mut seen = vec![start];
            let mut id = start;
            while let Kind::Ref(target) = self.nodes[id].kind {
                if seen.contains(&target) {
                    let chain = seen
                        .iter()
                        .map(|&i| self.nodes[i].pointer.clone().unwrap_or_default())
                        .map(|p| format!("#{p}"))
                        .collect::<Vec<_>>()
                        .join(" -> ");
                    return Err(SchemaError::RefCycle {
                        pointer: format!("#{}", node.pointer.clone().unwrap_or_default()),
                        chain,
                    });
                }
                seen.push(target);
                id = target;
            }
        }
        Ok(())
    }
}

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
    [
        ANNOTATION_KEYWORDS,
        ARRAY_KEYWORDS,
        OBJECT_KEYWORDS,
        NUMBER_KEYWORDS,
        STRING_KEYWORDS,
    ]
    .iter()
    .any(|list| list.contains(&key))
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
    doc: &'a Value,
    draft: Draft,
    nodes: Vec<Node>,
    by_pointer: HashMap<String, NodeId>,
    /// Whether nodes are indexed by pointer as they load (true while resolving `$ref`s).
    indexing: bool,
    refs: Vec<(NodeId, String, String)>,
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
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

impl Loader<'_> {
    fn push(&mut self, pointer: Option<String>, kind: Kind) -> NodeId {
        self.nodes.push(Node {
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
            pointer: format!("#{pointer}/{}", escape(keyword)),
            reason: reason.into(),
        }
    }

    /// Loads the schema at `pointer` (for `$ref` targets): once per pointer.
    fn load(&mut self, pointer: &str) -> Result<NodeId, SchemaError> {
        if let Some(&id) = self.by_pointer.get(pointer) {
            return Ok(id);
        }
        let value = self
            .doc
            .pointer(pointer)
            .ok_or_else(|| SchemaError::NotASchema {
                pointer: format!("#{pointer}"),
                found: "nothing there".into(),
            })?;
        self.load_at(pointer, value)
    }

    /// Loads `value`, found at `pointer`. While the document's tree is first walked no pointer
    /// is seen twice, so the pointer index is built afterwards, in one pass; once `$ref`s are
    /// being resolved every node loaded is indexed as it is reserved, so cycles find it.
    fn load_at(&mut self, pointer: &str, value: &Value) -> Result<NodeId, SchemaError> {
        let id = match value {
            Value::Bool(true) => self.push(Some(pointer.to_string()), Kind::True),
            Value::Bool(false) => self.push(Some(pointer.to_string()), Kind::False),
            Value::Object(map) => {
                let id = self.push(Some(pointer.to_string()), Kind::Empty);
                if self.indexing {
                    self.by_pointer.insert(pointer.to_string(), id);
                }
                let kind = self.load_object(pointer, map)?;
                let node = &mut self.nodes[id];
                node.kind = kind;
                node.id = map.get(self.draft.id_keyword()).cloned();
                node.title = map.get("title").cloned();
                node.description = map.get("description").cloned();
                node.default = map.get("default").cloned();
                return Ok(id);
            }
            other => {
                return Err(SchemaError::NotASchema {
                    pointer: format!("#{pointer}"),
                    found: format!(
                        "expected an object or a boolean, found {}",
                        type_name(other)
                    ),
                });
            }
        };
        if self.indexing {
            self.by_pointer.insert(pointer.to_string(), id);
        }
        Ok(id)
    }

    fn child(
        &mut self,
        pointer: &str,
        map: &Map<String, Value>,
        keyword: &str,
    ) -> Result<NodeId, SchemaError> {
        let value = map.get(keyword).unwrap_or(&Value::Bool(true));
        self.load_at(&format!("{pointer}/{}", escape(keyword)), value)
    }

    fn load_object(
        &mut self,
        pointer: &str,
        map: &Map<String, Value>,
    ) -> Result<Kind, SchemaError> {
        if let Some(reference) = map.get("$ref") {
            let Value::String(reference) = reference else {
                return Err(self.bad(
                    "$ref",
                    pointer,
                    format!("expected a string, found {}", type_name(reference)),
                ));
            };
            let id = self.push(None, Kind::Empty);
            self.refs
                .push((id, reference.clone(), format!("#{pointer}/$ref")));
            return Ok(Kind::Ref(id));
        }
        let mut parts: Vec<Kind> = Vec::new();
        if let Some(values) = map.get("enum") {
            let Value::Array(values) = values else {
                return Err(self.bad("enum", pointer, "expected an array"));
            };
            parts.push(Kind::Enum(values.clone()));
        }
        for criterion in [Criterion::All, Criterion::Any, Criterion::One] {
            if let Some(subs) = map.get(criterion.keyword()) {
                let Value::Array(subs) = subs else {
                    return Err(self.bad(
                        criterion.keyword(),
                        pointer,
                        "expected an array of schemas",
                    ));
                };
                let base = format!("{pointer}/{}", criterion.keyword());
                let ids = (0..subs.len())
                    .map(|i| self.load_at(&format!("{base}/{i}"), &subs[i]))
                    .collect::<Result<Vec<_>, _>>()?;
                parts.push(Kind::Combined(criterion, ids));
            }
        }
        if map.contains_key("not") {
            parts.push(Kind::Not(self.child(pointer, map, "not")?));
        }
        if let Some(value) = map.get("const") {
            parts.push(Kind::Const(value.clone()));
        }
        let mut consumed: Vec<&str> = Vec::new();
        match map.get("type") {
            None => {}
            Some(Value::String(t)) => {
                let kind = self.typed(pointer, map, t, &mut consumed)?;
                parts.push(kind);
            }
            Some(Value::Array(types)) => {
                let mut ids = Vec::new();
                for (i, t) in types.iter().enumerate() {
                    let Value::String(t) = t else {
                        return Err(self.bad(
                            "type",
                            pointer,
                            format!("entry {i} is not a string"),
                        ));
                    };
                    let kind = self.typed(pointer, map, t, &mut consumed)?;
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
        let has = |keywords: &[&str]| {
            keywords
                .iter()
                .any(|k| map.contains_key(*k) && !consumed.contains(k))
        };
        if has(ARRAY_KEYWORDS) {
            parts.push(self.array(pointer, map)?);
        }
        if has(OBJECT_KEYWORDS) {
            parts.push(self.object(pointer, map)?);
        }
        if has(NUMBER_KEYWORDS) {
            parts.push(Kind::Number(self.number(pointer, map, false)?));
        }
        if has(STRING_KEYWORDS) {
            parts.push(Kind::String(self.string(pointer, map)?));
        }
        Ok(match parts.len() {
            0 => Kind::Empty,
            1 => parts.pop().unwrap_or(Kind::Empty),
            _ => {
                let ids = parts.into_iter().map(|k| self.push(None, k)).collect();
                Kind::Combined(Criterion::All, ids)
            }
        })
    }

    fn typed(
        &mut self,
        pointer: &str,
        map: &Map<String, Value>,
        t: &str,
        consumed: &mut Vec<&str>,
    ) -> Result<Kind, SchemaError> {
        Ok(match t {
            "string" => {
                consumed.extend(STRING_KEYWORDS);
                Kind::String(self.string(pointer, map)?)
            }
            "number" | "integer" => {
                consumed.extend(NUMBER_KEYWORDS);
                Kind::Number(self.number(pointer, map, t == "integer")?)
            }
            "object" => {
                consumed.extend(OBJECT_KEYWORDS);
                self.object(pointer, map)?
            }
            "array" => {
                consumed.extend(ARRAY_KEYWORDS);
                self.array(pointer, map)?
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
        map: &Map<String, Value>,
        keyword: &str,
    ) -> Result<Option<f64>, SchemaError> {
        match map.get(keyword) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x >= 0.0 && x.fract() == 0.0 => Ok(Some(x)),
                _ => Err(self.bad(
                    keyword,
                    pointer,
                    format!("expected a non-negative integer, found {n}"),
                )),
            },
            Some(other) => Err(self.bad(
                keyword,
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
        map: &Map<String, Value>,
        keyword: &str,
    ) -> Result<Option<f64>, SchemaError> {
        match map.get(keyword) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            // draft-04 boolean exclusive bounds modify minimum/maximum; the diff ignores them.
            Some(Value::Bool(_))
                if keyword.starts_with("exclusive") && self.draft == Draft::Draft4 =>
            {
                Ok(None)
            }
            Some(other) => Err(self.bad(
                keyword,
                pointer,
                format!("expected a number, found {}", type_name(other)),
            )),
        }
    }

    fn string(&self, pointer: &str, map: &Map<String, Value>) -> Result<StringNode, SchemaError> {
        let pattern = match map.get("pattern") {
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
            min_length: self.non_negative(pointer, map, "minLength")?,
            max_length: self.non_negative(pointer, map, "maxLength")?,
            pattern,
        })
    }

    fn number(
        &self,
        pointer: &str,
        map: &Map<String, Value>,
        integer: bool,
    ) -> Result<NumberNode, SchemaError> {
        let multiple_of = self.number_kw(pointer, map, "multipleOf")?;
        if multiple_of.is_some_and(|m| m <= 0.0) {
            return Err(self.bad("multipleOf", pointer, "must be greater than 0"));
        }
        Ok(NumberNode {
            minimum: self.number_kw(pointer, map, "minimum")?,
            maximum: self.number_kw(pointer, map, "maximum")?,
            exclusive_minimum: self.number_kw(pointer, map, "exclusiveMinimum")?,
            exclusive_maximum: self.number_kw(pointer, map, "exclusiveMaximum")?,
            multiple_of,
            requires_integer: integer,
        })
    }

    fn additional(
        &mut self,
        pointer: &str,
        map: &Map<String, Value>,
        keyword: &str,
    ) -> Result<Option<Additional>, SchemaError> {
        Ok(match map.get(keyword) {
            None => None,
            Some(Value::Bool(true)) => Some(Additional::Permitted),
            Some(Value::Bool(false)) => Some(Additional::Forbidden),
            Some(Value::Object(_)) => Some(Additional::Schema(self.child(pointer, map, keyword)?)),
            Some(other) => {
                return Err(self.bad(
                    keyword,
                    pointer,
                    format!("expected a schema, found {}", type_name(other)),
                ));
            }
        })
    }

    fn schema_map(
        &mut self,
        pointer: &str,
        map: &Map<String, Value>,
        keyword: &str,
    ) -> Result<Vec<(String, NodeId)>, SchemaError> {
        let Some(value) = map.get(keyword) else {
            return Ok(Vec::new());
        };
        let Value::Object(members) = value else {
            return Err(self.bad(
                keyword,
                pointer,
                format!("expected an object of schemas, found {}", type_name(value)),
            ));
        };
        let base = format!("{pointer}/{}", escape(keyword));
        members
            .iter()
            .map(|(name, value)| {
                Ok((
                    name.clone(),
                    self.load_at(&format!("{base}/{}", escape(name)), value)?,
                ))
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

    fn object(&mut self, pointer: &str, map: &Map<String, Value>) -> Result<Kind, SchemaError> {
        let properties = self.schema_map(pointer, map, "properties")?;
        let required = match map.get("required") {
            None => Vec::new(),
            Some(v) => self.string_list(pointer, v, "required")?,
        };
        let patterns = self.schema_map(pointer, map, "patternProperties")?;
        let pattern_properties = patterns
            .into_iter()
            .map(|(p, id)| {
                let regex = fancy_regex::Regex::new(&p).ok();
                (p, regex, id)
            })
            .collect();
        let mut property_dependencies = Vec::new();
        let mut schema_dependencies = Vec::new();
        if let Some(Value::Object(deps)) = map.get("dependencies") {
            for (name, dep) in deps {
                if dep.is_array() {
                    property_dependencies.push((
                        name.clone(),
                        self.string_list(pointer, dep, "dependencies")?,
                    ));
                } else {
                    let id =
                        self.load_at(&format!("{pointer}/dependencies/{}", escape(name)), dep)?;
                    schema_dependencies.push((name.clone(), id));
                }
            }
        } else if let Some(other) = map.get("dependencies") {
            return Err(self.bad(
                "dependencies",
                pointer,
                format!("expected an object, found {}", type_name(other)),
            ));
        }
        if let Some(value) = map.get("dependentRequired") {
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
        schema_dependencies.extend(self.schema_map(pointer, map, "dependentSchemas")?);
        let unevaluated = match map.get("unevaluatedProperties") {
            None => None,
            Some(_) => Some(self.child(pointer, map, "unevaluatedProperties")?),
        };
        if map.contains_key("propertyNames") {
            self.child(pointer, map, "propertyNames")?;
        }
        Ok(Kind::Object(Box::new(ObjectNode {
            properties,
            required,
            additional: self
                .additional(pointer, map, "additionalProperties")?
                .unwrap_or(Additional::Permitted),
            pattern_properties,
            min_properties: self.non_negative(pointer, map, "minProperties")?,
            max_properties: self.non_negative(pointer, map, "maxProperties")?,
            property_dependencies,
            schema_dependencies,
            unevaluated,
        })))
    }

    fn array(&mut self, pointer: &str, map: &Map<String, Value>) -> Result<Kind, SchemaError> {
        let mut node = ArrayNode::default();
        let tuple_keyword = if self.draft == Draft::Draft202012 {
            "prefixItems"
        } else {
            "items"
        };
        match map.get(tuple_keyword) {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    node.item_schemas
                        .push(self.load_at(&format!("{pointer}/{tuple_keyword}/{i}"), item)?);
                }
            }
            Some(other) if tuple_keyword == "prefixItems" => {
                return Err(self.bad(
                    "prefixItems",
                    pointer,
                    format!("expected an array of schemas, found {}", type_name(other)),
                ));
            }
            _ => {}
        }
        if self.draft == Draft::Draft202012 && map.contains_key("prefixItems") {
            node.additional = self.additional(pointer, map, "items")?;
        } else {
            if let Some(items) = map.get("items")
                && !items.is_array()
            {
                node.all_items = Some(self.child(pointer, map, "items")?);
            }
            node.additional = self.additional(pointer, map, "additionalItems")?;
        }
        if map.contains_key("contains") {
            self.child(pointer, map, "contains")?;
        }
        node.min_items = self.non_negative(pointer, map, "minItems")?;
        node.max_items = self.non_negative(pointer, map, "maxItems")?;
        node.min_contains = self.non_negative(pointer, map, "minContains")?;
        node.max_contains = self.non_negative(pointer, map, "maxContains")?;
        node.unique_items = match map.get("uniqueItems") {
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
        if map.contains_key("unevaluatedItems") {
            node.unevaluated = Some(self.child(pointer, map, "unevaluatedItems")?);
        }
        Ok(Kind::Array(Box::new(node)))
    }

    fn resolve_refs(&mut self) -> Result<(), SchemaError> {
        if self.refs.is_empty() {
            return Ok(());
        }
        self.by_pointer = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(id, n)| Some((n.pointer.clone()?, id)))
            .collect();
        self.indexing = true;
        while let Some((id, reference, at)) = self.refs.pop() {
            let target = self.ref_pointer(&reference, &at)?;
            let target_id = self.load(&target)?;
            self.nodes[id].kind = Kind::Ref(target_id);
            self.nodes[id].pointer = Some(target);
        }
        Ok(())
    }

    fn ref_pointer(&self, reference: &str, at: &str) -> Result<String, SchemaError> {
        let unresolved = |hint: &str| SchemaError::UnresolvedRef {
            reference: reference.to_string(),
            pointer: at.to_string(),
            hint: hint.to_string(),
        };
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(unresolved(
                ": only references inside the document (\"#/...\") are supported; inline the referenced schema",
            ));
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(unresolved(
                ": anchors are not supported; use a JSON pointer such as \"#/definitions/name\"",
            ));
        }
        let pointer = percent_decode(fragment);
        if self.doc.pointer(&pointer).is_none() {
            return Err(unresolved(": nothing at that JSON pointer"));
        }
        Ok(pointer)
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

    #[test]
    fn dangling_ref_names_its_position() {
        let err = Schema::parse(json!({"properties": {"a": {"$ref": "#/definitions/missing"}}}))
            .unwrap_err();
        assert!(err.to_string().contains("#/properties/a/$ref"), "{err}");
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
