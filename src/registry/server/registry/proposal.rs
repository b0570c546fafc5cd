//! A schema proposed for registration, lookup or a check, and what it inherits from the subject's latest version.

use super::*;

/// A schema proposed for registration, lookup or a compatibility check, read and keyed.
pub(super) struct Proposal {
    pub(super) schema_type: String,
    pub(super) text: String,
    pub(super) doc: Value,
    /// The content key of `text`; with `normalize`, `text` is normalised, so this is also the
    /// key of the normalised index.
    pub(super) key: String,
    pub(super) references: Vec<SchemaReference>,
    pub(super) metadata: Option<Value>,
    pub(super) rule_set: Option<Value>,
    pub(super) normalize: bool,
}

impl Proposal {
    pub(super) fn read(req: RegisterRequest, normalize: bool) -> Result<Proposal, ApiError> {
        if req.schema.len() > MAX_SCHEMA_BYTES {
            return Err(ApiError::SchemaTooLarge {
                size: req.schema.len(),
                limit: MAX_SCHEMA_BYTES,
            });
        }
        let schema_type = req
            .schema_type
            .as_deref()
            .unwrap_or("AVRO")
            .to_ascii_uppercase();
        if schema_type != JSON {
            return Err(ApiError::InvalidSchema(format!(
                "schema type {schema_type} is not supported: this registry serves JSON Schemas only (send \"schemaType\": \"JSON\"; a missing schemaType means AVRO)"
            )));
        }
        let doc: Value = serde_json::from_str(&req.schema)
            .map_err(|e| ApiError::InvalidSchema(format!("invalid JSON: {e}")))?;
        let doc = if normalize {
            self::normalize(&doc)
        } else {
            doc
        };
        let text = doc.to_string();
        let key = content_key(&schema_type, &req.references, &text);
        Ok(Proposal {
            schema_type,
            text,
            doc,
            key,
            references: req.references,
            metadata: req.metadata,
            rule_set: req.rule_set,
            normalize,
        })
    }

    /// Parses the schema with the engine, its references resolved in `state`; its message is
    /// the 42201 message.
    pub(super) fn parse(
        &self,
        state: &State,
    ) -> Result<(compat::Schema, Option<Metadata>), ApiError> {
        let references = state.resolve_references(&self.references)?;
        let schema = compat::Schema::parse_with_references(self.doc.clone(), references)
            .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
        let metadata = self
            .metadata
            .as_ref()
            .map(Metadata::from_json)
            .transpose()
            .map_err(|e| ApiError::InvalidSchema(format!("metadata: {e}")))?;
        Ok((schema, metadata))
    }
}

/// A registration without `metadata` or without `ruleSet` keeps those of the subject's latest
/// live version, as Confluent's registry does (outside IMPORT mode): a data contract's rules
/// stay in force when a client registers a new version without them.
pub(super) fn inherit_from_latest(
    state: &State,
    subject: &str,
    proposal: &mut Proposal,
    meta: &mut Option<Metadata>,
) {
    let Some((_, latest)) = state.live_versions(subject).pop() else {
        return;
    };
    if proposal.metadata.is_none() && latest.metadata.is_some() {
        proposal.metadata = latest.metadata.clone();
        *meta = latest.compat_metadata.clone();
    }
    if proposal.rule_set.is_none() {
        proposal.rule_set = latest.rule_set.clone();
    }
}

pub(super) static EMPTY_CONTRACT: ConfigContract = ConfigContract {
    default_metadata: None,
    override_metadata: None,
    default_rule_set: None,
    override_rule_set: None,
};

/// Merges metadata as Confluent's `Metadata.mergeMetadata` does: `tags` and `properties` are
/// maps where `new`'s keys win, `sensitive` is the union, sorted.
pub(super) fn merge_metadata(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    let (old, new) = match (old, new) {
        (None, new) => return new.cloned(),
        (old, None) => return old.cloned(),
        (Some(o), Some(n)) => (o, n),
    };
    let mut out = serde_json::Map::new();
    for key in ["tags", "properties"] {
        let o = old
            .get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty());
        let n = new
            .get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty());
        let merged = match (o, n) {
            (None, None) => continue,
            (Some(m), None) | (None, Some(m)) => m.clone(),
            (Some(o), Some(n)) => {
                let mut sorted: BTreeMap<String, Value> = o.clone().into_iter().collect();
                sorted.extend(n.clone());
                sorted.into_iter().collect()
            }
        };
        out.insert(key.into(), Value::Object(merged));
    }
    let mut sensitive: BTreeSet<String> = BTreeSet::new();
    for m in [old, new] {
        if let Some(list) = m.get("sensitive").and_then(Value::as_array) {
            sensitive.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    if !sensitive.is_empty() {
        out.insert("sensitive".into(), sensitive.into_iter().collect());
    }
    Some(Value::Object(out))
}

/// Merges rule sets as Confluent's `RuleSet.mergeRuleSets` does: per list, `old`'s rules whose
/// name `new` does not use, then `new`'s.
pub(super) fn merge_rule_sets(old: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    let (old, new) = match (old, new) {
        (None, new) => return new.cloned(),
        (old, None) => return old.cloned(),
        (Some(o), Some(n)) => (o, n),
    };
    let mut out = serde_json::Map::new();
    for key in ["migrationRules", "domainRules", "encodingRules"] {
        let list = |v: &Value| {
            v.get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (o, n) = (list(old), list(new));
        let merged = if o.is_empty() {
            n
        } else if n.is_empty() {
            o
        } else {
            let name = |r: &Value| r.get("name").cloned();
            let names: Vec<Option<Value>> = n.iter().map(name).collect();
            o.into_iter()
                .filter(|r| !names.contains(&name(r)))
                .chain(n)
                .collect()
        };
        if !merged.is_empty() {
            out.insert(key.into(), Value::Array(merged));
        }
    }
    Some(Value::Object(out))
}
