//! A client for the Confluent Schema Registry REST API, as `docs/confluent-registry-api.md`
//! describes it.
//!
//! Fetching and registering schemas go through `schema_registry_converter`, whose
//! [`SrSettings`] the wire-format encoders and decoders share ([`RegistryClient::sr_settings`]).
//! What it lacks (lookup, compatibility, config, mode, deletes, `normalize`) goes through
//! `reqwest` directly. Both are built from one `reqwest` configuration: one HTTP stack, one TLS
//! stack (native-tls), the same timeout, CA bundle, client certificate and credentials.
//!
//! Transient failures (connection errors, 5xx, 429) are retried with exponential backoff on
//! idempotent calls; other 4xx never are, and neither are timeouts, which have already spent the
//! whole budget. Error `messages` from the registry are shown, never parsed.

use super::model::{
    CONTENT_TYPE, CompatibilityResponse, ConfigRequest, ConfigResponse, ModeBody, RegisterRequest,
    RegisterResponse, SchemaById, SchemaReference, SubjectVersion, VersionRef, codes,
};
use crate::compat::{Level, Policy};
use crate::config::{
    Auth, ENV_BASIC_AUTH, ENV_BEARER_TOKEN, ENV_CA_FILE, ENV_CLIENT_CERT, ENV_CLIENT_KEY,
    RegistrySettings,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use schema_registry_converter::async_impl::schema_registry::{self as sr, SrSettings};
use schema_registry_converter::error::SRCError;
use schema_registry_converter::schema_registry_common::{
    RawError, RegisteredSchema, SchemaType, SuppliedSchema,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Characters left as they are in a path segment: RFC 3986 "unreserved". Everything else,
/// `/`, `%`, `?`, `#`, spaces and non-ASCII included, is percent-encoded as UTF-8.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The longest wait a `Retry-After` header may impose on one retry.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// What went wrong talking to the registry.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// No URL anywhere.
    #[error(
        "no schema registry configured\nhelp: pass --registry URL, set SCHEMA_REGISTRY_URL, or set url under [registry] in schemactl.toml"
    )]
    NotConfigured,
    /// The settings cannot make a client (bad URL, unreadable CA bundle or certificate).
    #[error("{0}")]
    Setup(String),
    /// A subject name no HTTP path can carry.
    #[error(
        "subject \"{0}\" cannot be addressed over HTTP: URL parsers read \".\" and \"..\" as path steps, even percent-encoded\nhelp: choose another subject name"
    )]
    UnaddressableSubject(String),
    /// Nothing answered: connection refused, DNS, TLS handshake, connection dropped.
    #[error("cannot reach the schema registry at {url} ({op}): {reason}\nhelp: {help}")]
    Unreachable {
        /// The registry.
        url: String,
        /// The call.
        op: String,
        /// The underlying error chain.
        reason: String,
        /// What to check.
        help: String,
        /// Whether it failed while connecting (so the request was never sent).
        connecting: bool,
    },
    /// The TLS handshake failed: an untrusted server certificate, or a client certificate the
    /// registry wants and did not get. Not retried: the next handshake fails the same way.
    #[error("TLS with the schema registry at {url} failed ({op}): {reason}\nhelp: {help}")]
    Tls {
        /// The registry.
        url: String,
        /// The call.
        op: String,
        /// The underlying error chain.
        reason: String,
        /// What to check.
        help: String,
    },
    /// The registry accepted the connection but did not answer in time.
    #[error(
        "the schema registry at {url} did not answer {op} within {secs} s\nhelp: check that the registry is healthy; raise the limit with --timeout SECONDS or timeout_secs under [registry]"
    )]
    Timeout {
        /// The registry.
        url: String,
        /// The call.
        op: String,
        /// The limit, in seconds.
        secs: f64,
    },
    /// 401: the credentials were refused.
    #[error(
        "the schema registry at {url} refused the credentials (HTTP 401) for {op}; {sent}\nhelp: check {ENV_BASIC_AUTH} (user:secret; for Confluent Cloud a Schema Registry API key and secret, not a Kafka cluster key) or {ENV_BEARER_TOKEN}, or basic_auth_user_info / bearer_token under [registry] in schemactl.toml"
    )]
    Unauthorized {
        /// The registry.
        url: String,
        /// The call.
        op: String,
        /// Which credentials were sent (never their value).
        sent: String,
    },
    /// 403: the credentials are valid but not allowed to do this.
    #[error(
        "the schema registry at {url} denied {op} (HTTP 403): the credentials were accepted but lack permission; {sent}\nhelp: grant this principal access to the subject (on Confluent Cloud a role binding such as DeveloperRead to read, DeveloperWrite to register, DeveloperManage to change levels or delete)"
    )]
    Forbidden {
        /// The registry.
        url: String,
        /// The call.
        op: String,
        /// Which credentials were sent (never their value).
        sent: String,
    },
    /// Any other error answer (after retries, for 5xx and 429).
    #[error("the schema registry answered {op} with HTTP {status}, error {code}: {message}")]
    Api {
        /// The call.
        op: String,
        /// The HTTP status.
        status: u16,
        /// The Confluent `error_code` (the status itself when the body had none).
        code: i32,
        /// The registry's message, shown as is.
        message: String,
    },
    /// A success answer that does not have the documented shape.
    #[error("unexpected answer from the schema registry at {url} to {op}: {detail}")]
    Protocol {
        /// The registry.
        url: String,
        /// The call.
        op: String,
        /// What was wrong.
        detail: String,
    },
}

