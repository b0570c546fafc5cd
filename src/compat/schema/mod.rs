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
//!
//! The parts: `model` holds the node types the diff walks, `keywords` the table of keywords
//! the loader reads, `loader` the walk from JSON to nodes, and `references` the schemas a
//! document's Confluent references name.

mod keywords;
mod loader;
mod model;
mod references;
#[cfg(test)]
mod tests;

pub(crate) use loader::{escape, escape_into};
pub use model::{
    Additional, ArrayNode, Criterion, Draft, Kind, Node, NodeId, NumberNode, ObjectNode, StringNode,
};
pub use references::ResolvedReferences;

use keywords::is_keyword;
use loader::Loader;
use serde_json::Value;
use thiserror::Error;

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
