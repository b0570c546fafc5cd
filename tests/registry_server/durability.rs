//! SQLite storage: acknowledged registrations survive `kill -9`; one server per data directory.

use crate::services::{Registry, schemactl};
use crate::{Api, generator, generator_v1};
use serde_json::json;

#[tokio::test]
async fn an_acknowledged_registration_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::on(Registry::start_on(dir.path()));
    api.set_level("gen-value", "FULL").await;
    let id = api.register("gen-value", &generator_v1()).await;
    let key = api
        .register("gen-key", &generator("string", json!({})))
        .await;
    api.put("/mode/frozen", &json!({"mode": "READONLY"}))
        .await
        .ok();
    // The 200 above is the acknowledgement; now crash.
    let status = api.registry.kill();
    assert!(!status.success());

    let api = Api::on(Registry::start_on(dir.path()));
    let by_id = api.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(by_id.ok()["schema"], generator_v1().to_string());
    assert_eq!(
        api.get("/subjects/gen-key/versions/1").await.ok()["id"],
        key
    );
    assert_eq!(
        api.get("/config/gen-value").await.ok(),
        &json!({"compatibilityLevel": "FULL"})
    );
    assert_eq!(
        api.get("/mode/frozen").await.ok(),
        &json!({"mode": "READONLY"})
    );
    // The identical schema still dedups after the restart, and new ids continue upwards.
    assert_eq!(api.register("gen-value", &generator_v1()).await, id);
    assert_eq!(
        api.get("/subjects/gen-value/versions").await.ok(),
        &json!([1])
    );
    let next = api.register("elsewhere", &json!({"type": "boolean"})).await;
    assert!(next > key, "{next} after {key}");
}

#[tokio::test]
async fn the_data_directory_is_created_and_said_to_be_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/registry");
    let registry = Registry::start_on(&data);
    let out = registry
        .stdout
        .wait_for("the storage line", |t| t.contains("storage:"));
    assert!(out.contains("SQLite (WAL)"), "{out}");
    assert!(data.join("registry.sqlite3").exists());
}

#[tokio::test]
async fn without_data_the_registry_says_it_is_in_memory() {
    let registry = Registry::start();
    let out = registry
        .stdout
        .wait_for("the storage line", |t| t.contains("storage:"));
    assert!(out.contains("in memory"), "{out}");
}

#[test]
fn a_second_server_on_the_same_data_directory_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Registry::start_on(dir.path());
    let second = std::process::Command::new(schemactl())
        .args(["registry", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(3), "{second:?}");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("in use by another schemactl registry"),
        "{stderr}"
    );
    assert!(second.stdout.is_empty());
}

#[test]
fn a_port_in_use_is_an_infrastructure_error() {
    let first = Registry::start();
    let addr = first.url.trim_start_matches("http://").to_string();
    let second = std::process::Command::new(schemactl())
        .args(["registry", "serve", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(3), "{second:?}");
    assert!(String::from_utf8_lossy(&second.stderr).contains(&addr));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let registry = Registry::start();
    let stderr = registry.stderr.clone();
    let status = registry.terminate();
    assert!(status.success(), "{status:?}: {}", stderr.text());
}
