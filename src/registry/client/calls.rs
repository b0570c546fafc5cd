//! One method per REST call of the Confluent Schema Registry API
//! (`docs/confluent-registry-api.md`), and the reading of `schema_registry_converter`'s answers
//! into the wire types.

use super::super::model::{
    ConfigRequest, ConfigResponse, ModeBody, RegisterRequest, RegisterResponse, SchemaById,
    SchemaReference, SubjectVersion, VersionRef, codes,
};
use super::{
    CompatCheck, CompatScope, LevelConfig, RegistryClient, RegistryError, SubjectSettings,
    encode_subject,
};
use crate::compat::{Level, Policy};
use reqwest::Method;
use schema_registry_converter::async_impl::schema_registry as sr;
use schema_registry_converter::schema_registry_common::{
    RegisteredSchema, SchemaType, SuppliedSchema,
};

/// How many requests a bulk read keeps in flight.
const IN_FLIGHT: usize = 4;

impl RegistryClient {
    /// Every live subject (`GET /subjects`).
    pub async fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        self.converter("GET /subjects", || sr::get_all_subjects(&self.sr))
            .await
    }

    /// The live versions of a subject, oldest first (`GET /subjects/{s}/versions`).
    pub async fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        let s = encode_subject(subject)?;
        let op = format!("GET /subjects/{s}/versions");
        let versions = self
            .converter(&op, || sr::get_all_versions(&self.sr, s.clone()))
            .await?;
        versions
            .into_iter()
            .map(|v| i32::try_from(v).map_err(|_| self.protocol(&op, format!("version {v}"))))
            .collect()
    }

    /// One version of a subject (`GET /subjects/{s}/versions/{v}`).
    pub async fn version(
        &self,
        subject: &str,
        version: VersionRef,
    ) -> Result<SubjectVersion, RegistryError> {
        let s = encode_subject(subject)?;
        let op = format!("GET /subjects/{s}/versions/{version}");
        let wanted = match version {
            VersionRef::Latest => None,
            VersionRef::Number(n) => Some(n.unsigned_abs()),
        };
        let found = self
            .converter(&op, || {
                sr::get_schema_by_subject_and_version(&self.sr, &s, wanted)
            })
            .await?;
        let number = found
            .version
            .or(wanted)
            .ok_or_else(|| self.protocol(&op, "no version in the answer".into()))?;
        Ok(SubjectVersion {
            subject: subject.to_string(),
            version: i32::try_from(number)
                .map_err(|_| self.protocol(&op, format!("version {number}")))?,
            id: self.id(&op, found.id)?,
            schema_type: Some(type_name(&found.schema_type)),
            references: references(&found),
            metadata: metadata(&found),
            // The converter does not return rule sets; nothing here reads them.
            rule_set: None,
            guid: found.guid,
            schema: found.schema,
        })
    }

    /// One version of a subject as the registry answers it, `metadata` and `ruleSet` included
    /// (which [`RegistryClient::version`], through the converter, does not return).
    pub async fn version_with_rules(
        &self,
        subject: &str,
        version: VersionRef,
    ) -> Result<SubjectVersion, RegistryError> {
        let s = encode_subject(subject)?;
        let path = format!("/subjects/{s}/versions/{version}");
        self.call::<SubjectVersion, ()>(Method::GET, &path, None, true)
            .await
    }

    /// These versions of a subject, in the order given, a few requests at a time.
    pub async fn versions_of(
        &self,
        subject: &str,
        numbers: &[i32],
    ) -> Result<Vec<SubjectVersion>, RegistryError> {
        use futures_util::{StreamExt, TryStreamExt, stream};
        // Owned numbers: a closure over `&i32` makes the future not provably `Send`.
        stream::iter(numbers.to_vec())
            .map(|n| self.version(subject, VersionRef::Number(n)))
            .buffered(IN_FLIGHT)
            .try_collect()
            .await
    }

    /// A schema by its global id (`GET /schemas/ids/{id}`).
    pub async fn schema_by_id(&self, id: i32) -> Result<SchemaById, RegistryError> {
        let op = format!("GET /schemas/ids/{id}");
        let found = self
            .converter(&op, || sr::get_schema_by_id(id.unsigned_abs(), &self.sr))
            .await?;
        Ok(by_id(found))
    }

    /// A schema by its GUID (`GET /schemas/guids/{guid}`, Confluent 8 and schemactl's registry),
    /// soft-deleted versions included as Kafka readers need them.
    pub async fn schema_by_guid(&self, guid: &uuid::Uuid) -> Result<SchemaById, RegistryError> {
        let guid = guid.to_string();
        let op = format!("GET /schemas/guids/{guid}");
        let found = self
            .converter(&op, || sr::get_schema_by_guid(&guid, &self.sr))
            .await?;
        Ok(by_id(found))
    }

    /// Finds `schema` among the subject's versions (`POST /subjects/{s}`): `None` when the
    /// subject does not exist or does not hold it.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &RegisterRequest,
        normalize: bool,
    ) -> Result<Option<SubjectVersion>, RegistryError> {
        let s = encode_subject(subject)?;
        let path = format!("/subjects/{s}?normalize={normalize}");
        match self.call(Method::POST, &path, Some(schema), true).await {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.is_code(&[codes::SUBJECT_NOT_FOUND, codes::SCHEMA_NOT_FOUND]) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Registers `schema` under the subject and returns its global id
    /// (`POST /subjects/{s}/versions`). An identical schema returns the existing id, so this is
    /// safe to repeat; an incompatible one fails with [`RegistryError::is_incompatible`].
    pub async fn register(
        &self,
        subject: &str,
        schema: &RegisterRequest,
        normalize: bool,
    ) -> Result<i32, RegistryError> {
        let s = encode_subject(subject)?;
        // The converter covers the plain case; it cannot send `normalize`, references to
        // already registered schemas, or opaque metadata and rule sets.
        let plain = !normalize
            && schema.references.is_empty()
            && schema.metadata.is_none()
            && schema.rule_set.is_none();
        if plain {
            let op = format!("POST /subjects/{s}/versions");
            let supplied = SuppliedSchema::new(
                None,
                schema_type(schema.schema_type.as_deref()),
                schema.schema.clone(),
            );
            let found = self
                .converter(&op, || {
                    sr::post_schema(&self.sr, s.clone(), supplied.clone())
                })
                .await?;
            return self.id(&op, found.id);
        }
        let path = format!("/subjects/{s}/versions?normalize={normalize}");
        let answer: RegisterResponse = self.call(Method::POST, &path, Some(schema), true).await?;
        Ok(answer.id)
    }

    /// Asks the registry whether `schema` could be registered under the subject, against the
    /// versions its level names, with reasons (`?verbose=true`). Servers without that form get
    /// the check against the latest version instead, and the answer says so.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        schema: &RegisterRequest,
    ) -> Result<CompatCheck, RegistryError> {
        let s = encode_subject(subject)?;
        let all = format!("/compatibility/subjects/{s}/versions?verbose=true");
        match self.call(Method::POST, &all, Some(schema), true).await {
            Ok(response) => Ok(CompatCheck {
                response,
                scope: CompatScope::Level,
            }),
            // A missing route, not a missing subject or version.
            Err(RegistryError::Api {
                status: 404 | 405,
                code,
                ..
            }) if code != codes::SUBJECT_NOT_FOUND && code != codes::VERSION_NOT_FOUND => {
                tracing::info!(
                    "{} lacks the all-versions check; asking against latest",
                    self.base
                );
                let latest = format!("/compatibility/subjects/{s}/versions/latest?verbose=true");
                let response = self.call(Method::POST, &latest, Some(schema), true).await?;
                Ok(CompatCheck {
                    response,
                    scope: CompatScope::Latest,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The subject's own level and policy (`GET /config/{s}`), `None` when it has no level of
    /// its own and falls back to the global one.
    pub async fn subject_config(
        &self,
        subject: &str,
    ) -> Result<Option<LevelConfig>, RegistryError> {
        let path = format!("/config/{}", encode_subject(subject)?);
        match self
            .call::<ConfigResponse, ()>(Method::GET, &path, None, true)
            .await
        {
            Ok(c) => self.level_config(&path, &c).map(Some),
            Err(e)
                if e.is_code(&[
                    codes::SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
                    codes::SUBJECT_NOT_FOUND,
                ]) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The subject's own settings and the global ones (two requests).
    pub async fn subject_settings(&self, subject: &str) -> Result<SubjectSettings, RegistryError> {
        Ok(SubjectSettings {
            own: self.subject_config(subject).await?,
            global: self.global_config().await?,
        })
    }

    /// The subject's own level, `None` when it falls back to the global one.
    pub async fn subject_level(&self, subject: &str) -> Result<Option<Level>, RegistryError> {
        Ok(self.subject_config(subject).await?.map(|c| c.level))
    }

    /// The global level and policy (`GET /config`).
    pub async fn global_config(&self) -> Result<LevelConfig, RegistryError> {
        let c: ConfigResponse = self.call(Method::GET, "/config", None::<&()>, true).await?;
        self.level_config("/config", &c)
    }

    /// The global level.
    pub async fn global_level(&self) -> Result<Level, RegistryError> {
        Ok(self.global_config().await?.level)
    }

    /// Sets the subject's level, or the global one (`PUT /config[/{s}]`).
    pub async fn set_level(
        &self,
        subject: Option<&str>,
        level: Level,
    ) -> Result<(), RegistryError> {
        self.set_config(subject, level, None).await
    }

    /// Sets the level and, when given, the policy (`compatibilityPolicy`, which schemactl's
    /// registry honours and Confluent's ignores), of a subject or globally.
    pub async fn set_config(
        &self,
        subject: Option<&str>,
        level: Level,
        policy: Option<Policy>,
    ) -> Result<(), RegistryError> {
        let path = match subject {
            Some(s) => format!("/config/{}", encode_subject(s)?),
            None => "/config".into(),
        };
        let body = ConfigRequest {
            compatibility: level.name().to_string(),
            compatibility_policy: policy.map(|p| p.name().to_ascii_uppercase()),
            ..ConfigRequest::default()
        };
        let _: serde_json::Value = self.call(Method::PUT, &path, Some(&body), true).await?;
        Ok(())
    }

    /// The mode, of a subject or global (`GET /mode[/{s}]`).
    pub async fn mode(&self, subject: Option<&str>) -> Result<String, RegistryError> {
        let path = match subject {
            Some(s) => format!("/mode/{}", encode_subject(s)?),
            None => "/mode".into(),
        };
        let m: ModeBody = self.call(Method::GET, &path, None::<&()>, true).await?;
        Ok(m.mode)
    }

    /// Sets the mode, of a subject or global (`PUT /mode[/{s}]`).
    pub async fn set_mode(&self, subject: Option<&str>, mode: &str) -> Result<(), RegistryError> {
        let path = match subject {
            Some(s) => format!("/mode/{}", encode_subject(s)?),
            None => "/mode".into(),
        };
        let body = ModeBody {
            mode: mode.to_string(),
        };
        let _: serde_json::Value = self.call(Method::PUT, &path, Some(&body), true).await?;
        Ok(())
    }

    /// Deletes a subject (`DELETE /subjects/{s}[?permanent=true]`) and returns the versions
    /// deleted. Confluent requires a soft delete before a permanent one.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i32>, RegistryError> {
        let path = format!(
            "/subjects/{}?permanent={permanent}",
            encode_subject(subject)?
        );
        self.call(Method::DELETE, &path, None::<&()>, false).await
    }

    /// Deletes one version (`DELETE /subjects/{s}/versions/{v}[?permanent=true]`) and returns
    /// its number.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: VersionRef,
        permanent: bool,
    ) -> Result<i32, RegistryError> {
        let path = format!(
            "/subjects/{}/versions/{version}?permanent={permanent}",
            encode_subject(subject)?
        );
        self.call(Method::DELETE, &path, None::<&()>, false).await
    }
}

fn type_name(t: &SchemaType) -> String {
    match t {
        SchemaType::Avro => "AVRO".into(),
        SchemaType::Protobuf => "PROTOBUF".into(),
        SchemaType::Json => "JSON".into(),
        SchemaType::Other(other) => other.clone(),
        // The enum is non-exhaustive; a future kind keeps its debug name.
        other => format!("{other:?}").to_uppercase(),
    }
}

fn schema_type(name: Option<&str>) -> SchemaType {
    match name {
        None | Some("AVRO") => SchemaType::Avro,
        Some("JSON") => SchemaType::Json,
        Some("PROTOBUF") => SchemaType::Protobuf,
        Some(other) => SchemaType::Other(other.to_string()),
    }
}

fn by_id(found: RegisteredSchema) -> SchemaById {
    SchemaById {
        schema_type: Some(type_name(&found.schema_type)),
        references: references(&found),
        metadata: metadata(&found),
        rule_set: None,
        guid: found.guid.clone(),
        schema: found.schema,
    }
}

fn references(found: &RegisteredSchema) -> Vec<SchemaReference> {
    found
        .references
        .iter()
        .map(|r| SchemaReference {
            name: r.name.clone(),
            subject: r.subject.clone(),
            version: i32::try_from(r.version).unwrap_or(i32::MAX),
        })
        .collect()
}

fn metadata(found: &RegisteredSchema) -> Option<serde_json::Value> {
    if found.properties.is_none() && found.tags.is_none() {
        return None;
    }
    let mut m = serde_json::Map::new();
    if let Some(p) = &found.properties {
        m.insert("properties".into(), serde_json::json!(p));
    }
    if let Some(t) = &found.tags {
        m.insert("tags".into(), serde_json::json!(t));
    }
    Some(serde_json::Value::Object(m))
}
