#!/usr/bin/env python3
"""Confluent's own Python client, unmodified, against schemactl's embedded registry.

Usage: confluent_python.py REGISTRY_URL SUBJECT_PREFIX

Exercises SchemaRegistryClient (register, lookup, get by id, get latest, test_compatibility,
set_compatibility) and JSONSerializer/JSONDeserializer encoding and decoding a generator
reading. Exits 0 when everything agrees, 1 with a message otherwise, and 2 when
confluent-kafka is not installed (printing the install command).
"""

import json

from script_support import check, missing, run

try:
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext
except ImportError as e:
    missing(e)

GENERATOR_V1 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "GeneratorReading",
    "type": "object",
    "properties": {
        "generatorID": {"type": "string"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "temperature": {"type": "number"},
        "pressure": {"type": "number"},
        "fuel": {"type": "number", "minimum": 0, "maximum": 100},
    },
    "required": ["generatorID", "lat", "lon"],
    "additionalProperties": False,
}


def main(url, prefix):
    client = SchemaRegistryClient({"url": url})
    subject = f"{prefix}-generators-value"
    v1 = Schema(json.dumps(GENERATOR_V1), schema_type="JSON")

    schema_id = client.register_schema(subject, v1)
    check(isinstance(schema_id, int) and schema_id > 0, f"register_schema returns an id ({schema_id})")
    check(client.register_schema(subject, v1) == schema_id, "registering again returns the same id")

    fresh = SchemaRegistryClient({"url": url})  # no cache: every call goes to the server
    found = fresh.lookup_schema(subject, v1)
    check(found.schema_id == schema_id and found.version == 1, "lookup_schema finds version 1")
    by_id = fresh.get_schema(schema_id)
    check(by_id.schema_type == "JSON", "get_schema answers schemaType JSON")
    check(json.loads(by_id.schema_str) == GENERATOR_V1, "get_schema returns the registered schema")
    latest = fresh.get_latest_version(subject)
    check(latest.version == 1 and latest.schema_id == schema_id, "get_latest_version is version 1")
    check(fresh.get_subjects().count(subject) == 1, "get_subjects lists the subject")
    check(fresh.get_versions(subject) == [1], "get_versions is [1]")
    check("JSON" in fresh.get_schema_types(), "get_schema_types includes JSON")

    # A new optional property in a closed content model: backward compatible, not forward.
    v2_doc = json.loads(json.dumps(GENERATOR_V1))
    v2_doc["properties"]["rpm"] = {"type": "integer"}
    v2 = Schema(json.dumps(v2_doc), schema_type="JSON")
    # A changed type: never compatible.
    broken_doc = json.loads(json.dumps(GENERATOR_V1))
    broken_doc["properties"]["fuel"] = {"type": "string"}
    broken = Schema(json.dumps(broken_doc), schema_type="JSON")

    check(fresh.get_compatibility() == "BACKWARD", "the global level defaults to BACKWARD")
    check(fresh.test_compatibility(subject, v2) is True, "v2 is BACKWARD compatible")
    check(fresh.test_compatibility(subject, broken) is False, "a changed type is incompatible")
    check(fresh.test_compatibility(subject, broken, version=1, verbose=True) is False,
          "test_compatibility against version 1 with verbose")
    check(fresh.test_compatibility_all_versions(subject, v2) is True, "test_compatibility_all_versions")

    answer = fresh.set_compatibility(subject_name=subject, level="FULL")
    check(answer["compatibility"] == "FULL", f"set_compatibility echoes the level ({answer})")
    check(fresh.get_compatibility(subject) == "FULL", "get_compatibility reads it back")
    check(fresh.test_compatibility(subject, v2) is False, "v2 is not FULL compatible")
    try:
        fresh.register_schema(subject, broken)
        raise AssertionError("an incompatible schema was registered")
    except SchemaRegistryError as e:
        check(e.http_status_code == 409 and e.error_code in (409, 40901),
              f"an incompatible registration is refused with 409 ({e.error_code})")
    try:
        fresh.get_schema(987654)
        raise AssertionError("a missing id was found")
    except SchemaRegistryError as e:
        check(e.http_status_code == 404 and e.error_code == 40403, "a missing id is 404/40403")

    # Serializer and deserializer, with auto-registration under TopicNameStrategy.
    topic = f"{prefix}-telemetry"
    serializer = JSONSerializer(json.dumps(GENERATOR_V1), client)
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": url}))
    reading = {"generatorID": "gen-0042", "lat": 48.85, "lon": 2.35, "temperature": 71.5,
               "pressure": 1.02, "fuel": 63.0}
    ctx = SerializationContext(topic, MessageField.VALUE)
    payload = serializer(reading, ctx)
    check(payload[0] == 0, "the payload starts with magic byte 0")
    wire_id = int.from_bytes(payload[1:5], "big")
    check(wire_id == schema_id, "the wire id is the registered id (same schema, same id across subjects)")
    check(json.loads(payload[5:]) == reading, "the payload after the header is the reading as JSON")
    check(deserializer(payload, ctx) == reading, "JSONDeserializer decodes the reading")
    check(fresh.get_versions(f"{topic}-value") == [1], "the serializer registered <topic>-value")

    try:
        serializer({"generatorID": 42, "lat": 0, "lon": 0}, ctx)
        raise AssertionError("an invalid reading was serialised")
    except Exception as e:  # SerializationError
        check("42" in str(e) or "string" in str(e), "an invalid reading is refused by the serializer")

    check(fresh.delete_subject(subject) == [1], "delete_subject soft-deletes version 1")
    check(fresh.get_schema(schema_id).schema_type == "JSON", "the id still resolves after a soft delete")
    print("all interop checks passed")


if __name__ == "__main__":
    run(main, __doc__, 2)