impl RegistryError {
    /// The exit code this error earns: 2 when the request itself is wrong (no URL, a bad
    /// subject, a 4xx answer), 3 when the registry could not be reached or refused us.
    pub fn exit(&self) -> crate::Exit {
        let input = match self {
            RegistryError::NotConfigured
            | RegistryError::Setup(_)
            | RegistryError::UnaddressableSubject(_) => true,
            RegistryError::Unreachable { .. }
            | RegistryError::Tls { .. }
            | RegistryError::Timeout { .. }
            | RegistryError::Unauthorized { .. }
            | RegistryError::Forbidden { .. }
            | RegistryError::Protocol { .. } => false,
            // Read-only mode is the registry refusing us, not a mistake in the input.
            RegistryError::Api { status, code, .. } => {
                *status < 500 && *status != 429 && *code != codes::OPERATION_NOT_PERMITTED
            }
        };
        if input {
            crate::Exit::Usage
        } else {
            crate::Exit::Infrastructure
        }
    }

    /// The Confluent error code of an error answer.
    pub fn code(&self) -> Option<i32> {
        match self {
            RegistryError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether this is one of the given "not found" codes.
    pub fn is_code(&self, wanted: &[i32]) -> bool {
        self.code().is_some_and(|c| wanted.contains(&c))
    }

    /// Whether the registry refused a schema as incompatible: HTTP 409 up to Confluent 8.0.3 and
    /// 8.1.1, error code 40901 after; both are accepted.
    pub fn is_incompatible(&self) -> bool {
        matches!(self, RegistryError::Api { status: 409, .. })
            || self.is_code(&[codes::INCOMPATIBLE_SCHEMA, 409])
    }

    /// The registry's message of an error answer.
    pub fn message(&self) -> Option<&str> {
        match self {
            RegistryError::Api { message, .. } => Some(message),
            _ => None,
        }
    }

    /// A few words for a retry log line.
    fn brief(&self) -> String {
        match self {
            RegistryError::Unreachable { reason, .. } | RegistryError::Tls { reason, .. } => {
                reason.clone()
            }
            RegistryError::Api { status, code, .. } => format!("HTTP {status} (error {code})"),
            other => other
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// Whether asking again may help: connection errors (always, when the request was never
    /// sent), and 5xx and 429 for idempotent calls. Timeouts are not retried: one attempt
    /// already spent the whole budget, and a registry that hangs once usually hangs again.
    fn retryable(&self, idempotent: bool) -> bool {
        match self {
            RegistryError::Unreachable { connecting, .. } => *connecting || idempotent,
            RegistryError::Api { status, .. } => idempotent && (*status == 429 || *status >= 500),
            _ => false,
        }
    }
}

/// One failed attempt, with the wait the registry asked for.
struct Attempt {
    error: RegistryError,
    retry_after: Option<Duration>,
}

impl From<RegistryError> for Attempt {
    fn from(error: RegistryError) -> Self {
        Attempt {
            error,
            retry_after: None,
        }
    }
}

/// Which versions the registry's own compatibility check compared against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompatScope {
    /// Every version the subject's level asks for, as registering would
    /// (`POST /compatibility/subjects/{s}/versions`).
    Level,
    /// Only the latest version: the server lacks the all-versions form.
    Latest,
}

/// The registry's answer to a compatibility check.
#[derive(Clone, Debug)]
pub struct CompatCheck {
    /// The verdict and its messages (shown, never parsed).
    pub response: CompatibilityResponse,
    /// What was compared.
    pub scope: CompatScope,
}

/// A subject's or the global compatibility settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelConfig {
    /// The level.
    pub level: Level,
    /// The policy, where the registry has one (schemactl's does, when set).
    pub policy: Option<Policy>,
}

/// What applies to a subject: its own settings, and the global ones it falls back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubjectSettings {
    /// The subject's own level and policy, if it has a level of its own.
    pub own: Option<LevelConfig>,
    /// The global level and policy.
    pub global: LevelConfig,
}

impl SubjectSettings {
    /// The level the registry applies.
    pub fn level(&self) -> Level {
        self.own.map_or(self.global.level, |c| c.level)
    }

    /// Where the level comes from: `subject` when the subject has one of its own, else `global`.
    pub fn level_source(&self) -> &'static str {
        if self.own.is_some() {
            "subject"
        } else {
            "global"
        }
    }

    /// The policy the registry reports for the subject: its own, else the global one. Only
    /// schemactl's registry has policies.
    pub fn reported_policy(&self) -> Option<Policy> {
        self.own.and_then(|c| c.policy).or(self.global.policy)
    }

