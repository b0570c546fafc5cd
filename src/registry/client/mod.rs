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
//!
//! The module follows the call's path: [`calls`] holds one method per REST call, [`http`] the
//! plumbing under them (retries, the two HTTP paths, reading error answers back), [`error`] what
//! can go wrong and which exit code it earns, [`answers`] the typed answers the calls return.

mod answers;
mod calls;
mod error;
mod http;
#[cfg(test)]
mod tests;

pub use answers::{CompatCheck, CompatScope, LevelConfig, LevelSource, SubjectSettings};
pub use error::RegistryError;

use crate::config::{Auth, RegistrySettings};
use http::chain;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use std::time::Duration;

/// Characters left as they are in a path segment: RFC 3986 "unreserved". Everything else,
/// `/`, `%`, `?`, `#`, spaces and non-ASCII included, is percent-encoded as UTF-8.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The longest wait a `Retry-After` header may impose on one retry.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

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
}
