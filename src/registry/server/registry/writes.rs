//! Registration, deletes, and changes to levels, modes and contracts.

use super::*;

impl Registry {
    /// `POST /subjects/{s}/versions`: returns the id, new or existing.
    pub fn register(
        &self,
        subject: &str,
        req: RegisterRequest,
        normalize: bool,
    ) -> Result<i32, ApiError> {
        if let Some(rule_set) = &req.rule_set {
            crate::registry::server::rule_set::check(rule_set)?;
        }
        let wanted_id = req.id.filter(|&id| id > 0);
        let wanted_version = req.version.filter(|&v| v > 0);
        let mut proposal = Proposal::read(req, normalize)?;
        let mut db = self.db();
        let state = self.read();
        let (schema, mut meta) = proposal.parse(&state)?;
        Self::writable(&state, subject)?;
        let import = state.mode(subject) == Mode::Import;
        let already = |proposal: &Proposal| -> Result<Option<i32>, ApiError> {
            let Some((_, existing)) = state.find_in_subject(subject, proposal, false) else {
                return Ok(None);
            };
            if wanted_id.is_some_and(|id| id != existing.id) {
                return Err(ApiError::NotPermitted(format!(
                    "Schema already registered with id {} instead of input id {}",
                    existing.id,
                    wanted_id.unwrap_or_default()
                )));
            }
            Ok(Some(existing.id))
        };
        // As Confluent's registerOrForward does, the schema as sent is looked up first: a
        // producer that auto-registers the schema of an older version, with no rules of its
        // own, gets that version back rather than a new one carrying the latest version's rules.
        if let Some(id) = already(&proposal)? {
            return Ok(id);
        }
        if !import {
            inherit_from_latest(&state, subject, &mut proposal, &mut meta);
            let contract = state.contract_in_scope(subject);
            if !contract.is_empty() {
                let metadata = merge_metadata(
                    merge_metadata(
                        contract.default_metadata.as_ref(),
                        proposal.metadata.as_ref(),
                    )
                    .as_ref(),
                    contract.override_metadata.as_ref(),
                );
                if metadata != proposal.metadata {
                    meta = metadata
                        .as_ref()
                        .map(Metadata::from_json)
                        .transpose()
                        .map_err(|e| ApiError::InvalidSchema(format!("metadata: {e}")))?;
                    proposal.metadata = metadata;
                }
                proposal.rule_set = merge_rule_sets(
                    merge_rule_sets(
                        contract.default_rule_set.as_ref(),
                        proposal.rule_set.as_ref(),
                    )
                    .as_ref(),
                    contract.override_rule_set.as_ref(),
                );
            }
        }
        if let Some(id) = already(&proposal)? {
            return Ok(id);
        }
        let keys = Keys::new(
            &proposal.schema_type,
            &proposal.references,
            &proposal.text,
            &proposal.doc,
        );
        let identity = keys.identity(&proposal.metadata, &proposal.rule_set);
        let existing_id = state.by_identity.get(&identity).copied();
        let next_version = state
            .subjects
            .get(subject)
            .and_then(|rows| rows.keys().next_back())
            .map_or(Ok(1), |v| {
                v.checked_add(1).ok_or_else(|| {
                    ApiError::NotPermitted(format!("Subject {subject} has no versions left"))
                })
            })?;
        if !import {
            let explicit =
                |wanted: Option<i32>, would: Option<i32>| wanted.is_some_and(|w| Some(w) != would);
            if explicit(wanted_id, existing_id) || explicit(wanted_version, Some(next_version)) {
                return Err(ApiError::NotPermitted(
                    "an id or version other than the one the registry assigns can only be given in IMPORT mode".into(),
                ));
            }
            let (level, policy) = state.settings(subject);
            let against = Self::against(state.live_versions(subject), level);
            let details = incompatibilities(&schema, meta.as_ref(), &against, level, policy)?;
            if !details.is_empty() {
                return Err(ApiError::Incompatible {
                    subject: subject.to_string(),
                    details,
                });
            }
        }
        let version = wanted_version.unwrap_or(next_version);
        if state
            .subjects
            .get(subject)
            .is_some_and(|rows| rows.contains_key(&version))
        {
            return Err(ApiError::NotPermitted(format!(
                "Subject {subject} already has a version {version}"
            )));
        }
        let new_schema = match (existing_id, wanted_id) {
            (Some(id), Some(w)) if id != w => {
                return Err(ApiError::NotPermitted(format!(
                    "Schema already registered with id {id} instead of input id {w}"
                )));
            }
            (Some(_), _) => None,
            (None, Some(w)) if state.schemas.contains_key(&w) => {
                return Err(ApiError::NotPermitted(format!(
                    "Overwrite new schema with id {w} is not permitted."
                )));
            }
            (None, wanted) => Some(SchemaRow {
                id: wanted.map_or(0, i64::from),
                schema_type: proposal.schema_type.clone(),
                schema: proposal.text.clone(),
                refs: serde_json::to_string(&proposal.references).unwrap_or_default(),
                metadata: proposal.metadata.as_ref().map(Value::to_string),
                rule_set: proposal.rule_set.as_ref().map(Value::to_string),
            }),
        };
        drop(state);
        let id = db.add_version(
            new_schema.as_ref(),
            subject,
            version,
            existing_id.map_or(0, i64::from),
        )?;
        let id = i32::try_from(id)
            .map_err(|_| ApiError::Store(format!("schema id {id} exceeds 2^31-1")))?;
        let mut state = self.write();
        if new_schema.is_some() {
            let Proposal {
                schema_type,
                text,
                references,
                metadata,
                rule_set,
                ..
            } = proposal;
            state.add_schema(Arc::new(Stored::new(
                id,
                schema_type,
                text,
                references,
                metadata,
                rule_set,
                Ok(schema),
                meta,
                keys,
            )));
        }
        state.add_row(subject, version, id, false);
        Ok(id)
    }

