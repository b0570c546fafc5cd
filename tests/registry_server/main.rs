//! `schemactl registry serve` tested through its REST API: the real binary on a free loopback
//! port, driven with reqwest, and with Confluent's own clients.

#[path = "../common/mod.rs"]
mod common;
use common::services;

mod api;
mod auth_and_logs;
mod bad_input;
mod compatibility;
mod completeness;
mod config_defaults;
mod conformance;
mod durability;
mod errors;
mod fleet_producer;
mod interop;
mod references;

use reqwest::Method;
use serde_json::{Value, json};
use services::Registry;

/// The registry's content type.
pub const VND: &str = "application/vnd.schemaregistry.v1+json";

/// A running registry and a client for it.
pub struct Api {
    pub registry: Registry,
    client: reqwest::Client,
}

/// An answer: status, content type and body (parsed as JSON when it is).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub json: Value,
}

impl Reply {
    /// Asserts a successful answer and returns its JSON.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "expected 200, got {self:?}");
        assert_eq!(self.content_type, VND, "{self:?}");
        &self.json
    }

    /// Asserts a Confluent error body with this status and code; returns its message.
    #[track_caller]
    pub fn error(&self, status: u16, code: i64) -> &str {
        assert_eq!(
            (self.status, self.json["error_code"].as_i64()),
            (status, Some(code)),
            "{self:?}"
        );
        assert_eq!(self.content_type, VND, "{self:?}");
        let keys: Vec<&String> = self.json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["error_code", "message"], "{self:?}");
        self.json["message"].as_str().unwrap()
    }

    /// Asserts [`Reply::error`], and that its message says every one of `needles`.
    #[track_caller]
    pub fn error_says(&self, status: u16, code: i64, needles: &[&str]) {
        let message = self.error(status, code);
        for needle in needles {
            assert!(message.contains(needle), "no {needle:?} in {message:?}");
        }
    }
}

impl Api {
    /// An in-memory registry.
    pub fn start() -> Api {
        Api::on(Registry::start())
    }

    /// A client for a registry already started.
    pub fn on(registry: Registry) -> Api {
        Api {
            registry,
            client: reqwest::Client::new(),
        }
    }

    /// Sends a request; `body` is sent as the registry's content type.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut req = self.client.request(method, self.registry.at(path));
        if let Some(body) = body {
            req = req.header("content-type", VND).body(body.to_string());
        }
        Api::reply(req).await
    }

    /// Sends a prepared request.
    pub async fn reply(req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request failed");
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            text,
            json,
        }
    }

    /// A raw request builder for odd bodies and headers.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.registry.at(path))
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// Registers `schema` under `subject` and returns its id, asserting success.
    pub async fn register(&self, subject: &str, schema: &Value) -> i64 {
        let reply = self
            .post(
                &format!("/subjects/{}/versions", enc(subject)),
                &body(schema),
            )
            .await;
        reply.ok()["id"].as_i64().unwrap()
    }

    /// Sets a subject's compatibility level.
    pub async fn set_level(&self, subject: &str, level: &str) {
        self.put(
            &format!("/config/{}", enc(subject)),
            &json!({ "compatibility": level }),
        )
        .await
        .ok();
    }
}

/// A registration body for a JSON Schema.
pub fn body(schema: &Value) -> Value {
    json!({ "schemaType": "JSON", "schema": schema.to_string() })
}

/// A subject as a path segment, encoded as schemactl's client encodes it.
pub fn enc(subject: &str) -> String {
    schemactl::registry::encode_subject(subject).expect("an addressable subject")
}

/// The generator reading schema, closed (`additionalProperties: false`), with `fuel` of the
/// given JSON type and any extra properties.
pub fn generator(fuel_type: &str, extra: Value) -> Value {
    let mut properties = json!({
        "generatorID": {"type": "string"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "temperature": {"type": "number"},
        "pressure": {"type": "number"},
        "fuel": {"type": fuel_type},
    });
    if let Value::Object(extra) = extra {
        properties.as_object_mut().unwrap().extend(extra);
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "GeneratorReading",
        "type": "object",
        "properties": properties,
        "required": ["generatorID", "lat", "lon"],
        "additionalProperties": false
    })
}

/// Version 1 of the generator schema.
pub fn generator_v1() -> Value {
    generator("number", json!({}))
}
