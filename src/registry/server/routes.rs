//! The REST endpoints of the contract in `docs/confluent-registry-api.md`, and the extractors
//! that turn bad bodies, content types, paths and queries into Confluent error bodies.

use super::error::ApiError;
use super::registry::{JSON, Registry, SchemaFilter};
use crate::registry::model::{
    CONTENT_TYPE, CompatibilityResponse, ConfigRequest, GuidId, ModeBody, RegisterRequest,
    RegisterResponse, VersionRef,
};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The largest request body read, in bytes. Larger than the schema limit so that a big schema
/// gets the specific 42209 rather than a bare 413.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// Content types a request body may have (parameters such as `charset` are ignored).
const ACCEPTED_CONTENT_TYPES: [&str; 4] = [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

type Shared = State<Arc<Registry>>;
type Answer = Result<Response, ApiError>;

/// The endpoints, without authentication or logging (see [`super::router`]).
pub fn routes(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/schemas", get(list_schemas))
        .route("/schemas/types", get(schema_types))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(schema_by_id_raw))
        .route("/schemas/ids/{id}/subjects", get(schema_subjects))
        .route("/schemas/ids/{id}/versions", get(schema_versions))
        .route("/schemas/guids/{guid}", get(schema_by_guid))
        .route("/schemas/guids/{guid}/ids", get(guid_ids))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/metadata", get(latest_with_metadata))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(version_raw),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(check_version),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(check_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/",
            post(check_all),
        )
        .route(
            "/config",
            get(global_config)
                .put(put_global_config)
                .delete(delete_global_config),
        )
        .route(
            "/config/{subject}",
            get(subject_config)
                .put(put_subject_config)
                .delete(delete_subject_config),
        )
        .route(
            "/mode",
            get(global_mode)
                .put(put_global_mode)
                .delete(delete_global_mode),
        )
        .route(
            "/mode/{subject}",
            get(subject_mode)
                .put(put_subject_mode)
                .delete(delete_subject_mode),
        )
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(registry)
}

// ---- responses ----

fn with_content_type(body: impl Into<Body>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        body.into(),
    )
        .into_response()
}

fn json<T: Serialize>(value: &T) -> Answer {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::Store(e.to_string()))?;
    Ok(with_content_type(body))
}

/// Runs a write (SQLite commit, compatibility checks) off the async workers.
async fn blocking<T: Send + 'static>(
    registry: Arc<Registry>,
    f: impl FnOnce(&Registry) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || f(&registry))
        .await
        .map_err(|e| ApiError::Store(format!("request task failed: {e}")))?
}

// ---- extractors ----

/// A JSON body: content type checked, syntax errors 400, shape errors 422.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let text = ct.to_str().unwrap_or_default();
            let media = text.split(';').next().unwrap_or_default().trim();
            if !ACCEPTED_CONTENT_TYPES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(media))
            {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "Content-Type \"{text}\" is not one of {}",
                    ACCEPTED_CONTENT_TYPES.join(", ")
                )));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(MAX_BODY_BYTES)
            } else {
                ApiError::BadRequest(e.body_text())
            }
        })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Data => ApiError::Unprocessable(format!("Invalid request body: {e}")),
                _ => ApiError::BadRequest(format!("Malformed JSON body: {e}")),
            }
        })
    }
}

/// Path parameters, percent-decoded; undecodable ones are 400.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Params(t))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

/// The query flags the endpoints take. Booleans read as Java does: `true` in any case is
/// true, anything else false (clients send `True`/`False`). A parameter given twice takes its
/// first value, as Confluent's server (JAX-RS) does.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Flags {
    #[serde(deserialize_with = "java_bool")]
    normalize: bool,
    #[serde(deserialize_with = "java_bool")]
    verbose: bool,
    #[serde(deserialize_with = "java_bool")]
    deleted: bool,
    #[serde(deserialize_with = "java_bool")]
    permanent: bool,
    #[serde(deserialize_with = "java_bool")]
    default_to_global: bool,
    #[serde(deserialize_with = "java_bool")]
    force: bool,
    #[serde(deserialize_with = "java_bool")]
    recursive: bool,
    #[serde(deserialize_with = "java_bool")]
    latest_only: bool,
    subject_prefix: Option<String>,
    rule_type: Option<String>,
    offset: Option<String>,
    limit: Option<String>,
}

fn java_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    Ok(s.eq_ignore_ascii_case("true"))
}

