//! The schemas a document's Confluent `references` name.

use serde_json::Value;

/// The schemas a schema's Confluent `references` name, resolved transitively and flattened by
/// reference name, as Confluent's registry hands them to its loader: a `$ref` whose URI is a
/// reference's name (with or without a leading `./`), optionally with a `#/...` fragment,
/// points into that schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResolvedReferences {
    pub(super) docs: Vec<(String, Value)>,
    pub(super) by_name: std::collections::HashMap<String, usize>,
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
    pub(super) fn find(&self, uri: &str) -> Option<usize> {
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

    pub(super) fn names(&self) -> String {
        self.docs
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
