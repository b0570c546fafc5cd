//! `schemactl.toml` and the environment: where the registry is and how to authenticate.
//!
//! Precedence, highest first: command-line flags, environment variables, the config file.
//! Credentials are held in [`Secret`], whose `Debug` is redacted and which has no `Display`,
//! so no log line, error or `{:?}` can print them.
//!
//! ```toml
//! [registry]
//! url = "https://psrc-abc.eu-central-1.aws.confluent.cloud"
//! basic_auth_user_info = "API_KEY:API_SECRET"   # or bearer_token = "..."
//! ca_file = "certs/ca.pem"                      # extra trusted CAs (PEM bundle)
//! client_cert = "certs/client.pem"              # mTLS: PEM certificate chain
//! client_key = "certs/client.key"               # mTLS: PKCS#8 PEM key
//! timeout_secs = 10
//! retries = 3
//! ```

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// The registry URL.
pub const ENV_URL: &str = "SCHEMA_REGISTRY_URL";
/// Basic auth as `user:secret` (a Confluent Cloud API key and secret).
pub const ENV_BASIC_AUTH: &str = "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO";
/// A bearer token.
pub const ENV_BEARER_TOKEN: &str = "SCHEMA_REGISTRY_BEARER_AUTH_TOKEN";
/// A PEM bundle of extra trusted CA certificates.
pub const ENV_CA_FILE: &str = "SCHEMA_REGISTRY_CA_FILE";
/// A PEM client certificate (chain) for mTLS.
pub const ENV_CLIENT_CERT: &str = "SCHEMA_REGISTRY_CLIENT_CERT";
/// The PKCS#8 PEM key of the client certificate.
pub const ENV_CLIENT_KEY: &str = "SCHEMA_REGISTRY_CLIENT_KEY";
/// The config file name looked for in the project root.
pub const FILE_NAME: &str = "schemactl.toml";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_RETRIES: u32 = 3;

/// A credential. Its `Debug` prints `<redacted>`; it has no `Display` and no `Serialize`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// From a command-line value: parsed after clap, so a malformed value is never echoed in
/// clap's error.
impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret::new(s))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How the client authenticates to the registry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// HTTP basic auth (`user:secret`; for Confluent Cloud the API key and secret).
    Basic {
        /// The user (an API key id is not a secret and helps to tell keys apart).
        user: String,
        /// The password or API secret.
        secret: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
}

impl Auth {
    /// Reads `user:secret`; the value itself never appears in the error.
    pub fn basic(user_info: &str, origin: &str) -> Result<Auth, ConfigError> {
        match user_info.split_once(':') {
            Some((user, secret)) if !user.is_empty() => Ok(Auth::Basic {
                user: user.to_string(),
                secret: Secret::new(secret),
            }),
            _ => Err(ConfigError::Invalid(format!(
                "{origin}: basic auth user info must be \"user:secret\" (value not shown)"
            ))),
        }
    }

    /// Where credentials come from, for "what to check" hints.
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials were sent".into(),
            Auth::Basic { user, .. } => format!("basic auth as user \"{user}\" was sent"),
            Auth::Bearer(_) => "a bearer token was sent".into(),
        }
    }
}

/// Where a setting came from, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The config file.
    File,
}

/// Everything needed to talk to the registry, resolved from flags, environment and file.
#[derive(Clone, Debug)]
pub struct RegistrySettings {
    /// The registry's base URL (no credentials in it), or `None` if nothing names one.
    pub url: Option<String>,
    /// Where the URL came from.
    pub url_origin: Option<Origin>,
    /// Credentials.
    pub auth: Auth,
    /// Extra trusted CA certificates (PEM bundle).
    pub ca_file: Option<PathBuf>,
    /// mTLS client certificate (PEM).
    pub client_cert: Option<PathBuf>,
    /// mTLS client key (PKCS#8 PEM).
    pub client_key: Option<PathBuf>,
    /// How long one request may take, connection included.
    pub timeout: Duration,
    /// Extra attempts for idempotent calls that failed transiently.
    pub retries: u32,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            url: None,
            url_origin: None,
            auth: Auth::None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
        }
    }
}