    /// The policy the registry applies: the reported one, else strict.
    pub fn policy(&self) -> Policy {
        self.reported_policy().unwrap_or(Policy::Strict)
    }
}

/// How many requests a bulk read keeps in flight.
const IN_FLIGHT: usize = 4;

/// A Confluent Schema Registry client.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    /// Base URL without credentials or trailing slash.
    base: String,
    http: reqwest::Client,
    sr: SrSettings,
    auth: Auth,
    retries: u32,
    timeout: Duration,
}

/// Percent-encodes a subject for use as one path segment.
pub fn encode_subject(subject: &str) -> Result<String, RegistryError> {
    // "." and ".." stay path steps even as %2E (WHATWG URL parsing), so they cannot be sent.
    if subject.is_empty() || subject == "." || subject == ".." {
        return Err(RegistryError::UnaddressableSubject(subject.to_string()));
    }
    Ok(utf8_percent_encode(subject, SEGMENT).to_string())
}

fn setup(message: String) -> RegistryError {
    RegistryError::Setup(message)
}

fn read_file(path: &std::path::Path, what: &str) -> Result<Vec<u8>, RegistryError> {
    std::fs::read(path).map_err(|e| setup(format!("cannot read {what} {}: {e}", path.display())))
}

/// The HTTP status an error code stands for: its first three digits (401, 403, 429 as they are).
fn status_of_code(code: u32) -> Option<u16> {
    match code {
        100..=599 => u16::try_from(code).ok(),
        10000..=59999 => u16::try_from(code / 100).ok(),
        _ => None,
    }
}

/// The status in `schema_registry_converter`'s error text ("... failed with status 401 ..."),
/// needed only when the body was not a registry error (a proxy's HTML page, say).
fn status_in_converter_text(text: &str) -> Option<u16> {
    let rest = &text[text.find("with status ")? + "with status ".len()..];
    rest.get(..3)?.parse().ok()
}

/// The causes of an error, outermost first, without repeating a cause its parent already quotes.
fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(200).saturating_mul(1 << attempt.min(5));
    // Jitter of up to a quarter, so that clients failing together do not retry together.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base.min(Duration::from_secs(5)) + base / 4 * (nanos % 1000) / 1000
}

#[derive(Deserialize)]
struct LenientError {
    error_code: Option<i64>,
    message: Option<String>,
}