    /// `DELETE /subjects/{s}`: the versions deleted.
    pub fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>, ApiError> {
        let mut db = self.db();
        let state = self.read();
        Self::writable(&state, subject)?;
        let rows = state
            .subjects
            .get(subject)
            .ok_or_else(|| ApiError::SubjectNotFound(subject.to_string()))?;
        let live: Vec<i32> = rows
            .iter()
            .filter(|(_, r)| !r.deleted)
            .map(|(&v, _)| v)
            .collect();
        let all: Vec<i32> = rows.keys().copied().collect();
        if permanent && !live.is_empty() {
            return Err(ApiError::SubjectNotSoftDeleted(subject.to_string()));
        }
        if !permanent && live.is_empty() {
            return Err(ApiError::SubjectSoftDeleted(subject.to_string()));
        }
        for &v in if permanent { &all } else { &live } {
            if !state.referencing(subject, v).is_empty() {
                return Err(ApiError::ReferenceExists(subject.to_string(), v));
            }
        }
        drop(state);
        if permanent {
            db.hard_delete(subject, &all, true)?;
            let mut state = self.write();
            for &v in &all {
                state.remove_row(subject, v);
            }
            state.subject_settings.remove(subject);
            state.subject_contracts.remove(subject);
            state.subject_modes.remove(subject);
            Ok(all)
        } else {
            db.soft_delete(subject, &live)?;
            let mut state = self.write();
            if let Some(rows) = state.subjects.get_mut(subject) {
                for v in &live {
                    if let Some(r) = rows.get_mut(v) {
                        r.deleted = true;
                    }
                }
            }
            Ok(live)
        }
    }

