//! Optional HTTP basic authentication, as Confluent clients send it
//! (`basic.auth.user.info` = `user:secret`). The secret is never logged, printed or shown by
//! `Debug`.

use super::error::ApiError;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A user and secret the server accepts.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    /// `Basic <base64(user:secret)>`, the exact header value clients send.
    expected: String,
}

impl Credentials {
    /// Credentials for `user` with `secret`.
    pub fn new(user: &str, secret: &str) -> Credentials {
        Credentials {
            user: user.to_string(),
            expected: base64(format!("{user}:{secret}").as_bytes()),
        }
    }

    /// The user name (not secret).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Whether an `Authorization` header value carries these credentials.
    fn accepts(&self, header: &[u8]) -> bool {
        let Some((scheme, token)) = header
            .iter()
            .position(|&b| b == b' ')
            .map(|i| (&header[..i], header[i + 1..].trim_ascii()))
        else {
            return false;
        };
        scheme.eq_ignore_ascii_case(b"basic") && constant_time_eq(token, self.expected.as_bytes())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl FromStr for Credentials {
    type Err = String;

    /// Reads `user:secret`; the secret may contain `:`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((user, secret)) if !user.is_empty() && !secret.is_empty() => {
                Ok(Credentials::new(user, secret))
            }
            // Never echo the input: it holds the secret.
            _ => Err("expected USER:SECRET with a non-empty user and secret".into()),
        }
    }
}

/// Middleware: 401 with a Confluent error body unless the request carries the credentials.
pub async fn require(
    State(credentials): State<Arc<Credentials>>,
    req: Request,
    next: Next,
) -> Response {
    let ok = req
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|v| credentials.accepts(v.as_bytes()));
    if ok {
        next.run(req).await
    } else {
        ApiError::Unauthorized.into_response()
    }
}

/// Compares without stopping at the first difference, so timing does not reveal the secret.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Standard base64 with padding (RFC 4648), which every HTTP client uses for basic auth.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn accepts_only_the_right_credentials() {
        let c: Credentials = "fleet:s3cr:et".parse().unwrap();
        let header = |user: &str, secret: &str| {
            format!("Basic {}", base64(format!("{user}:{secret}").as_bytes()))
        };
        assert!(c.accepts(header("fleet", "s3cr:et").as_bytes()));
        assert!(
            c.accepts(
                header("fleet", "s3cr:et")
                    .replace("Basic", "basic")
                    .as_bytes()
            )
        );
        assert!(!c.accepts(header("fleet", "wrong").as_bytes()));
        assert!(!c.accepts(header("other", "s3cr:et").as_bytes()));
        assert!(!c.accepts(b"Bearer abc"));
        assert!(!c.accepts(b"Basic"));
    }

    #[test]
    fn debug_and_errors_never_show_the_secret() {
        let c: Credentials = "fleet:hunter2".parse().unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        let err = "hunter2".parse::<Credentials>().unwrap_err();
        assert!(!err.contains("hunter2"));
    }
}
