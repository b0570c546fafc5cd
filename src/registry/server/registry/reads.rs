//! Lookups: subjects, versions, schemas by id or GUID, configs and modes.

use super::*;

/// Whether a rule set has a rule of `rule_type` among its migration, domain or encoding rules.
fn has_rule_of_type(rule_set: Option<&Value>, rule_type: &str) -> bool {
    let Some(rule_set) = rule_set else {
        return false;
    };
    ["migrationRules", "domainRules", "encodingRules"]
        .iter()
        .filter_map(|list| rule_set.get(list)?.as_array())
        .flatten()
        .any(|rule| rule.get("type").and_then(Value::as_str) == Some(rule_type))
}

impl Registry {
    /// `GET /subjects`.
    pub fn subjects(&self, deleted: bool, prefix: Option<&str>) -> Vec<String> {
        let state = self.read();
        state
            .subjects
            .iter()
            .filter(|(s, _)| prefix.is_none_or(|p| s.starts_with(p)))
            .filter(|(_, rows)| deleted || rows.values().any(|r| !r.deleted))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// `GET /schemas`: every version of the subjects starting with `filter.subject_prefix`, by
    /// subject then version (the newest one of each subject only with `latest_only`), then
    /// paged. As in Confluent, `latest_only` with `deleted` may pick a soft-deleted version.
    pub fn list_schemas(&self, filter: &SchemaFilter<'_>) -> Vec<SubjectVersion> {
        let state = self.read();
        let mut out = Vec::new();
        let subjects = state
            .subjects
            .iter()
            .filter(|(s, _)| s.starts_with(filter.subject_prefix));
        for (subject, rows) in subjects {
            let mut visible = rows.iter().filter(|(_, r)| filter.deleted || !r.deleted);
            let picked: Vec<(&i32, &Row)> = if filter.latest_only {
                visible.next_back().into_iter().collect()
            } else {
                visible.collect()
            };
            for (&version, row) in picked {
                let Some(stored) = state.schemas.get(&row.id) else {
                    continue;
                };
                if filter
                    .rule_type
                    .is_some_and(|t| !has_rule_of_type(stored.rule_set.as_ref(), t))
                {
                    continue;
                }
                out.push(stored.record(subject, version));
            }
        }
        out.into_iter()
            .skip(filter.offset)
            .take(filter.limit)
            .collect()
    }

    /// `GET /subjects/{s}/metadata`: the newest version whose `metadata.properties` hold every
    /// `wanted` pair; 40401 without versions, 40403 when none matches, as Confluent answers.
    pub fn latest_with_metadata(
        &self,
        subject: &str,
        wanted: &BTreeMap<String, String>,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let state = self.read();
        let rows = state.rows(subject, deleted)?;
        let holds = |stored: &Stored| {
            let properties = stored
                .metadata
                .as_ref()
                .and_then(|m| m.get("properties"))
                .and_then(Value::as_object);
            properties.is_some_and(|p| {
                wanted
                    .iter()
                    .all(|(k, v)| p.get(k).and_then(Value::as_str) == Some(v.as_str()))
            })
        };
        rows.iter()
            .rev()
            .filter(|(_, r)| deleted || !r.deleted)
            .filter_map(|(&v, r)| Some((v, state.schemas.get(&r.id)?)))
            .find(|(_, stored)| holds(stored))
            .map(|(v, stored)| stored.record(subject, v))
            .ok_or(ApiError::SchemaNotUnderSubject)
    }

    /// `GET /subjects/{s}/versions`.
    pub fn versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>, ApiError> {
        let state = self.read();
        let rows = state.rows(subject, deleted)?;
        Ok(rows
            .iter()
            .filter(|(_, r)| deleted || !r.deleted)
            .map(|(&v, _)| v)
            .collect())
    }

    /// `GET /subjects/{s}/versions/{v}`.
    pub fn version(
        &self,
        subject: &str,
        spec: VersionRef,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let state = self.read();
        let (version, row) = state.resolve(subject, spec, deleted)?;
        Ok(state.stored(row.id)?.record(subject, version))
    }

    /// `GET /schemas/ids/{id}`: a schema used by at least one version, live or soft-deleted.
    pub fn schema(&self, id: i64) -> Result<Arc<Stored>, ApiError> {
        let state = self.read();
        i32::try_from(id)
            .ok()
            .filter(|id| state.uses.contains_key(id))
            .and_then(|id| state.schemas.get(&id).cloned())
            .ok_or_else(|| ApiError::SchemaNotFound(id.to_string()))
    }

    /// `GET /schemas/guids/{guid}`: the schema with that content, used by at least one version,
    /// live or soft-deleted. Anything that is not a GUID is not found, as with ids.
    pub fn schema_by_guid(&self, guid: &str) -> Result<Arc<Stored>, ApiError> {
        let state = self.read();
        uuid::Uuid::parse_str(guid)
            .ok()
            .and_then(|g| state.by_guid.get(&g))
            .filter(|id| state.uses.contains_key(id))
            .and_then(|id| state.schemas.get(id).cloned())
            .ok_or_else(|| ApiError::SchemaNotFound(guid.to_string()))
    }

    /// `GET /schemas/ids/{id}/versions`.
    pub fn schema_versions(
        &self,
        id: i64,
        deleted: bool,
    ) -> Result<Vec<SubjectAndVersion>, ApiError> {
        let state = self.read();
        let uses = i32::try_from(id)
            .ok()
            .and_then(|id| state.uses.get(&id))
            .ok_or_else(|| ApiError::SchemaNotFound(id.to_string()))?;
        Ok(uses
            .iter()
            .filter(|(s, v)| {
                deleted
                    || state
                        .subjects
                        .get(s)
                        .and_then(|rows| rows.get(v))
                        .is_some_and(|r| !r.deleted)
            })
            .map(|(s, v)| SubjectAndVersion {
                subject: s.clone(),
                version: *v,
            })
            .collect())
    }

    /// `GET /schemas/ids/{id}/subjects`.
    pub fn schema_subjects(&self, id: i64, deleted: bool) -> Result<Vec<String>, ApiError> {
        let mut subjects: Vec<String> = self
            .schema_versions(id, deleted)?
            .into_iter()
            .map(|sv| sv.subject)
            .collect();
        subjects.dedup();
        Ok(subjects)
    }

    /// `GET /subjects/{s}/versions/{v}/referencedby`.
    pub fn referenced_by(&self, subject: &str, spec: VersionRef) -> Result<Vec<i32>, ApiError> {
        let state = self.read();
        let (version, _) = state.resolve(subject, spec, false)?;
        Ok(state.referencing(subject, version))
    }

    /// `POST /subjects/{s}`: the version of `subject` holding this schema.
    pub fn lookup(
        &self,
        subject: &str,
        req: RegisterRequest,
        normalize: bool,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let proposal = Proposal::read(req, normalize)?;
        let state = self.read();
        state.rows(subject, deleted)?;
        let (version, stored) = state
            .find_in_subject(subject, &proposal, deleted)
            .ok_or(ApiError::SchemaNotUnderSubject)?;
        Ok(stored.record(subject, version))
    }

    /// `GET /config[/{s}]`; 40408 when the subject has no settings of its own.
    pub fn config(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ConfigResponse, ApiError> {
        let state = self.read();
        let global = || {
            (
                state.global.level,
                state.global.policy,
                state.global_contract.clone(),
            )
        };
        let (level, policy, contract) = match subject {
            None => global(),
            Some(s) => {
                let own = state.subject_settings.get(s);
                let contract = state.subject_contracts.get(s);
                match (own, contract) {
                    (None, None) if default_to_global => global(),
                    (None, None) => return Err(ApiError::NoSubjectConfig(s.to_string())),
                    (own, contract) => {
                        let own = own.copied().unwrap_or_default();
                        (own.level, own.policy, contract.cloned().unwrap_or_default())
                    }
                }
            }
        };
        Ok(ConfigResponse {
            compatibility_level: level
                .or(state.global.level)
                .unwrap_or(Level::Backward)
                .to_string(),
            compatibility_policy: policy.map(policy_name),
            contract,
        })
    }

    /// `GET /mode[/{s}]`.
    pub fn mode(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ModeBody, ApiError> {
        let state = self.read();
        let global = state.global_mode.unwrap_or(Mode::ReadWrite);
        let mode = match subject {
            None => global,
            Some(s) => match state.subject_modes.get(s) {
                Some(&m) => m,
                None if default_to_global => global,
                None => return Err(ApiError::NoSubjectMode(s.to_string())),
            },
        };
        Ok(ModeBody {
            mode: mode.name().to_string(),
        })
    }
}