    /// `DELETE /subjects/{s}/versions/{v}`: the version deleted.
    pub fn delete_version(
        &self,
        subject: &str,
        spec: VersionRef,
        permanent: bool,
    ) -> Result<i32, ApiError> {
        let mut db = self.db();
        let state = self.read();
        Self::writable(&state, subject)?;
        let (version, row) = state.resolve(subject, spec, true)?;
        // As Confluent does, first and whether the version is live or soft-deleted: a schema
        // that references it would no longer resolve.
        if !state.referencing(subject, version).is_empty() {
            return Err(ApiError::ReferenceExists(subject.to_string(), version));
        }
        if permanent && !row.deleted {
            return Err(ApiError::VersionNotSoftDeleted(
                subject.to_string(),
                version,
            ));
        }
        if !permanent && row.deleted {
            return Err(ApiError::VersionSoftDeleted(subject.to_string(), version));
        }
        drop(state);
        if permanent {
            db.hard_delete(subject, &[version], false)?;
            self.write().remove_row(subject, version);
        } else {
            db.soft_delete(subject, &[version])?;
            let mut state = self.write();
            if let Some(r) = state
                .subjects
                .get_mut(subject)
                .and_then(|rows| rows.get_mut(&version))
            {
                r.deleted = true;
            }
        }
        Ok(version)
    }

    pub(super) fn writable(state: &State, subject: &str) -> Result<(), ApiError> {
        if state.mode(subject).is_read_only() {
            return Err(ApiError::NotPermitted(format!(
                "Subject {subject} is in read-only mode"
            )));
        }
        Ok(())
    }

    /// `PUT /config[/{s}]`: returns the update as stored (names upper-case).
    pub fn set_config(
        &self,
        subject: Option<&str>,
        req: ConfigRequest,
    ) -> Result<ConfigRequest, ApiError> {
        let level = match req.compatibility.trim() {
            "" => None,
            l => Some(parse_level(l)?),
        };
        let policy = req
            .compatibility_policy
            .as_deref()
            .map(parse_policy)
            .transpose()?;
        if level.is_none() && policy.is_none() && req.contract.is_empty() {
            return Err(ApiError::InvalidCompatibility(
                "Invalid compatibility level: the body sets neither \"compatibility\" nor \"compatibilityPolicy\" (nor a default or override metadata or rule set)".into(),
            ));
        }
        for rule_set in [
            &req.contract.default_rule_set,
            &req.contract.override_rule_set,
        ]
        .into_iter()
        .flatten()
        {
            crate::registry::server::rule_set::check(rule_set)?;
        }
        for metadata in [
            &req.contract.default_metadata,
            &req.contract.override_metadata,
        ]
        .into_iter()
        .flatten()
        {
            Metadata::from_json(metadata)
                .map_err(|e| ApiError::InvalidSchema(format!("metadata: {e}")))?;
        }
        let mut db = self.db();
        let current = {
            let state = self.read();
            match subject {
                None => state.global,
                Some(s) => state.subject_settings.get(s).copied().unwrap_or_default(),
            }
        };
        let new = Settings {
            level: level.or(current.level),
            policy: policy.or(current.policy),
        };
        let mut contract = {
            let state = self.read();
            match subject {
                None => state.global_contract.clone(),
                Some(s) => state.subject_contracts.get(s).cloned().unwrap_or_default(),
            }
        };
        contract.update(req.contract.clone());
        let contract_text =
            (!contract.is_empty()).then(|| serde_json::to_string(&contract).unwrap_or_default());
        match subject {
            None => {
                db.set_global("compatibility", new.level.map(Level::name))?;
                db.set_global("policy", new.policy.map(policy_name).as_deref())?;
                db.set_global("contract", contract_text.as_deref())?;
                let mut state = self.write();
                state.global = new;
                state.global_contract = contract;
            }
            Some(s) => {
                let policy = new.policy.map(policy_name);
                db.set_subject_config(s, Some((new.level.map(Level::name), policy.as_deref())))?;
                db.set_subject_contract(s, contract_text.as_deref())?;
                let mut state = self.write();
                state.subject_settings.insert(s.to_string(), new);
                if contract.is_empty() {
                    state.subject_contracts.remove(s);
                } else {
                    state.subject_contracts.insert(s.to_string(), contract);
                }
            }
        }
        Ok(ConfigRequest {
            compatibility: level.map(|l| l.name().to_string()).unwrap_or_default(),
            compatibility_policy: policy.map(policy_name),
            contract: req.contract,
        })
    }

