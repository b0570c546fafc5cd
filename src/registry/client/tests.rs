//! The client against a mock registry on loopback: encoding, retries, credentials, errors.

use super::super::model::{CONTENT_TYPE, RegisterRequest, VersionRef, codes};
use super::*;
use crate::config::Secret;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::Instant;

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