impl RegistryClient {
    /// Builds a client from resolved settings. Fails on a missing or malformed URL, or on an
    /// unreadable CA bundle or client certificate.
    pub fn new(settings: &RegistrySettings) -> Result<RegistryClient, RegistryError> {
        let raw = settings
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or(RegistryError::NotConfigured)?;
        let mut url = reqwest::Url::parse(raw).map_err(|e| {
            setup(format!(
                "invalid registry URL \"{}\": {e}",
                raw.split('@').next_back().unwrap_or(raw)
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(setup(format!(
                "invalid registry URL \"{}\": expected http://host:port or https://host",
                url.host_str().unwrap_or(url.scheme())
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(setup(
                "invalid registry URL: it must not carry a query or fragment".into(),
            ));
        }
        // Credentials in the URL (basic.auth.credentials.source=URL) become basic auth, so
        // that the URL itself can be shown in messages.
        let mut auth = settings.auth.clone();
        if !url.username().is_empty() {
            let user = percent_encoding::percent_decode_str(url.username())
                .decode_utf8_lossy()
                .into_owned();
            let secret = percent_encoding::percent_decode_str(url.password().unwrap_or(""))
                .decode_utf8_lossy()
                .into_owned();
            if auth != Auth::None {
                return Err(setup(
                    "the registry URL carries credentials and others are configured too; keep one"
                        .into(),
                ));
            }
            auth = Auth::Basic {
                user,
                secret: crate::config::Secret::new(secret),
            };
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        let base = url.as_str().trim_end_matches('/').to_string();

        let ca = settings
            .ca_file
            .as_deref()
            .map(|path| {
                let pem = read_file(path, "CA bundle")?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem)
                    .map_err(|e| setup(format!("CA bundle {}: {}", path.display(), chain(&e))))?;
                if certs.is_empty() {
                    return Err(setup(format!(
                        "CA bundle {} holds no PEM certificate",
                        path.display()
                    )));
                }
                Ok(certs)
            })
            .transpose()?
            .unwrap_or_default();
        let identity = match (&settings.client_cert, &settings.client_key) {
            (Some(cert), Some(key)) => {
                let cert_pem = read_file(cert, "client certificate")?;
                let key_pem = read_file(key, "client key")?;
                Some(
                    reqwest::Identity::from_pkcs8_pem(&cert_pem, &key_pem).map_err(|e| {
                        setup(format!(
                            "client certificate {} with key {}: {} (the key must be PKCS#8 PEM; convert with `openssl pkcs8 -topk8 -nocrypt`)",
                            cert.display(),
                            key.display(),
                            chain(&e)
                        ))
                    })?,
                )
            }
            _ => None,
        };
        let builder = || {
            let mut b = reqwest::Client::builder()
                .user_agent(concat!("schemactl/", env!("CARGO_PKG_VERSION")))
                .timeout(settings.timeout)
                .tls_certs_merge(ca.iter().cloned());
            if let Some(identity) = &identity {
                b = b.identity(identity.clone());
            }
            b
        };
        let http = builder()
            .build()
            .map_err(|e| setup(format!("cannot set up HTTP: {}", chain(&e))))?;
        let mut sr_builder = SrSettings::new_builder(base.clone());
        sr_builder.set_timeout(settings.timeout);
        match &auth {
            Auth::None => {}
            Auth::Basic { user, secret } => {
                sr_builder.set_basic_authorization(user, Some(secret.expose()));
            }
            Auth::Bearer(token) => {
                sr_builder.set_token_authorization(token.expose());
            }
        }
        let sr = sr_builder
            .build_with(builder())
            .map_err(|e| setup(format!("cannot set up HTTP: {}", e.error)))?;
        Ok(RegistryClient {
            base,
            http,
            sr,
            auth,
            retries: settings.retries,
            timeout: settings.timeout,
        })
    }

    /// The registry's base URL (never with credentials).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Settings for `schema_registry_converter`'s encoders and decoders (wire format), with the
    /// same URL, credentials, timeout and TLS configuration as this client.
    pub fn sr_settings(&self) -> &SrSettings {
        &self.sr
    }

    // ---- calls -------------------------------------------------------------------------------

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

    // ---- plumbing ----------------------------------------------------------------------------

    fn protocol(&self, op: &str, detail: String) -> RegistryError {
        RegistryError::Protocol {
            url: self.base.clone(),
            op: op.to_string(),
            detail,
        }
    }

    fn id(&self, op: &str, id: u32) -> Result<i32, RegistryError> {
        i32::try_from(id).map_err(|_| self.protocol(op, format!("schema id {id} out of range")))
    }

    fn level_config(&self, op: &str, c: &ConfigResponse) -> Result<LevelConfig, RegistryError> {
        let name = &c.compatibility_level;
        let level = name
            .parse()
            .map_err(|_| self.protocol(op, format!("unknown compatibility level \"{name}\"")))?;
        let policy = match c.compatibility_policy.as_deref() {
            None => None,
            Some(p) if p.eq_ignore_ascii_case("strict") => Some(Policy::Strict),
            Some(p) if p.eq_ignore_ascii_case("lenient") => Some(Policy::Lenient),
            Some(p) => {
                return Err(self.protocol(op, format!("unknown compatibility policy \"{p}\"")));
            }
        };
        Ok(LevelConfig { level, policy })
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent.
    async fn retrying<T, F, Fut>(
        &self,
        op: &str,
        idempotent: bool,
        mut attempt: F,
    ) -> Result<T, RegistryError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Attempt>>,
    {
        let mut done = 0;
        loop {
            let started = Instant::now();
            match attempt().await {
                Ok(v) => {
                    tracing::debug!("{op}: ok in {} ms", started.elapsed().as_millis());
                    return Ok(v);
                }
                Err(failed) if done < self.retries && failed.error.retryable(idempotent) => {
                    let wait = failed
                        .retry_after
                        .map(|d| d.min(MAX_RETRY_AFTER))
                        .unwrap_or_else(|| backoff(done));
                    done += 1;
                    tracing::info!(
                        "{op}: {}; retry {done} of {} in {} ms",
                        failed.error.brief(),
                        self.retries,
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(failed) => {
                    tracing::debug!(
                        "{op}: {} (attempt {}, {} ms)",
                        failed.error.brief(),
                        done + 1,
                        started.elapsed().as_millis()
                    );
                    return Err(failed.error);
                }
            }
        }
    }

    /// A call through `schema_registry_converter`, with its errors read back into ours.
    async fn converter<T, F, Fut>(&self, op: &str, call: F) -> Result<T, RegistryError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SRCError>>,
    {
        self.retrying(op, true, || async {
            call()
                .await
                .map_err(|e| Attempt::from(self.converter_error(op, &e)))
        })
        .await
    }

    fn converter_error(&self, op: &str, e: &SRCError) -> RegistryError {
        let source = std::error::Error::source(e);
        if let Some(http) = source.and_then(|s| s.downcast_ref::<reqwest::Error>()) {
            if http.is_decode() {
                return self.protocol(op, chain(http));
            }
            return self.transport_error(op, http);
        }
        if let Some(raw) = source.and_then(|s| s.downcast_ref::<RawError>()) {
            let status = status_of_code(raw.error_code)
                .or_else(|| status_in_converter_text(&e.error))
                .unwrap_or(0);
            let parsed = raw.error_code != 0;
            let code = if parsed {
                i32::try_from(raw.error_code).unwrap_or(i32::from(status))
            } else {
                i32::from(status)
            };
            let message = if parsed {
                raw.message.clone()
            } else {
                "(the answer was not a registry error body)".into()
            };
            return self.status_error(op, status, code, message);
        }
        self.protocol(
            op,
            e.cause
                .as_ref()
                .map_or_else(|| e.error.clone(), |c| format!("{}: {c}", e.error)),
        )
    }

    fn transport_error(&self, op: &str, e: &reqwest::Error) -> RegistryError {
        if e.is_timeout() {
            return RegistryError::Timeout {
                url: self.base.clone(),
                op: op.to_string(),
                secs: self.timeout.as_secs_f64(),
            };
        }
        // The causes below reqwest's own "error sending request for url (...)".
        let reason = std::error::Error::source(e)
            .map(chain)
            .unwrap_or_else(|| "the request could not be sent".into());
        let lower = reason.to_ascii_lowercase();
        if ["ssl routines", "certificate", "handshake", "tls"]
            .iter()
            .any(|w| lower.contains(w))
        {
            let help = if lower.contains("verify failed") {
                format!(
                    "the registry's certificate is not trusted here: if it comes from a private CA, point {ENV_CA_FILE} or ca_file under [registry] at the CA's PEM bundle"
                )
            } else if lower.contains("certificate required")
                || lower.contains("handshake failure")
                || lower.contains("bad certificate")
                || lower.contains("unknown ca")
            {
                format!(
                    "the registry wants a client certificate it trusts: set {ENV_CLIENT_CERT} and {ENV_CLIENT_KEY} (or client_cert and client_key under [registry])"
                )
            } else {
                format!(
                    "check the registry's certificate ({ENV_CA_FILE}) and, for mTLS, the client certificate ({ENV_CLIENT_CERT}, {ENV_CLIENT_KEY})"
                )
            };
            return RegistryError::Tls {
                url: self.base.clone(),
                op: op.to_string(),
                reason,
                help,
            };
        }
        RegistryError::Unreachable {
            url: self.base.clone(),
            op: op.to_string(),
            reason,
            help: "check the URL and that the registry is running and reachable from here (proxies: HTTPS_PROXY, NO_PROXY)".into(),
            connecting: e.is_connect(),
        }
    }

    fn status_error(&self, op: &str, status: u16, code: i32, message: String) -> RegistryError {
        match status {
            401 => RegistryError::Unauthorized {
                url: self.base.clone(),
                op: op.to_string(),
                sent: self.auth.describe(),
            },
            403 => RegistryError::Forbidden {
                url: self.base.clone(),
                op: op.to_string(),
                sent: self.auth.describe(),
            },
            _ => RegistryError::Api {
                op: op.to_string(),
                status,
                code,
                message,
            },
        }
    }

    /// A call through `reqwest`: `path` is already encoded and starts with `/`.
    async fn call<T: DeserializeOwned, B: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotent: bool,
    ) -> Result<T, RegistryError> {
        let op = format!("{method} {path}");
        let url = format!("{}{path}", self.base);
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| self.protocol(&op, format!("cannot encode the request: {e}")))?;
        self.retrying(&op, idempotent, || async {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header(reqwest::header::ACCEPT, CONTENT_TYPE);
            if let Some(body) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                    .body(body.clone());
            }
            // reqwest marks both headers sensitive, so they never reach a log line.
            request = match &self.auth {
                Auth::None => request,
                Auth::Basic { user, secret } => request.basic_auth(user, Some(secret.expose())),
                Auth::Bearer(token) => request.bearer_auth(token.expose()),
            };
            let response = request
                .send()
                .await
                .map_err(|e| self.transport_error(&op, &e))?;
            let status = response.status().as_u16();
            tracing::debug!("{op} -> {status}");
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = response
                .bytes()
                .await
                .map_err(|e| self.transport_error(&op, &e))?;
            if (200..300).contains(&status) {
                return serde_json::from_slice(&bytes).map_err(|e| {
                    Attempt::from(self.protocol(&op, format!("{e} in {}", snippet(&bytes))))
                });
            }
            let (code, message) = match serde_json::from_slice::<LenientError>(&bytes) {
                Ok(LenientError {
                    error_code,
                    message,
                }) => (
                    error_code
                        .and_then(|c| i32::try_from(c).ok())
                        .unwrap_or(i32::from(status)),
                    message.unwrap_or_default(),
                ),
                Err(_) => (i32::from(status), snippet(&bytes)),
            };
            Err(Attempt {
                error: self.status_error(&op, status, code, message),
                retry_after,
            })
        })
        .await
    }
}

/// The first line of a body, shortened, for messages about answers that are not JSON.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return "an empty body".into();
    }
    let short: String = line.chars().take(120).collect();
    if short.len() < line.len() {
        format!("\"{short}...\"")
    } else {
        format!("\"{short}\"")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use axum::extract::{Request, State};
    use axum::response::{IntoResponse, Response};
    use std::sync::{Arc, Mutex};

    /// One request as the mock saw it.
    #[derive(Clone, Debug)]
    struct Seen {
        method: String,
        /// The request target exactly as sent (still percent-encoded).
        target: String,
        auth: Option<String>,
        body: String,
    }

    type Reply = (u16, String);
    type Handler = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

    #[derive(Clone)]
    struct MockState {
        seen: Arc<Mutex<Vec<Seen>>>,
        reply: Handler,
    }

    /// A registry stand-in on a free loopback port, answering with `reply(request, index)`.
    struct Mock {
        url: String,
        seen: Arc<Mutex<Vec<Seen>>>,
        _stop: tokio::sync::oneshot::Sender<()>,
    }

    impl Mock {
        fn seen(&self) -> Vec<Seen> {
            self.seen.lock().unwrap().clone()
        }
    }

    async fn handle(State(state): State<MockState>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        let seen = Seen {
            method: parts.method.to_string(),
            target: parts.uri.to_string(),
            auth: parts
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap_or_default().to_string()),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let index = {
            let mut log = state.seen.lock().unwrap();
            log.push(seen.clone());
            log.len() - 1
        };
        let (status, body) = (state.reply)(&seen, index);
        let mut response = (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [("content-type", CONTENT_TYPE)],
            body,
        )
            .into_response();
        if status == 429 {
            response
                .headers_mut()
                .insert("retry-after", "0".parse().unwrap());
        }
        response
    }

    async fn mock(reply: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Mock {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = MockState {
            seen: seen.clone(),
            reply: Arc::new(reply),
        };
        let app = axum::Router::new().fallback(handle).with_state(state);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Mock {
            url,
            seen,
            _stop: stop,
        }
    }

    fn settings(url: &str) -> RegistrySettings {
        RegistrySettings {
            url: Some(url.to_string()),
            timeout: Duration::from_secs(5),
            retries: 2,
            ..RegistrySettings::default()
        }
    }

    fn client(url: &str) -> RegistryClient {
        RegistryClient::new(&settings(url)).unwrap()
    }

    fn ok(body: &str) -> Reply {
        (200, body.to_string())
    }

    fn json_schema() -> RegisterRequest {
        RegisterRequest {
            schema_type: Some("JSON".into()),
            schema: r#"{"type":"object"}"#.into(),
            ..RegisterRequest::default()
        }
    }

    #[test]
    fn subjects_are_encoded_as_one_path_segment() {
        assert_eq!(
            encode_subject("team/a b..ü?#%+").unwrap(),
            "team%2Fa%20b..%C3%BC%3F%23%25%2B"
        );
        assert_eq!(
            encode_subject("gen-telemetry_v1.value~").unwrap(),
            "gen-telemetry_v1.value~"
        );
        assert_eq!(encode_subject("../x").unwrap(), "..%2Fx");
        for bad in ["", ".", ".."] {
            assert!(matches!(
                encode_subject(bad),
                Err(RegistryError::UnaddressableSubject(_))
            ));
        }
        // Why "." and ".." are refused: the URL parser resolves them even percent-encoded.
        let url = reqwest::Url::parse("http://h/subjects/%2E%2E/versions").unwrap();
        assert_eq!(url.path(), "/versions");
    }

    #[tokio::test]
    async fn every_call_sends_the_encoded_subject() {
        let m = mock(|seen, _| match seen.method.as_str() {
            "GET" if seen.target.starts_with("/config") => ok(r#"{"compatibilityLevel":"FULL"}"#),
            "GET" if seen.target.ends_with("/versions") => ok("[1,2]"),
            "GET" => ok(r#"{"subject":"x","version":2,"id":9,"schemaType":"JSON","schema":"{}"}"#),
            "DELETE" => ok("[1,2]"),
            _ => ok(r#"{"subject":"x","version":1,"id":9,"schema":"{}"}"#),
        })
        .await;
        let c = client(&m.url);
        let subject = "team/a b..ü";
        c.versions(subject).await.unwrap();
        c.version(subject, VersionRef::Latest).await.unwrap();
        c.lookup(subject, &json_schema(), false).await.unwrap();
        c.subject_level(subject).await.unwrap();
        c.delete_subject(subject, false).await.unwrap();
        let targets: Vec<String> = m.seen().into_iter().map(|s| s.target).collect();
        assert_eq!(
            targets,
            [
                "/subjects/team%2Fa%20b..%C3%BC/versions",
                "/subjects/team%2Fa%20b..%C3%BC/versions/latest",
                "/subjects/team%2Fa%20b..%C3%BC?normalize=false",
                "/config/team%2Fa%20b..%C3%BC",
                "/subjects/team%2Fa%20b..%C3%BC?permanent=false",
            ]
        );
    }

    #[tokio::test]
    async fn unknown_response_fields_are_ignored() {
        let m = mock(|seen, _| {
            if seen.target.starts_with("/subjects/s/versions/") {
                ok(
                    r#"{"subject":"s","version":3,"id":7,"guid":"0f6c","schemaType":"JSON",
                    "schema":"{}","references":[],"ruleSet":{"domainRules":[]},"ts":1}"#,
                )
            } else {
                ok(r#"{"subject":"s","version":3,"id":7,"schema":"{}","deleted":false}"#)
            }
        })
        .await;
        let c = client(&m.url);
        let v = c.version("s", VersionRef::Number(3)).await.unwrap();
        assert_eq!(
            (v.version, v.id, v.schema_type.as_deref()),
            (3, 7, Some("JSON"))
        );
        let found = c.lookup("s", &json_schema(), true).await.unwrap().unwrap();
        assert_eq!(found.id, 7);
    }

    #[tokio::test]
    async fn both_forms_of_incompatible_are_recognised_on_both_paths() {
        for body in [
            r#"{"error_code":409,"message":"Schema being registered is incompatible"}"#,
            r#"{"error_code":40901,"message":"Schema being registered is incompatible"}"#,
        ] {
            let m = mock(move |_, _| (409, body.to_string())).await;
            let c = client(&m.url);
            for normalize in [false, true] {
                let e = c
                    .register("s", &json_schema(), normalize)
                    .await
                    .unwrap_err();
                assert!(e.is_incompatible(), "{e:?}");
                assert_eq!(e.message(), Some("Schema being registered is incompatible"));
            }
            // Not retried: a 4xx says the same thing every time.
            assert_eq!(m.seen().len(), 2);
            let sent: serde_json::Value = serde_json::from_str(&m.seen()[0].body).unwrap();
            assert_eq!(sent["schemaType"], "JSON");
            assert_eq!(sent["schema"], r#"{"type":"object"}"#);
            assert_eq!(m.seen()[1].target, "/subjects/s/versions?normalize=true");
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_on_idempotent_calls_only() {
        let m = mock(|seen, i| match (seen.method.as_str(), i) {
            ("GET", 0) => (503, r#"{"error_code":50003,"message":"forwarding"}"#.into()),
            ("GET", 1) => (429, r#"{"error_code":429,"message":"slow down"}"#.into()),
            ("GET", _) => ok(r#"["a"]"#),
            _ => (500, r#"{"error_code":50001,"message":"store"}"#.into()),
        })
        .await;
        let c = client(&m.url);
        assert_eq!(c.subjects().await.unwrap(), ["a"]);
        assert_eq!(m.seen().len(), 3);
        let e = c.delete_subject("a", false).await.unwrap_err();
        assert!(
            matches!(
                e,
                RegistryError::Api {
                    status: 500,
                    code: 50001,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            m.seen().len(),
            4,
            "a DELETE that reached the server is not repeated"
        );
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        let m = mock(|_, _| {
            (
                404,
                r#"{"error_code":40401,"message":"Subject 'nope' not found."}"#.into(),
            )
        })
        .await;
        let c = client(&m.url);
        let e = c.versions("nope").await.unwrap_err();
        assert!(e.is_code(&[codes::SUBJECT_NOT_FOUND]), "{e:?}");
        assert_eq!(c.lookup("nope", &json_schema(), false).await.unwrap(), None);
        assert_eq!(c.subject_level("nope").await.unwrap(), None);
        assert_eq!(m.seen().len(), 3);
    }

    #[tokio::test]
    async fn retries_stop_after_the_configured_number() {
        let m = mock(|_, _| (502, "<html>bad gateway</html>".into())).await;
        let c = client(&m.url);
        let e = c.global_level().await.unwrap_err();
        assert!(
            matches!(
                e,
                RegistryError::Api {
                    status: 502,
                    code: 502,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("<html>bad gateway</html>"), "{e}");
        assert_eq!(m.seen().len(), 3, "one attempt and two retries");
    }

    #[tokio::test]
    async fn credentials_are_sent_and_never_shown() {
        let m = mock(|_, _| (401, r#"{"error_code":401,"message":"Unauthorized"}"#.into())).await;
        let mut s = settings(&m.url);
        s.auth = Auth::Basic {
            user: "KEY1".into(),
            secret: Secret::new("s3cr3t-value"),
        };
        let c = RegistryClient::new(&s).unwrap();
        let through_converter = c.subjects().await.unwrap_err();
        let through_reqwest = c.global_level().await.unwrap_err();
        for e in [&through_converter, &through_reqwest] {
            assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e:?}");
            let shown = format!("{e} {e:?} {c:?}");
            assert!(!shown.contains("s3cr3t-value"), "{shown}");
            assert!(shown.contains("KEY1") && shown.contains("help:"), "{shown}");
        }
        // base64("KEY1:s3cr3t-value")
        let expected = "Basic S0VZMTpzM2NyM3QtdmFsdWU=";
        assert!(m.seen().iter().all(|s| s.auth.as_deref() == Some(expected)));
        assert_eq!(m.seen().len(), 2, "401 is not retried");

        let mut s = settings(&m.url);
        s.auth = Auth::Bearer(Secret::new("tok-123"));
        let c = RegistryClient::new(&s).unwrap();
        let _ = c.subjects().await;
        let _ = c.mode(None).await;
        assert!(
            m.seen()[2..]
                .iter()
                .all(|s| s.auth.as_deref() == Some("Bearer tok-123"))
        );
    }

    #[tokio::test]
    async fn a_403_without_a_registry_body_is_still_forbidden() {
        // A gateway in front of the registry answers with its own page.
        let m = mock(|_, _| (403, "<html>Forbidden</html>".into())).await;
        let c = client(&m.url);
        for e in [
            c.version("s", VersionRef::Latest).await.unwrap_err(),
            c.subject_level("s").await.unwrap_err(),
        ] {
            assert!(matches!(e, RegistryError::Forbidden { .. }), "{e:?}");
        }
    }

    #[tokio::test]
    async fn credentials_in_the_url_become_basic_auth() {
        let m = mock(|_, _| ok("[]")).await;
        let with_user = m.url.replace("http://", "http://user%40x:p%3Ass@");
        let c = client(&with_user);
        assert_eq!(c.url(), m.url);
        c.subjects().await.unwrap();
        // base64("user@x:p:ss")
        assert_eq!(m.seen()[0].auth.as_deref(), Some("Basic dXNlckB4OnA6c3M="));
        let e = RegistryClient::new(&settings("ftp://x")).unwrap_err();
        assert!(matches!(e, RegistryError::Setup(_)));
        let e = RegistryClient::new(&RegistrySettings::default()).unwrap_err();
        assert!(matches!(e, RegistryError::NotConfigured));
    }

    #[tokio::test]
    async fn a_registry_that_never_answers_times_out_without_retrying() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        // Accept connections and keep them open without a word.
        let held = std::thread::spawn(move || {
            listener
                .incoming()
                .take(3)
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        let mut s = settings(&url);
        s.timeout = Duration::from_millis(300);
        let c = RegistryClient::new(&s).unwrap();
        let started = Instant::now();
        for e in [
            c.subjects().await.unwrap_err(),
            c.global_level().await.unwrap_err(),
        ] {
            assert!(matches!(e, RegistryError::Timeout { .. }), "{e:?}");
            assert!(e.to_string().contains("within 0.3 s"), "{e}");
        }
        assert!(started.elapsed() < Duration::from_millis(1500));
        drop(held);
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_after_retries() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut s = settings(&format!("http://127.0.0.1:{port}"));
        s.retries = 1;
        let c = RegistryClient::new(&s).unwrap();
        let e = c.delete_subject("s", false).await.unwrap_err();
        assert!(
            matches!(
                e,
                RegistryError::Unreachable {
                    connecting: true,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("help: check the URL"), "{e}");
    }

    #[tokio::test]
    async fn compatibility_falls_back_to_latest_where_the_all_versions_form_is_missing() {
        let m = mock(|seen, _| {
            if seen.target.contains("/versions/latest") {
                ok(r#"{"is_compatible":false,"messages":["{errorType:\"TYPE_CHANGED\", description:\"x\"}"]}"#)
            } else {
                (404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#.into())
            }
        })
        .await;
        let c = client(&m.url);
        let check = c.check_compatibility("s", &json_schema()).await.unwrap();
        assert_eq!(check.scope, CompatScope::Latest);
        assert!(!check.response.is_compatible);
        // Shown as the registry wrote it: not JSON, not parsed.
        assert_eq!(
            check.response.messages,
            ["{errorType:\"TYPE_CHANGED\", description:\"x\"}"]
        );
        let targets: Vec<String> = m.seen().into_iter().map(|s| s.target).collect();
        assert_eq!(
            targets,
            [
                "/compatibility/subjects/s/versions?verbose=true",
                "/compatibility/subjects/s/versions/latest?verbose=true"
            ]
        );

        let m = mock(|_, _| {
            (
                404,
                r#"{"error_code":40401,"message":"Subject 's' not found."}"#.into(),
            )
        })
        .await;
        let e = client(&m.url)
            .check_compatibility("s", &json_schema())
            .await
            .unwrap_err();
        assert!(e.is_code(&[codes::SUBJECT_NOT_FOUND]));
        assert_eq!(
            m.seen().len(),
            1,
            "a missing subject is not a missing route"
        );
    }

    #[tokio::test]
    async fn wire_format_decoding_shares_the_clients_settings() {
        use schema_registry_converter::async_impl::json::JsonDecoder;
        let m = mock(|seen, _| {
            assert_eq!(seen.target, "/schemas/ids/5?deleted=true");
            ok(r#"{"schemaType":"JSON","schema":"{\"type\":\"object\"}"}"#)
        })
        .await;
        let mut s = settings(&m.url);
        s.auth = Auth::Bearer(Secret::new("tok"));
        let c = RegistryClient::new(&s).unwrap();
        let decoder = JsonDecoder::new(c.sr_settings().clone());
        let mut bytes = vec![0, 0, 0, 0, 5];
        bytes.extend_from_slice(br#"{"generatorID":"g1"}"#);
        let decoded = decoder.decode(Some(&bytes)).await.unwrap().unwrap();
        assert_eq!(decoded.value["generatorID"], "g1");
        assert_eq!(m.seen()[0].auth.as_deref(), Some("Bearer tok"));
    }
}
