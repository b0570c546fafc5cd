//! Basic authentication and the request log, which never holds a secret.

use crate::services::Registry;
use crate::{Api, body, generator_v1};

const SECRET: &str = "pr0pane-Tank-7781";

fn with_auth() -> Api {
    let credentials = format!("fleet:{SECRET}");
    Api::on(Registry::start_with(
        &[],
        &[("SCHEMACTL_REGISTRY_BASIC_AUTH", credentials.as_str())],
    ))
}

#[tokio::test]
async fn basic_auth_is_required_when_configured() {
    let api = with_auth();
    let anonymous = api.get("/subjects").await;
    assert_eq!(anonymous.error(401, 401), "Unauthorized");
    let wrong = Api::reply(
        api.request(reqwest::Method::GET, "/subjects")
            .basic_auth("fleet", Some("guess")),
    )
    .await;
    wrong.error(401, 401);
    let right = Api::reply(
        api.request(reqwest::Method::POST, "/subjects/gen-value/versions")
            .basic_auth("fleet", Some(SECRET))
            .header("content-type", crate::VND)
            .body(body(&generator_v1()).to_string()),
    )
    .await;
    assert_eq!(right.ok()["id"], 1);
}

#[tokio::test]
async fn the_secret_is_never_logged_or_printed() {
    let api = with_auth();
    for secret in [SECRET, "wrong-secret"] {
        Api::reply(
            api.request(reqwest::Method::GET, "/subjects")
                .basic_auth("fleet", Some(secret)),
        )
        .await;
    }
    let logs = api.registry.stderr.wait_for("two request lines", |t| {
        t.matches("GET /subjects").count() == 2
    });
    assert!(
        logs.contains("basic authentication required (user fleet)"),
        "{logs}"
    );
    let stdout = api.registry.stdout.text();
    for text in [&logs, &stdout] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("wrong-secret"), "{text}");
        assert!(!text.contains("Basic "), "{text}");
    }
}

#[test]
fn a_malformed_credential_is_refused_without_echoing_it() {
    let out = std::process::Command::new(crate::services::schemactl())
        .args(["registry", "serve", "--listen", "127.0.0.1:0"])
        .env("SCHEMACTL_REGISTRY_BASIC_AUTH", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("USER:SECRET"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[tokio::test]
async fn one_log_line_per_request_with_method_path_and_status() {
    let api = Api::start();
    api.get("/subjects").await.ok();
    api.get("/schemas/ids/7").await.error(404, 40403);
    api.post("/subjects/gen-value/versions", &body(&generator_v1()))
        .await
        .ok();
    let logs = api.registry.stderr.wait_for("three request lines", |t| {
        t.lines()
            .filter(|l| l.contains("schemactl::registry:"))
            .count()
            == 3
    });
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("schemactl::registry:"))
        .collect();
    assert!(
        lines[0].contains(" INFO ") && lines[0].contains("GET /subjects 200"),
        "{logs}"
    );
    assert!(lines[1].contains("GET /schemas/ids/7 404"), "{logs}");
    assert!(
        lines[2].contains("POST /subjects/gen-value/versions 200"),
        "{logs}"
    );
}
