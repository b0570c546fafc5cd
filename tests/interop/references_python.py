#!/usr/bin/env python3
"""Confluent's own Python client, unmodified, registering and using a schema with references
against schemactl's embedded registry.

Usage: references_python.py REGISTRY_URL SUBJECT_PREFIX

Registers a shared Location type, then a site record whose `$ref` names it through a
reference; JSONSerializer (fetching the reference from the registry) encodes a record and
refuses one whose location breaks the referenced schema; JSONDeserializer decodes. Exits 0 when
everything agrees, 1 with a message otherwise, and 2 when confluent-kafka is not installed.
"""

import json

from script_support import check, missing, run

try:
    from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext
except ImportError as e:
    missing(e)

LOCATION = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Location",
    "type": "object",
    "properties": {
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
    },
    "required": ["lat", "lon"],
}

SITE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "SiteStatus",
    "type": "object",
    "properties": {
        "siteID": {"type": "string"},
        "location": {"$ref": "location.json"},
    },
    "required": ["siteID", "location"],
}


def main(url, prefix):
    client = SchemaRegistryClient({"url": url})
    location_subject = f"{prefix}.Location"
    topic = f"{prefix}-sites"
    site_subject = f"{topic}-value"

    location_id = client.register_schema(location_subject, Schema(json.dumps(LOCATION), "JSON"))
    reference = SchemaReference("location.json", location_subject, 1)
    site = Schema(json.dumps(SITE), "JSON", [reference])
    site_id = client.register_schema(site_subject, site)
    check(site_id != location_id, f"the site registers with its reference (id {site_id})")

    fresh = SchemaRegistryClient({"url": url})
    by_id = fresh.get_schema(site_id)
    check([(r.name, r.subject, r.version) for r in by_id.references]
          == [("location.json", location_subject, 1)], "get_schema returns the reference")
    check(fresh.get_referenced_by(location_subject, 1) == [site_id],
          "get_referenced_by names the site")

    dangling = Schema(json.dumps(SITE), "JSON", [SchemaReference("location.json", location_subject, 9)])
    try:
        fresh.register_schema(site_subject, dangling)
        raise AssertionError("a reference to a missing version was registered")
    except SchemaRegistryError as e:
        check(e.http_status_code == 422 and e.error_code == 42201,
              f"a reference to a missing version is refused with 42201 ({e.error_code})")
    try:
        fresh.delete_version(location_subject, 1)
        raise AssertionError("a referenced version was deleted")
    except SchemaRegistryError as e:
        check(e.error_code == 42206, f"a referenced version is not deleted ({e.error_code})")

    serializer = JSONSerializer(site, client, conf={"auto.register.schemas": False, "use.latest.version": True})
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": url}))
    ctx = SerializationContext(topic, MessageField.VALUE)
    record = {"siteID": "site-1", "location": {"lat": 40.68066, "lon": -73.47429}}
    payload = serializer(record, ctx)
    check(int.from_bytes(payload[1:5], "big") == site_id, "the wire id is the site's")
    check(deserializer(payload, ctx) == record, "JSONDeserializer decodes the record")
    try:
        serializer({"siteID": "site-1", "location": {"lat": 91, "lon": 0}}, ctx)
        raise AssertionError("a location past the pole was serialised")
    except AssertionError:
        raise
    except Exception as e:  # SerializationError from the referenced schema's maximum
        check("91" in str(e) or "maximum" in str(e),
              "the serializer refuses a record the referenced schema refuses")
    print("all interop checks passed")


if __name__ == "__main__":
    run(main, __doc__, 2)