impl RegistrySettings {
    /// Sets the URL from a flag, which wins over environment and file.
    pub fn with_url_flag(mut self, url: Option<&str>) -> Self {
        if let Some(url) = url {
            self.url = Some(url.to_string());
            self.url_origin = Some(Origin::Flag);
        }
        self
    }

    /// Sets the timeout from a flag.
    pub fn with_timeout_flag(mut self, secs: Option<f64>) -> Result<Self, ConfigError> {
        if let Some(secs) = secs {
            self.timeout = timeout(secs, "--timeout")?;
        }
        Ok(self)
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// The registry.
    pub registry: RegistrySettings,
}

/// A configuration problem; always the user's to fix (exit 2).
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A value is wrong.
    #[error("{0}")]
    Invalid(String),
}

impl crate::Classified for ConfigError {
    /// The exit code: a configuration problem is always the user's to fix.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    registry: FileRegistry,
}

/// `[registry]` in `schemactl.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRegistry {
    /// The registry's base URL.
    url: Option<String>,
    /// `user:secret` for basic auth.
    basic_auth_user_info: Option<Secret>,
    /// A bearer token.
    bearer_token: Option<Secret>,
    /// Extra trusted CAs (PEM bundle), relative to the config file.
    ca_file: Option<PathBuf>,
    /// mTLS certificate (PEM), relative to the config file.
    client_cert: Option<PathBuf>,
    /// mTLS key (PKCS#8 PEM), relative to the config file.
    client_key: Option<PathBuf>,
    /// Seconds one request may take.
    timeout_secs: Option<f64>,
    /// Extra attempts for idempotent calls.
    retries: Option<u32>,
}

fn timeout(secs: f64, origin: &str) -> Result<Duration, ConfigError> {
    if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(ConfigError::Invalid(format!(
            "{origin}: timeout must be between 0 and 3600 seconds, not {secs}"
        )))
    }
}

