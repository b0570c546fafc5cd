//! The walk from a JSON document to the node arena, and the resolution of its `$ref`s.

use super::SchemaError;
use super::keywords::*;
use super::model::*;
use super::references::ResolvedReferences;
use serde_json::Value;
use std::borrow::Cow;

/// The state of one parse: the documents, the nodes loaded so far and the `$ref`s to resolve.
pub(super) struct Loader<'a> {
    /// The schema (0), then the referenced schemas in the order of `references`.
    pub(super) docs: Vec<&'a Value>,
    pub(super) references: &'a ResolvedReferences,
    /// The document being walked.
    pub(super) cur: usize,
    pub(super) draft: Draft,
    pub(super) nodes: Vec<Node>,
    /// Per document, the node loaded from each pointer, so a pointer is loaded once. The tree
    /// walk never reaches a pointer twice, so the index is built only when `$ref`s need
    /// resolving.
    pub(super) by_pointer: Option<Vec<foldhash::HashMap<String, NodeId>>>,
    /// `$ref` nodes to resolve: node, reference as written, where it is written, its document.
    pub(super) refs: Vec<(NodeId, String, String, usize)>,
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
    if needs_escape(segment) {
        let mut escaped = String::with_capacity(segment.len() + 2);
        escape_into(&mut escaped, segment);
        Cow::Owned(escaped)
    } else {
        Cow::Borrowed(segment)
    }
}

/// Appends `segment` to `out`, escaped as [`escape`] does.
pub(crate) fn escape_into(out: &mut String, segment: &str) {
    if !needs_escape(segment) {
        out.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Whether a member name holds `~` or `/`; a scan over bytes, as both are ASCII and no other
/// character's UTF-8 encoding contains their bytes.
fn needs_escape(segment: &str) -> bool {
    segment.bytes().any(|b| b == b'~' || b == b'/')
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
    pub(super) fn load(&mut self, pointer: &str) -> Result<NodeId, SchemaError> {
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

    pub(super) fn resolve_refs(&mut self) -> Result<(), SchemaError> {
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
