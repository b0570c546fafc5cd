#!/usr/bin/env python3
"""Confluent's Python CEL executor on a corpus of rule x payload cases.

Usage: rules_corpus_python.py CORPUS.json

CORPUS.json holds `schema` (the JSON Schema the rules belong to), `rules` (each a name and a
CEL `expr`) and `payloads` (each a name and a JSON `payload`). Every rule runs on every payload
through confluent-kafka-python's own CelExecutor, the way its serializer runs a CONDITION rule
(`transform`, then a falsy result or an exception fails the record). Prints one JSON object:
{"RULE NAME": {"PAYLOAD NAME": "pass" | "fail", ...}, ...}. Exits 2 when confluent-kafka with
its rules extra is not installed.
"""

import json
import sys

from script_support import WITH_RULES, missing

try:
    from confluent_kafka.schema_registry import Schema
    from confluent_kafka.schema_registry.common.serde import RuleContext
    from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
    from confluent_kafka.schema_registry.schema_registry_client import Rule, RuleKind, RuleMode
    from confluent_kafka.serialization import MessageField, SerializationContext
except ImportError as e:
    missing(e, WITH_RULES)


def main():
    with open(sys.argv[1]) as f:
        corpus = json.load(f)
    schema = Schema(json.dumps(corpus["schema"]), "JSON")
    executor = CelExecutor()
    ser_ctx = SerializationContext("emergency_generator", MessageField.VALUE)
    verdicts = {}
    for r in corpus["rules"]:
        rule = Rule(name=r["name"], doc=None, kind=RuleKind.CONDITION, mode=RuleMode.WRITE, type="CEL",
                    tags=None, params=None, expr=r["expr"], on_success=None, on_failure=None, disabled=False)
        row = {}
        for p in corpus["payloads"]:
            ctx = RuleContext(None, ser_ctx, None, schema, "emergency_generator-value",
                              RuleMode.WRITE, rule, 0, [rule], None, None)
            try:
                result = executor.transform(ctx, json.loads(json.dumps(p["payload"])))
                row[p["name"]] = "pass" if result else "fail"
            except Exception:  # the serializer's own handling: an error fails the rule
                row[p["name"]] = "fail"
        verdicts[r["name"]] = row
    print(json.dumps(verdicts))


if __name__ == "__main__":
    main()
