#!/usr/bin/env python3
"""The fleet's Kafka producer's serialisation, as ../shared/docs/FLEET.md describes it, against a
registry: confluent-kafka's JSONSerializer with the client's default settings (so
auto.register.schemas is on) and the producer's schema_str, under the topic
`emergency_generator`. Calling the serializer with a SerializationContext registers the schema
under `emergency_generator-value` (TopicNameStrategy) and frames the record, without a broker.

Usage: fleet_producer.py REGISTRY_URL SCHEMA_OUT

Writes schema_str, exactly as the producer holds it, to SCHEMA_OUT, serialises a few readings,
and prints `schema id N` with the id every frame carries. Exits 0 on success, 1 with a message
otherwise, and 2 when confluent-kafka is not installed (printing the install command).
"""

import struct
import sys
from uuid import uuid4

INSTALL = "python3 -m pip install 'confluent-kafka[schemaregistry,json]'  (or run scripts/install-test-deps.sh)"

try:
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer
except ImportError as e:  # the Rust test turns this into a failure naming the command
    print(f"confluent-kafka is not installed ({e}); install it with: {INSTALL}", file=sys.stderr)
    sys.exit(2)

# The schema the producer registers, as FLEET.md quotes it (key order, descriptions and layout).
schema_str = """{
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Generator",
    "description": "A fuel engines health data",
    "type": "object",
    "properties": {
        "generatorID": {
        "description": "UniqueID of generator",
        "type": "string"
        },
        "lat": {
        "description": "latitude",
        "type": "number"
        },
        "lon": {
        "description": "longitude",
        "type": "number"
        },
        "temperature": {
        "description": "temperature",
        "type": "number"
        },
        "pressure": {
        "description": "pressure",
        "type": "number"
        },
        "fuel": {
        "description": "fuel",
        "type": "number"
        }
    },
    "required": [ "generatorID", "lat", "lon", "temperature", "pressure", "fuel" ]
}"""

TOPIC = "emergency_generator"


def to_dict(reading, ctx):
    return reading


def main(url, schema_out):
    with open(schema_out, "w", encoding="utf-8") as f:
        f.write(schema_str)
    client = SchemaRegistryClient({"url": url})
    value_serializer = JSONSerializer(schema_str, client, to_dict)
    key_serializer = StringSerializer("utf_8")
    # FLEET.md's example reading, and the fuel dip below zero before a refill.
    readings = [
        {"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429, "temperature": 36, "pressure": 500, "fuel": 400},
        {"generatorID": "generator2", "lat": 40.68066, "lon": -73.47429, "temperature": -10, "pressure": 100, "fuel": -9},
    ]
    ids = set()
    for reading in readings:
        key_serializer(str(uuid4()), SerializationContext(TOPIC, MessageField.KEY))
        frame = value_serializer(reading, SerializationContext(TOPIC, MessageField.VALUE))
        if frame[0] != 0:
            print(f"not Confluent's wire format V0: first byte {frame[0]}", file=sys.stderr)
            return 1
        ids.add(struct.unpack(">I", frame[1:5])[0])
    if len(ids) != 1:
        print(f"frames carry several schema ids: {sorted(ids)}", file=sys.stderr)
        return 1
    print(f"schema id {ids.pop()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    sys.exit(main(sys.argv[1], sys.argv[2]))
