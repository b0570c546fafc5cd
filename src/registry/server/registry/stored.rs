//! A registered schema, with what is derived from it once, and the keys schemas are matched by.

use super::*;
use crate::registry::server::store::CorruptData;
use thiserror::Error;

/// Why a stored schema can no longer take part in compatibility checks.
#[derive(Debug, Error)]
pub enum Unparsable {
    /// Its references no longer resolve.
    #[error(transparent)]
    References(ApiError),
    /// It no longer parses as a JSON Schema.
    #[error(transparent)]
    Schema(compat::SchemaError),
}

/// A registered schema, with everything derived from it once.
#[derive(Debug)]
pub struct Stored {
    /// The global id.
    pub id: i32,
    /// The schema type (`JSON`).
    pub schema_type: String,
    /// The schema text as served (compact; sorted keys when registered with `normalize`).
    pub text: String,
    /// References.
    pub references: Vec<SchemaReference>,
    /// Metadata as registered.
    pub metadata: Option<Value>,
    /// Rule set as registered.
    pub rule_set: Option<Value>,
    pub(super) parsed: Result<compat::Schema, Unparsable>,
    pub(super) compat_metadata: Option<Metadata>,
    pub(super) content_key: String,
    pub(super) normalized_key: String,
    pub(super) identity_key: String,
    /// The GUID (Confluent 8): the MD5 of the content, as Confluent derives it.
    pub guid: uuid::Uuid,
    /// The body of `GET /schemas/ids/{id}` and `GET /schemas/guids/{guid}`, serialised once.
    pub by_id_body: Bytes,
}

impl Stored {
    pub(super) fn from_row(row: SchemaRow, state: &State) -> Result<Stored, CorruptData> {
        let id = i32::try_from(row.id).map_err(|_| CorruptData::SchemaIdOutOfRange(row.id))?;
        let references: Vec<SchemaReference> = serde_json::from_str(&row.refs)
            .map_err(|source| CorruptData::References { id, source })?;
        let json = |t: Option<String>| {
            t.map(|t| serde_json::from_str::<Value>(&t))
                .transpose()
                .map_err(|source| CorruptData::MetadataOrRuleSet { id, source })
        };
        let metadata = json(row.metadata)?;
        let rule_set = json(row.rule_set)?;
        let doc: Value = serde_json::from_str(&row.schema)
            .map_err(|source| CorruptData::NotJson { id, source })?;
        let keys = Keys::new(&row.schema_type, &references, &row.schema, &doc);
        // Referenced schemas have lower ids, so they are loaded already.
        let parsed = state
            .resolve_references(&references)
            .map_err(Unparsable::References)
            .and_then(|refs| {
                compat::Schema::parse_with_references(doc, refs).map_err(Unparsable::Schema)
            });
        let compat_metadata = metadata
            .as_ref()
            .map(Metadata::from_json)
            .transpose()
            .unwrap_or_default();
        Ok(Stored::new(
            id,
            row.schema_type,
            row.schema,
            references,
            metadata,
            rule_set,
            parsed,
            compat_metadata,
            keys,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        id: i32,
        schema_type: String,
        text: String,
        references: Vec<SchemaReference>,
        metadata: Option<Value>,
        rule_set: Option<Value>,
        parsed: Result<compat::Schema, Unparsable>,
        compat_metadata: Option<Metadata>,
        keys: Keys,
    ) -> Stored {
        let identity_key = keys.identity(&metadata, &rule_set);
        let guid = schema_guid(&text, &references, metadata.as_ref(), rule_set.as_ref());
        let by_id_body = Bytes::from(
            serde_json::to_vec(&SchemaById {
                schema_type: Some(schema_type.clone()),
                schema: text.clone(),
                references: references.clone(),
                metadata: metadata.clone(),
                rule_set: rule_set.clone(),
                guid: Some(guid.to_string()),
            })
            .unwrap_or_default(),
        );
        Stored {
            id,
            schema_type,
            text,
            references,
            metadata,
            rule_set,
            parsed,
            compat_metadata,
            content_key: keys.content,
            normalized_key: keys.normalized,
            identity_key,
            guid,
            by_id_body,
        }
    }

    pub(super) fn schema(&self) -> Result<&compat::Schema, ApiError> {
        self.parsed.as_ref().map_err(|e| {
            ApiError::Store(format!("stored schema {} no longer parses: {e}", self.id))
        })
    }

    pub(super) fn record(&self, subject: &str, version: i32) -> SubjectVersion {
        SubjectVersion {
            subject: subject.to_string(),
            version,
            id: self.id,
            schema_type: Some(self.schema_type.clone()),
            schema: self.text.clone(),
            references: self.references.clone(),
            metadata: self.metadata.clone(),
            rule_set: self.rule_set.clone(),
            guid: Some(self.guid.to_string()),
        }
    }
}

/// The strings a schema is matched by: its content (type, references, text as given), its
/// normalised content, and its identity (content plus metadata and rule set), which picks the id.
pub(super) struct Keys {
    pub(super) content: String,
    pub(super) normalized: String,
}

/// The content key: type, references and text.
pub(super) fn content_key(schema_type: &str, references: &[SchemaReference], text: &str) -> String {
    let refs = serde_json::to_string(references).unwrap_or_default();
    format!("{schema_type}\n{refs}\n{text}")
}

impl Keys {
    pub(super) fn new(
        schema_type: &str,
        references: &[SchemaReference],
        text: &str,
        doc: &Value,
    ) -> Keys {
        Keys {
            content: content_key(schema_type, references, text),
            normalized: content_key(schema_type, references, &normalize(doc).to_string()),
        }
    }

    pub(super) fn identity(&self, metadata: &Option<Value>, rule_set: &Option<Value>) -> String {
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
        format!("{}\n{}\n{}", self.content, text(metadata), text(rule_set))
    }
}

/// The document with every object's keys sorted: what `?normalize=true` compares and stores.
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), normalize(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}
