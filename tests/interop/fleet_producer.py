#!/usr/bin/env python3
"""The fleet's Kafka producer, value side, as FLEET.md describes it: confluent-kafka's
JSONSerializer with the client's default settings (auto.register.schemas on, no normalisation)
and the producer's own schema_str, key order and descriptions included.

Usage: fleet_producer.py REGISTRY_URL

Serialises the fleet's example reading for the topic `emergency_generator` (which registers
schema_str under `emergency_generator-value` when it is not there yet) and prints one JSON line:
{"magic": 0, "schema_id": N, "versions": [...], "key": "..."}. No broker is needed: the
serializer alone registers and frames. Exits 2 when confluent-kafka is not installed.
"""

import json
from uuid import uuid4
from fleet_schema import SCHEMA_STR
from script_support import missing, run

try:
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer
except ImportError as e:
    missing(e)

# Exactly as it stands in the fleet's producer (FLEET.md).
schema_str = SCHEMA_STR

TOPIC = "emergency_generator"


def to_dict(data, ctx):
    return dict(data)


def main(url):
    schema_registry_client = SchemaRegistryClient({"url": url})
    json_serializer = JSONSerializer(schema_str, schema_registry_client, to_dict)
    string_serializer = StringSerializer("utf_8")
    data = {"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429, "temperature": 36,
            "pressure": 500, "fuel": 400}
    value = json_serializer(data, SerializationContext(TOPIC, MessageField.VALUE))
    key = string_serializer(str(uuid4()))
    fresh = SchemaRegistryClient({"url": url})  # no cache: ask the server
    print(json.dumps({
        "magic": value[0],
        "schema_id": int.from_bytes(value[1:5], "big"),
        "payload": json.loads(value[5:]),
        "versions": fresh.get_versions(f"{TOPIC}-value"),
        "key": key.decode(),
    }))


if __name__ == "__main__":
    run(main, __doc__, 1)
