//! The plumbing under the calls: retries with backoff, the two HTTP paths (through
//! `schema_registry_converter`, and `reqwest` directly), and error answers read back into
//! [`RegistryError`]s.

use super::super::model::{CONTENT_TYPE, ConfigResponse};
use super::error::Attempt;
use super::{LevelConfig, MAX_RETRY_AFTER, RegistryClient, RegistryError};
use crate::compat::Policy;
use crate::config::{Auth, ENV_CA_FILE, ENV_CLIENT_CERT, ENV_CLIENT_KEY};
use reqwest::Method;
use schema_registry_converter::error::SRCError;
use schema_registry_converter::schema_registry_common::RawError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::time::{Duration, Instant};

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
pub(super) fn chain(error: &dyn std::error::Error) -> String {
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
    pub(super) fn protocol(&self, op: &str, detail: String) -> RegistryError {
        RegistryError::Protocol {
            url: self.base.clone(),
            op: op.to_string(),
            detail,
        }
    }

    pub(super) fn id(&self, op: &str, id: u32) -> Result<i32, RegistryError> {
        i32::try_from(id).map_err(|_| self.protocol(op, format!("schema id {id} out of range")))
    }

    pub(super) fn level_config(
        &self,
        op: &str,
        c: &ConfigResponse,
    ) -> Result<LevelConfig, RegistryError> {
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
    pub(super) async fn converter<T, F, Fut>(&self, op: &str, call: F) -> Result<T, RegistryError>
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
    pub(super) async fn call<T: DeserializeOwned, B: serde::Serialize + ?Sized>(
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