impl Config {
    /// Reads `explicit`, else `<root>/schemactl.toml` if it exists, then the process environment.
    pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(root.join(FILE_NAME)).filter(|p| p.is_file()),
        };
        let text = path
            .as_ref()
            .map(|p| {
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.clone(),
                    source,
                })
            })
            .transpose()?;
        let file = path.as_deref().zip(text.as_deref());
        Config::resolve(file, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// Combines a config file (path and text) with environment variables read through `env`.
    pub fn resolve(
        file: Option<(&Path, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let parsed: FileConfig = match file {
            None => FileConfig::default(),
            Some((path, text)) => toml::from_str(text).map_err(|e| {
                let place = e
                    .span()
                    .map(|s| {
                        let line = text[..s.start].matches('\n').count() + 1;
                        format!("line {line}: ")
                    })
                    .unwrap_or_default();
                ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: format!(
                        "{place}{}\nhelp: [registry] takes url, basic_auth_user_info, bearer_token, ca_file, client_cert, client_key, timeout_secs, retries",
                        e.message().trim_end()
                    ),
                }
            })?,
        };
        let base = file
            .and_then(|(p, _)| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let shown = file
            .map(|(p, _)| p.display().to_string())
            .unwrap_or_default();
        let f = parsed.registry;
        let mut settings = RegistrySettings::default();

        if let Some(url) = env(ENV_URL) {
            settings.url = Some(url);
            settings.url_origin = Some(Origin::Env);
        } else if let Some(url) = f.url {
            settings.url = Some(url);
            settings.url_origin = Some(Origin::File);
        }

        let basic = match env(ENV_BASIC_AUTH) {
            Some(v) => Some(Auth::basic(&v, ENV_BASIC_AUTH)?),
            None => f
                .basic_auth_user_info
                .map(|v| Auth::basic(v.expose(), &format!("{shown}: basic_auth_user_info")))
                .transpose()?,
        };
        let bearer = env(ENV_BEARER_TOKEN)
            .map(Secret::new)
            .or(f.bearer_token)
            .map(Auth::Bearer);
        settings.auth = match (basic, bearer) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid(format!(
                    "both basic auth and a bearer token are configured; keep one \
                     ({ENV_BASIC_AUTH} / basic_auth_user_info or {ENV_BEARER_TOKEN} / bearer_token)"
                )));
            }
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => Auth::None,
        };

        let path_setting = |var: &str, from_file: Option<PathBuf>| {
            env(var)
                .map(PathBuf::from)
                .or_else(|| from_file.map(|p| base.join(p)))
        };
        settings.ca_file = path_setting(ENV_CA_FILE, f.ca_file);
        settings.client_cert = path_setting(ENV_CLIENT_CERT, f.client_cert);
        settings.client_key = path_setting(ENV_CLIENT_KEY, f.client_key);
        if settings.client_cert.is_some() != settings.client_key.is_some() {
            return Err(ConfigError::Invalid(format!(
                "mTLS needs both a client certificate and its key \
                 ({ENV_CLIENT_CERT} / client_cert and {ENV_CLIENT_KEY} / client_key)"
            )));
        }
        if let Some(secs) = f.timeout_secs {
            settings.timeout = timeout(secs, &format!("{shown}: timeout_secs"))?;
        }
        if let Some(retries) = f.retries {
            if retries > 10 {
                return Err(ConfigError::Invalid(format!(
                    "{shown}: retries must be at most 10, not {retries}"
                )));
            }
            settings.retries = retries;
        }
        Ok(Config {
            file: file.map(|(p, _)| p.to_path_buf()),
            registry: settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const FILE: &str = r#"
[registry]
url = "https://file.example"
basic_auth_user_info = "key:file-secret"
ca_file = "certs/ca.pem"
timeout_secs = 2.5
retries = 1
"#;

    #[test]
    fn environment_wins_over_the_file() {
        let path = Path::new("/p/schemactl.toml");
        let c = Config::resolve(
            Some((path, FILE)),
            env(&[
                (ENV_URL, "http://env.example:8081"),
                (ENV_BASIC_AUTH, "envkey:env-secret"),
            ]),
        )
        .unwrap();
        assert_eq!(c.registry.url.as_deref(), Some("http://env.example:8081"));
        assert_eq!(c.registry.url_origin, Some(Origin::Env));
        assert_eq!(
            c.registry.auth,
            Auth::Basic {
                user: "envkey".into(),
                secret: Secret::new("env-secret")
            }
        );
        assert_eq!(c.registry.ca_file, Some(PathBuf::from("/p/certs/ca.pem")));
        assert_eq!(c.registry.timeout, Duration::from_millis(2500));
        assert_eq!(c.registry.retries, 1);
        let flagged = c.registry.with_url_flag(Some("http://flag"));
        assert_eq!(flagged.url_origin, Some(Origin::Flag));
    }

    #[test]
    fn debug_output_never_shows_credentials() {
        let path = Path::new("schemactl.toml");
        let c = Config::resolve(Some((path, FILE)), env(&[])).unwrap();
        let shown = format!("{c:?} {:#?}", c.registry);
        assert!(!shown.contains("file-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        let bearer = Config::resolve(None, env(&[(ENV_BEARER_TOKEN, "tok-123")])).unwrap();
        assert!(!format!("{bearer:?}").contains("tok-123"));
    }

    #[test]
    fn malformed_credentials_are_refused_without_echoing_them() {
        let err = Config::resolve(None, env(&[(ENV_BASIC_AUTH, "no-colon-secret")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(ENV_BASIC_AUTH), "{err}");
        assert!(!err.contains("no-colon-secret"), "{err}");
    }

    #[test]
    fn unknown_keys_and_conflicts_are_errors() {
        let path = Path::new("schemactl.toml");
        let err = Config::resolve(Some((path, "[registry]\nurll = \"x\"\n")), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("urll"), "{err}");
        let both = Config::resolve(
            None,
            env(&[(ENV_BASIC_AUTH, "a:b"), (ENV_BEARER_TOKEN, "t")]),
        );
        assert!(both.is_err());
        let half = Config::resolve(None, env(&[(ENV_CLIENT_CERT, "c.pem")]));
        assert!(half.is_err());
        let zero = Config::resolve(Some((path, "[registry]\ntimeout_secs = 0\n")), env(&[]));
        assert!(zero.is_err());
    }
}