    /// `DELETE /config[/{s}]`: the settings removed (the global ones fall back to defaults).
    pub fn delete_config(&self, subject: Option<&str>) -> Result<ConfigResponse, ApiError> {
        let mut db = self.db();
        let removed = self.config(subject, false)?;
        match subject {
            None => {
                db.set_global("compatibility", None)?;
                db.set_global("policy", None)?;
                db.set_global("contract", None)?;
                let mut state = self.write();
                state.global = Settings::default();
                state.global_contract = ConfigContract::default();
            }
            Some(s) => {
                db.set_subject_config(s, None)?;
                db.set_subject_contract(s, None)?;
                let mut state = self.write();
                state.subject_settings.remove(s);
                state.subject_contracts.remove(s);
            }
        }
        Ok(removed)
    }

    /// `PUT /mode[/{s}]`.
    pub fn set_mode(
        &self,
        subject: Option<&str>,
        req: ModeBody,
        force: bool,
    ) -> Result<ModeBody, ApiError> {
        let mode = Mode::parse(&req.mode).ok_or_else(|| ApiError::InvalidMode(req.mode.clone()))?;
        let mut db = self.db();
        {
            let state = self.read();
            if mode == Mode::Import && !force {
                let has_schemas = match subject {
                    None => !state.subjects.is_empty(),
                    Some(s) => state.subjects.contains_key(s),
                };
                if has_schemas {
                    return Err(ApiError::NotPermitted(
                        "Cannot import since found existing subjects (set force=true to switch to IMPORT anyway)".into(),
                    ));
                }
            }
            if mode == Mode::ReadOnlyOverride && subject.is_some() {
                return Err(ApiError::InvalidMode(format!(
                    "{} (READONLY_OVERRIDE is a global mode only)",
                    req.mode
                )));
            }
        }
        match subject {
            None => {
                db.set_global("mode", Some(mode.name()))?;
                self.write().global_mode = Some(mode);
            }
            Some(s) => {
                db.set_subject_mode(s, Some(mode.name()))?;
                self.write().subject_modes.insert(s.to_string(), mode);
            }
        }
        Ok(ModeBody {
            mode: mode.name().to_string(),
        })
    }

    /// `DELETE /mode/{s}`: the mode removed. A subject without a mode of its own is 40401, as
    /// Confluent answers, unless `recursive` (which asks for no mode to be left): then `None`.
    pub fn delete_mode(
        &self,
        subject: &str,
        recursive: bool,
    ) -> Result<Option<ModeBody>, ApiError> {
        let mut db = self.db();
        let removed = match self.mode(Some(subject), false) {
            Ok(mode) => Some(mode),
            Err(_) if recursive => None,
            Err(_) => return Err(ApiError::SubjectNotFound(subject.to_string())),
        };
        db.set_subject_mode(subject, None)?;
        self.write().subject_modes.remove(subject);
        Ok(removed)
    }

    /// `DELETE /mode`: the global mode reverts to READWRITE; the answer is the mode it had.
    /// With `recursive`, every subject's own mode is removed too.
    pub fn delete_global_mode(&self, recursive: bool) -> Result<ModeBody, ApiError> {
        let mut db = self.db();
        let removed = self.mode(None, true)?;
        let subjects: Vec<String> = if recursive {
            self.read().subject_modes.keys().cloned().collect()
        } else {
            Vec::new()
        };
        db.set_global("mode", None)?;
        for s in &subjects {
            db.set_subject_mode(s, None)?;
        }
        let mut state = self.write();
        state.global_mode = None;
        for s in &subjects {
            state.subject_modes.remove(s);
        }
        Ok(removed)
    }
}
