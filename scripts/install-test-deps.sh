#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently: services the integration tests start
# (Mosquitto, Tansu) and client libraries used by interoperability tests.
# Run as root on Debian (CI runs it from .ci/run). Each step skips itself when already done.
set -euo pipefail

need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# A real Kafka-protocol broker for the integration tests (about 15 minutes the first time).
if ! command -v tansu >/dev/null 2>&1 || ! tansu --version 2>/dev/null | grep -q '0\.6\.0'; then
  cargo install tansu --version 0.6.0 --locked --features dynostore
fi

# Confluent's Python client for the registry interop test (tests/interop/confluent_python.py):
# SchemaRegistryClient needs the `schemaregistry` extra (httpx, authlib, cachetools, attrs),
# JSONSerializer/JSONDeserializer the `json` extra (jsonschema, referencing, orjson).
if ! python3 -c 'import confluent_kafka.schema_registry.json_schema' >/dev/null 2>&1; then
  python3 -m pip install --quiet 'confluent-kafka[schemaregistry,json]'
fi

# --- Registry conformance and Node interop (tests/registry_server/conformance.rs, interop.rs) ---
# schemathesis, pinned: the conformance test runs it with Confluent's OpenAPI document against
# `schemactl registry serve`. The Node clients users run (@kafkajs/confluent-schema-registry,
# @confluentinc/schemaregistry), pinned by tests/interop/node/package-lock.json; needs Node 20+.
if ! python3 -m schemathesis.cli --version 2>/dev/null | grep -q '4\.32\.5'; then
  python3 -m pip install --quiet 'schemathesis==4.32.5'
fi
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
node_dir="$(dirname "$0")/../tests/interop/node"
if ! (cd "$node_dir" && npm ls --omit=dev >/dev/null 2>&1); then
  npm ci --prefix "$node_dir" --no-audit --no-fund
fi

# The fleet's own producers in the live tests (tests/interop/fleet_traffic.py): confluent-kafka
# with the `rules` extra as the fleet installs it (`confluent-kafka[schemaregistry,json,rules]`)
# and paho-mqtt; the private CA of the TLS tests is made with the openssl command (above).
# Skipped when the modules already import (celpy, jsonata and tink come with `rules`).
if ! python3 -c 'import confluent_kafka.schema_registry.json_schema, celpy, jsonata, tink' >/dev/null 2>&1; then
  python3 -m pip install --quiet 'confluent-kafka[schemaregistry,json,rules]'
fi
if ! python3 -c 'import paho.mqtt.client' >/dev/null 2>&1; then
  python3 -m pip install --quiet paho-mqtt
fi

# --- Manual page (tests/conventions.rs) ---
# groff checks that `schemactl man` writes roff that renders without warnings.
if ! command -v groff >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq groff-base
fi

# --- Headless browser (tests/output.rs, engineer `output`) ---
# Debian's chromium renders `--format html` audits in a test: a screenshot checked for the
# charts' pixels and `--dump-dom` for the text a person reads.
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
