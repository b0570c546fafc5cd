//! What can go wrong talking to the registry, and which exit code each earns.

use super::super::model::codes;
use crate::config::{ENV_BASIC_AUTH, ENV_BEARER_TOKEN};
use std::time::Duration;
use thiserror::Error;

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

impl crate::Classified for RegistryError {
    /// The exit code this error earns: 2 when the request itself is wrong (no URL, a bad
    /// subject, a 4xx answer), 3 when the registry could not be reached or refused us.
    fn exit(&self) -> crate::Exit {
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
}

impl RegistryError {
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
    pub(super) fn brief(&self) -> String {
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
    pub(super) fn retryable(&self, idempotent: bool) -> bool {
        match self {
            RegistryError::Unreachable { connecting, .. } => *connecting || idempotent,
            RegistryError::Api { status, .. } => idempotent && (*status == 429 || *status >= 500),
            _ => false,
        }
    }
}

/// One failed attempt, with the wait the registry asked for.
pub(super) struct Attempt {
    pub(super) error: RegistryError,
    pub(super) retry_after: Option<Duration>,
}

impl From<RegistryError> for Attempt {
    fn from(error: RegistryError) -> Self {
        Attempt {
            error,
            retry_after: None,
        }
    }
}
