#!/usr/bin/env python3
"""Confluent's own Python serializer enforces the rules `schemactl register` stored.

Usage: rules_python.py REGISTRY_URL TOPIC

Reads the latest version of TOPIC-value (with its ruleSet) from the registry, registers
Confluent's CEL executor, and checks, both ways: JSONSerializer serializes a reading that keeps
the rules and refuses one that breaks them; JSONDeserializer reads the kept one back and
refuses the broken one's bytes. Exits 0 when all agree, 1 otherwise, 2 when confluent-kafka
(with its rules extra) is not installed.
"""

import json
import struct
import sys

from script_support import WITH_RULES, missing

try:
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
    from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
    from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
except ImportError as e:
    missing(e, WITH_RULES)


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    url, topic = sys.argv[1], sys.argv[2]
    subject = f"{topic}-value"
    CelExecutor.register()
    client = SchemaRegistryClient({"url": url})
    latest = client.get_latest_version(subject)
    rule_set = latest.schema.rule_set
    if rule_set is None or not rule_set.domain_rules:
        fail(f"no ruleSet on {subject} v{latest.version}")
    names = sorted(r.name for r in rule_set.domain_rules)
    print(f"{subject} v{latest.version} carries rules {names}")
    props = latest.schema.metadata.properties if latest.schema.metadata else None
    print(f"metadata properties {props}")

    conf = {"auto.register.schemas": False, "use.latest.version": True}
    ser = JSONSerializer(latest.schema.schema_str, client, conf=conf)
    ctx = SerializationContext(topic, MessageField.VALUE)
    keeps = {"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429,
             "temperature": 36, "pressure": 500, "fuel": 400}
    breaks = dict(keeps, fuel=-9)
    data = ser(keeps, ctx)
    if not data or data[0] != 0:
        fail(f"the kept reading did not serialize in wire format: {data!r}")
    print("serialized a reading that keeps the rules")
    try:
        ser(breaks, ctx)
        fail("serialized a reading with fuel -9")
    except SerializationError as e:
        print(f"refused to serialize fuel -9: {e}")

    de = JSONDeserializer(None, schema_registry_client=client)
    back = de(data, ctx)
    if back != keeps:
        fail(f"deserialized {back!r}")
    broken = b"\x00" + struct.pack(">I", latest.schema_id) + json.dumps(breaks).encode()
    try:
        de(broken, ctx)
        fail("deserialized a reading with fuel -9")
    except SerializationError as e:
        print(f"refused to deserialize fuel -9: {e}")
    print("all rule interop checks passed")


if __name__ == "__main__":
    main()
