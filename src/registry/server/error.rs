//! Every error the embedded registry answers, with its Confluent error code and message.
//! The HTTP status is the first three digits of the code; the body is always
//! `{"error_code": <int>, "message": "<text>"}`.

use crate::registry::model::{CONTENT_TYPE, ErrorBody, codes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use thiserror::Error;

/// A request the registry refuses, or a failure of its store.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The subject has no versions (or only soft-deleted ones, when they are not asked for).
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    /// The subject exists but not this version.
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    /// No schema has this id.
    #[error("Schema {0} not found")]
    SchemaNotFound(String),
    /// The looked-up schema is not registered under the subject.
    #[error("Schema not found")]
    SchemaNotUnderSubject,
    /// A soft delete of a subject whose versions are all soft-deleted already.
    #[error("Subject '{0}' was soft deleted. Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    /// A permanent delete of a subject that still has live versions.
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    /// A soft delete of a version that is soft-deleted already.
    #[error("Subject '{0}' Version {1} was soft deleted. Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, i32),
    /// A permanent delete of a live version.
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, i32),
    /// `GET|DELETE /config/{s}` for a subject without its own level.
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    NoSubjectConfig(String),
    /// `GET|DELETE /mode/{s}` for a subject without its own mode.
    #[error("Subject '{0}' does not have subject-level mode configured")]
    NoSubjectMode(String),
    /// The proposal breaks the subject's compatibility level.
    #[error(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
        details.join(", ")
    )]
    Incompatible {
        /// The subject.
        subject: String,
        /// Confluent-style verbose messages.
        details: Vec<String>,
    },
    /// The schema (or its type, references or metadata) is invalid.
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    /// A version that is neither 1..2^31-1 nor `latest`/`-1`.
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    /// An unknown compatibility level or policy.
    #[error("{0}")]
    InvalidCompatibility(String),
    /// An unknown mode.
    #[error("Invalid mode {0}. Valid values are: READWRITE, READONLY, READONLY_OVERRIDE, IMPORT")]
    InvalidMode(String),
    /// The operation is refused in the current mode (or would overwrite an id).
    #[error("{0}")]
    NotPermitted(String),
    /// A delete of a version other schemas reference.
    #[error("One or more references exist to the schema {{subject={0},version={1}}}")]
    ReferenceExists(String, i32),
    /// A schema text larger than the limit.
    #[error("Schema too large: {size} bytes, the limit is {limit} bytes")]
    SchemaTooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A rule set Confluent would refuse (a rule without a name or type, a name used twice, a
    /// mode its list does not allow, ...).
    #[error("Invalid rule set: {0}")]
    InvalidRuleSet(String),
    /// SQLite failed.
    #[error("Error in the backend data store: {0}")]
    Store(String),
    /// The body is not JSON, or a query or path could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// The body is JSON of the wrong shape.
    #[error("{0}")]
    Unprocessable(String),
    /// A body whose content type the registry does not take.
    #[error("HTTP 415 Unsupported Media Type: {0}")]
    UnsupportedMediaType(String),
    /// The request body exceeds the server's limit.
    #[error("HTTP 413 Payload Too Large: the request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// Missing or wrong credentials.
    #[error("Unauthorized")]
    Unauthorized,
    /// No such endpoint.
    #[error("HTTP 404 Not Found")]
    NotFound,
    /// The endpoint exists but not with this method.
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
}

impl ApiError {
    /// The Confluent error code.
    pub fn code(&self) -> i32 {
        use ApiError::*;
        match self {
            SubjectNotFound(_) => codes::SUBJECT_NOT_FOUND,
            VersionNotFound(_) => codes::VERSION_NOT_FOUND,
            SchemaNotFound(_) | SchemaNotUnderSubject => codes::SCHEMA_NOT_FOUND,
            SubjectSoftDeleted(_) => codes::SUBJECT_SOFT_DELETED,
            SubjectNotSoftDeleted(_) => codes::SUBJECT_NOT_SOFT_DELETED,
            VersionSoftDeleted(..) => codes::VERSION_SOFT_DELETED,
            VersionNotSoftDeleted(..) => codes::VERSION_NOT_SOFT_DELETED,
            NoSubjectConfig(_) => codes::SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
            NoSubjectMode(_) => codes::SUBJECT_LEVEL_MODE_NOT_CONFIGURED,
            Incompatible { .. } => codes::INCOMPATIBLE_SCHEMA,
            InvalidSchema(_) => codes::INVALID_SCHEMA,
            InvalidVersion(_) => codes::INVALID_VERSION,
            InvalidCompatibility(_) => codes::INVALID_COMPATIBILITY_LEVEL,
            InvalidMode(_) => codes::INVALID_MODE,
            NotPermitted(_) => codes::OPERATION_NOT_PERMITTED,
            ReferenceExists(..) => codes::REFERENCE_EXISTS,
            SchemaTooLarge { .. } => codes::SCHEMA_TOO_LARGE,
            InvalidRuleSet(_) => codes::INVALID_RULE_SET,
            Store(_) => codes::STORE_ERROR,
            BadRequest(_) => 400,
            Unprocessable(_) => 422,
            UnsupportedMediaType(_) => 415,
            PayloadTooLarge(_) => 413,
            Unauthorized => 401,
            NotFound => 404,
            MethodNotAllowed => 405,
        }
    }

    /// The HTTP status: the code's first three digits.
    pub fn status(&self) -> StatusCode {
        let code = self.code();
        let status = if code >= 1000 { code / 100 } else { code };
        u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Store(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_code: self.code(),
            message: self.to_string(),
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"schemactl registry\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_the_first_three_digits_of_the_code() {
        assert_eq!(ApiError::SubjectNotFound("s".into()).status(), 404);
        assert_eq!(
            ApiError::Incompatible {
                subject: "s".into(),
                details: vec![]
            }
            .status(),
            409
        );
        assert_eq!(ApiError::InvalidVersion("0".into()).status(), 422);
        assert_eq!(ApiError::Store("x".into()).status(), 500);
        assert_eq!(ApiError::Unauthorized.status(), 401);
        assert_eq!(ApiError::UnsupportedMediaType("x".into()).status(), 415);
    }

    #[test]
    fn incompatible_message_lists_details_in_brackets() {
        let e = ApiError::Incompatible {
            subject: "gen-value".into(),
            details: vec![
                "{oldSchemaVersion: 1}".into(),
                "{compatibility: 'FULL'}".into(),
            ],
        };
        assert_eq!(
            e.to_string(),
            "Schema being registered is incompatible with an earlier schema for subject \"gen-value\", details: [{oldSchemaVersion: 1}, {compatibility: 'FULL'}]"
        );
    }
}