impl Flags {
    /// Reads a query string, keeping the first value of each parameter.
    fn parse(query: &str) -> Result<Flags, ApiError> {
        let mut first = serde_json::Map::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            first
                .entry(key.into_owned())
                .or_insert_with(|| serde_json::Value::String(value.into_owned()));
        }
        serde_json::from_value(serde_json::Value::Object(first))
            .map_err(|e| ApiError::BadRequest(format!("Invalid query string: {e}")))
    }

    /// An integer parameter (`offset`, `limit`), `default` when absent.
    fn int(raw: Option<&str>, name: &str, default: i32) -> Result<i32, ApiError> {
        raw.map_or(Ok(default), |v| {
            v.trim().parse().map_err(|_| {
                ApiError::BadRequest(format!(
                    "Invalid query parameter {name}={v}: expected an integer"
                ))
            })
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Flags {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Flags::parse(parts.uri.query().unwrap_or_default())
    }
}

/// A version path segment (`model::VersionRef`); anything else is 42202.
fn version_ref(raw: &str) -> Result<VersionRef, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::InvalidVersion(raw.to_string()))
}

fn schema_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::SchemaNotFound(raw.to_string()))
}

// ---- handlers ----

async fn root() -> Answer {
    Ok(with_content_type("{}"))
}

async fn schema_types() -> Answer {
    json(&[JSON])
}

async fn schema_by_id(State(r): Shared, Params(id): Params<String>) -> Answer {
    let stored = r.schema(schema_id(&id)?)?;
    Ok(with_content_type(stored.by_id_body.clone()))
}

async fn schema_by_id_raw(State(r): Shared, Params(id): Params<String>) -> Answer {
    let stored = r.schema(schema_id(&id)?)?;
    Ok(with_content_type(stored.text.clone()))
}

async fn schema_by_guid(State(r): Shared, Params(guid): Params<String>) -> Answer {
    let stored = r.schema_by_guid(&guid)?;
    Ok(with_content_type(stored.by_id_body.clone()))
}

/// One id per context; this registry has only the default context. An unknown GUID is an empty
/// list, as Confluent answers.
async fn guid_ids(State(r): Shared, Params(guid): Params<String>) -> Answer {
    let ids: Vec<GuidId> = r
        .schema_by_guid(&guid)
        .map(|s| GuidId {
            context: ".".into(),
            id: s.id,
        })
        .into_iter()
        .collect();
    json(&ids)
}

async fn schema_subjects(State(r): Shared, Params(id): Params<String>, q: Flags) -> Answer {
    json(&r.schema_subjects(schema_id(&id)?, q.deleted)?)
}

async fn schema_versions(State(r): Shared, Params(id): Params<String>, q: Flags) -> Answer {
    json(&r.schema_versions(schema_id(&id)?, q.deleted)?)
}

/// The most `GET /schemas` answers at once, and what it answers when `limit` is not in
/// 1..=this: Confluent's `schema.search.default.limit` and `schema.search.max.limit` defaults.
pub const SCHEMA_SEARCH_LIMIT: usize = 1000;

async fn list_schemas(State(r): Shared, q: Flags) -> Answer {
    // A negative offset reads as 0 (Confluent's Java stream would throw, a 500).
    let offset = usize::try_from(Flags::int(q.offset.as_deref(), "offset", 0)?).unwrap_or(0);
    let limit = usize::try_from(Flags::int(q.limit.as_deref(), "limit", -1)?)
        .ok()
        .filter(|l| (1..=SCHEMA_SEARCH_LIMIT).contains(l))
        .unwrap_or(SCHEMA_SEARCH_LIMIT);
    let filter = SchemaFilter {
        subject_prefix: q.subject_prefix.as_deref().unwrap_or_default(),
        deleted: q.deleted,
        latest_only: q.latest_only,
        rule_type: q.rule_type.as_deref().filter(|t| !t.is_empty()),
        offset,
        limit,
    };
    json(&r.list_schemas(&filter))
}

async fn subjects(State(r): Shared, q: Flags) -> Answer {
    json(&r.subjects(q.deleted, q.subject_prefix.as_deref()))
}

/// `key` and `value` may each be repeated: the n-th key pairs with the n-th value (a key given
/// twice keeps its last value), as Confluent reads them.
async fn latest_with_metadata(
    State(r): Shared,
    Params(subject): Params<String>,
    q: Flags,
    RawQuery(query): RawQuery,
) -> Answer {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let of = |name: &'static str| {
        pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let wanted = of("key").zip(of("value")).collect();
    json(&r.latest_with_metadata(&subject, &wanted, q.deleted)?)
}

async fn versions(State(r): Shared, Params(subject): Params<String>, q: Flags) -> Answer {
    json(&r.versions(&subject, q.deleted)?)
}

async fn version(
    State(r): Shared,
    Params((subject, v)): Params<(String, String)>,
    q: Flags,
) -> Answer {
    json(&r.version(&subject, version_ref(&v)?, q.deleted)?)
}

async fn version_raw(
    State(r): Shared,
    Params((subject, v)): Params<(String, String)>,
    q: Flags,
) -> Answer {
    let record = r.version(&subject, version_ref(&v)?, q.deleted)?;
    Ok(with_content_type(record.schema))
}

