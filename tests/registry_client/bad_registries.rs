//! Registries that misbehave (a loopback listener that hangs, one that answers 401 or 403, one
//! behind TLS) and configuration from flags, environment and `schemactl.toml`.

use crate::fake;
use crate::{Run, schemactl_env, temp};
use std::path::Path;
use std::time::{Duration, Instant};

fn schemactl(dir: &Path, args: &[&str]) -> Run {
    schemactl_env(dir, args, &[])
}

fn write_schema(dir: &Path) -> String {
    let path = dir.join("new.json");
    std::fs::write(
        &path,
        r#"{"type":"object","properties":{"fuel":{"type":"number"}}}"#,
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_registry_that_hangs_times_out_with_exit_3() {
    let dir = temp();
    let registry = fake::Hanging::start();
    let proposal = write_schema(dir.path());
    for args in [
        vec!["subjects", "--registry", &registry.url, "--timeout", "0.5"],
        // A gate never passes because the registry could not be asked.
        vec![
            "check-compat",
            &proposal,
            "--registry",
            &registry.url,
            "--subject",
            "emergency_generator-value",
            "--timeout",
            "0.5",
        ],
    ] {
        let started = Instant::now();
        let run = schemactl(dir.path(), &args);
        assert_eq!(run.code, 3, "{}", run.text());
        assert!(
            run.stderr.contains("did not answer") && run.stderr.contains("within 0.5 s"),
            "{}",
            run.text()
        );
        assert!(run.stderr.contains("help: "), "{}", run.text());
        // Timeouts are not retried: one budget, not four.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
    assert!(registry.connections() >= 2);
}

#[test]
fn a_refused_connection_exits_3_and_says_what_to_check() {
    let dir = temp();
    let url = fake::closed_port_url();
    let run = schemactl(dir.path(), &["config", "get", "--registry", &url]);
    run.exits_saying(
        3,
        &["cannot reach the schema registry", "help: check the URL"],
    );
}

#[test]
fn refused_credentials_exit_3_and_are_never_printed() {
    let dir = temp();
    let registry = fake::Answering::start(401, r#"{"error_code":401,"message":"Unauthorized"}"#);
    for verbosity in ["-v", "-vvv"] {
        let run = schemactl_env(
            dir.path(),
            &[verbosity, "subjects", "--registry", &registry.url],
            &[(
                "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
                "FLEETKEY:t0p-s3cret",
            )],
        );
        run.exits_saying(
            3,
            &[
                "HTTP 401",
                "help: check SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
                "user \"FLEETKEY\"",
            ],
        );
        assert!(!run.text().contains("t0p-s3cret"), "{}", run.text());
        // Nor its base64 form, which -vvv could otherwise show in a header dump.
        assert!(
            !run.text().contains("RkxFRVRLRVk6dDBwLXMzY3JldA"),
            "{}",
            run.text()
        );
    }
    // The credentials did reach the registry.
    assert!(
        registry
            .requests()
            .iter()
            .all(|r| r.contains("authorization: Basic RkxFRVRLRVk6dDBwLXMzY3JldA==")),
        "{:?}",
        registry.requests()
    );
}

#[test]
fn a_forbidden_call_exits_3_and_names_the_missing_permission() {
    let dir = temp();
    let registry = fake::Answering::start(
        403,
        r#"{"error_code":40301,"message":"User is denied operation Write on Subject: emergency_generator-value"}"#,
    );
    let run = schemactl_env(
        dir.path(),
        &["config", "set-level", "emergency_generator-value", "FULL"],
        &[
            ("SCHEMA_REGISTRY_URL", &registry.url),
            ("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", "eyJ-token-value"),
        ],
    );
    run.exits_saying(
        3,
        &["HTTP 403", "lack permission", "a bearer token was sent"],
    );
    assert!(!run.text().contains("eyJ-token-value"), "{}", run.text());
    assert!(registry.requests()[0].contains("authorization: Bearer eyJ-token-value"));
}

#[test]
fn the_config_file_names_the_registry_and_its_credentials() {
    let dir = temp();
    let registry = fake::Answering::start(200, r#"{"compatibilityLevel":"FULL","extra":1}"#);
    std::fs::write(
        dir.path().join("schemactl.toml"),
        format!(
            "[registry]\nurl = \"{}\"\nbasic_auth_user_info = \"filekey:file-secret\"\n",
            registry.url
        ),
    )
    .unwrap();
    let run = schemactl(dir.path(), &["config", "get", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.text());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["level"], "FULL");
    assert_eq!(doc["source"], "global");
    assert!(registry.requests()[0].starts_with("GET /config HTTP/1.1"));
    assert!(registry.requests()[0].contains("authorization: Basic ZmlsZWtleTpmaWxlLXNlY3JldA=="));

    // The flag wins over the file.
    let elsewhere = fake::closed_port_url();
    let run = schemactl(dir.path(), &["config", "get", "--registry", &elsewhere]);
    run.exits_saying(3, &[&elsewhere]);
}

#[test]
fn configuration_mistakes_exit_2() {
    let dir = temp();
    let run = schemactl(dir.path(), &["subjects"]);
    run.exits_saying(2, &["no schema registry configured", "SCHEMA_REGISTRY_URL"]);

    let run = schemactl_env(
        dir.path(),
        &["subjects", "--registry", "http://127.0.0.1:9"],
        &[("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "no-colon-s3cret")],
    );
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(!run.text().contains("no-colon-s3cret"), "{}", run.text());

    let run = schemactl_env(
        dir.path(),
        &["subjects", "--registry", "http://127.0.0.1:9"],
        &[("SCHEMA_REGISTRY_CA_FILE", "/nonexistent/ca.pem")],
    );
    run.exits_saying(2, &["/nonexistent/ca.pem"]);

    std::fs::write(dir.path().join("schemactl.toml"), "[registry]\nurl = 3\n").unwrap();
    let run = schemactl(dir.path(), &["subjects"]);
    run.exits_saying(2, &["schemactl.toml"]);
}

#[test]
fn subjects_no_url_can_carry_are_refused_before_any_request() {
    let dir = temp();
    let registry = fake::Answering::start(200, "{}");
    for subject in [".", ".."] {
        let run = schemactl(dir.path(), &["show", subject, "--registry", &registry.url]);
        run.exits_saying(2, &["cannot be addressed"]);
    }
    assert!(registry.requests().is_empty());
}

#[test]
fn delete_without_a_terminal_or_yes_refuses_with_exit_2() {
    let dir = temp();
    let registry = fake::Answering::start(200, "[1]");
    let run = schemactl(
        dir.path(),
        &[
            "delete",
            "emergency_generator-value",
            "--registry",
            &registry.url,
        ],
    );
    run.exits_saying(2, &["without confirmation", "--yes"]);
    assert!(
        registry.requests().is_empty(),
        "nothing is asked or deleted"
    );
}

#[test]
fn a_private_ca_and_a_client_certificate_are_used() {
    let dir = temp();
    let registry = fake::Tls::start(true, r#"{"compatibilityLevel":"FULL_TRANSITIVE"}"#);
    let (ca, cert, key) = (
        fake::tls_fixture("ca.pem"),
        fake::tls_fixture("client.pem"),
        fake::tls_fixture("client.key"),
    );
    let args = ["config", "get", "--registry", registry.url.as_str()];

    let run = schemactl_env(
        dir.path(),
        &args,
        &[
            ("SCHEMA_REGISTRY_CA_FILE", &ca),
            ("SCHEMA_REGISTRY_CLIENT_CERT", &cert),
            ("SCHEMA_REGISTRY_CLIENT_KEY", &key),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.text());
    assert_eq!(run.stdout.trim(), "FULL_TRANSITIVE (global)");
    assert_eq!(
        registry.handshakes(),
        [Ok(Some("fleet-ci".to_string()))],
        "the client certificate was presented"
    );

    // Without the CA the server is not trusted: exit 3, not retried, and what to set.
    let run = schemactl_env(
        dir.path(),
        &args,
        &[
            ("SCHEMA_REGISTRY_CLIENT_CERT", &cert),
            ("SCHEMA_REGISTRY_CLIENT_KEY", &key),
        ],
    );
    run.exits_saying(
        3,
        &[
            "TLS with the schema registry",
            "help: the registry's certificate is not trusted",
            "SCHEMA_REGISTRY_CA_FILE",
        ],
    );
    assert_eq!(
        registry.handshakes().len(),
        2,
        "a TLS failure is not retried"
    );

    // Without the client certificate the registry refuses the handshake.
    let run = schemactl_env(dir.path(), &args, &[("SCHEMA_REGISTRY_CA_FILE", &ca)]);
    run.exits_saying(
        3,
        &[
            "TLS with the schema registry",
            "SCHEMA_REGISTRY_CLIENT_CERT",
        ],
    );

    // Paths in schemactl.toml are relative to the file.
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    for name in ["ca.pem", "client.pem", "client.key"] {
        std::fs::copy(fake::tls_fixture(name), dir.path().join("certs").join(name)).unwrap();
    }
    std::fs::write(
        dir.path().join("schemactl.toml"),
        format!(
            "[registry]\nurl = \"{}\"\nca_file = \"certs/ca.pem\"\nclient_cert = \"certs/client.pem\"\nclient_key = \"certs/client.key\"\n",
            registry.url
        ),
    )
    .unwrap();
    let elsewhere = temp();
    let config = dir.path().join("schemactl.toml").display().to_string();
    let run = schemactl(elsewhere.path(), &["--config", &config, "config", "get"]);
    assert_eq!(run.code, 0, "{}", run.text());
}