async fn referenced_by(State(r): Shared, Params((subject, v)): Params<(String, String)>) -> Answer {
    json(&r.referenced_by(&subject, version_ref(&v)?)?)
}

async fn lookup(
    State(r): Shared,
    Params(subject): Params<String>,
    q: Flags,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> Answer {
    json(&r.lookup(&subject, req, q.normalize, q.deleted)?)
}

async fn register(
    State(r): Shared,
    Params(subject): Params<String>,
    q: Flags,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> Answer {
    let normalize = q.normalize;
    let id = blocking(r, move |r| r.register(&subject, req, normalize)).await?;
    json(&RegisterResponse { id })
}

async fn check_version(
    State(r): Shared,
    Params((subject, v)): Params<(String, String)>,
    q: Flags,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> Answer {
    let spec = version_ref(&v)?;
    let normalize = q.normalize;
    let outcome = blocking(r, move |r| r.check_version(&subject, spec, req, normalize)).await?;
    compatibility(outcome, q.verbose)
}

async fn check_all(
    State(r): Shared,
    Params(subject): Params<String>,
    q: Flags,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> Answer {
    let normalize = q.normalize;
    let outcome = blocking(r, move |r| r.check_all(&subject, req, normalize)).await?;
    compatibility(outcome, q.verbose)
}

fn compatibility(outcome: super::registry::CheckOutcome, verbose: bool) -> Answer {
    json(&CompatibilityResponse {
        is_compatible: outcome.compatible,
        messages: if verbose {
            outcome.messages
        } else {
            Vec::new()
        },
    })
}

async fn delete_subject(State(r): Shared, Params(subject): Params<String>, q: Flags) -> Answer {
    let permanent = q.permanent;
    json(&blocking(r, move |r| r.delete_subject(&subject, permanent)).await?)
}

async fn delete_version(
    State(r): Shared,
    Params((subject, v)): Params<(String, String)>,
    q: Flags,
) -> Answer {
    let spec = version_ref(&v)?;
    let permanent = q.permanent;
    json(&blocking(r, move |r| r.delete_version(&subject, spec, permanent)).await?)
}

async fn global_config(State(r): Shared) -> Answer {
    json(&r.config(None, true)?)
}

async fn subject_config(State(r): Shared, Params(subject): Params<String>, q: Flags) -> Answer {
    json(&r.config(Some(&subject), q.default_to_global)?)
}

async fn put_global_config(State(r): Shared, JsonBody(req): JsonBody<ConfigRequest>) -> Answer {
    json(&blocking(r, move |r| r.set_config(None, req)).await?)
}

async fn put_subject_config(
    State(r): Shared,
    Params(subject): Params<String>,
    JsonBody(req): JsonBody<ConfigRequest>,
) -> Answer {
    json(&blocking(r, move |r| r.set_config(Some(&subject), req)).await?)
}

async fn delete_global_config(State(r): Shared) -> Answer {
    json(&blocking(r, move |r| r.delete_config(None)).await?)
}

async fn delete_subject_config(State(r): Shared, Params(subject): Params<String>) -> Answer {
    json(&blocking(r, move |r| r.delete_config(Some(&subject))).await?)
}

async fn global_mode(State(r): Shared) -> Answer {
    json(&r.mode(None, true)?)
}

async fn subject_mode(State(r): Shared, Params(subject): Params<String>, q: Flags) -> Answer {
    json(&r.mode(Some(&subject), q.default_to_global)?)
}

async fn put_global_mode(State(r): Shared, q: Flags, JsonBody(req): JsonBody<ModeBody>) -> Answer {
    let force = q.force;
    json(&blocking(r, move |r| r.set_mode(None, req, force)).await?)
}

async fn put_subject_mode(
    State(r): Shared,
    Params(subject): Params<String>,
    q: Flags,
    JsonBody(req): JsonBody<ModeBody>,
) -> Answer {
    let force = q.force;
    json(&blocking(r, move |r| r.set_mode(Some(&subject), req, force)).await?)
}

async fn delete_global_mode(State(r): Shared, q: Flags) -> Answer {
    let recursive = q.recursive;
    json(&blocking(r, move |r| r.delete_global_mode(recursive)).await?)
}

/// With `recursive` and no mode to remove, Confluent answers a mode of null, which its JSON
/// writer leaves out: `{}`.
async fn delete_subject_mode(
    State(r): Shared,
    Params(subject): Params<String>,
    q: Flags,
) -> Answer {
    let recursive = q.recursive;
    match blocking(r, move |r| r.delete_mode(&subject, recursive)).await? {
        Some(mode) => json(&mode),
        None => Ok(with_content_type("{}")),
    }
}
