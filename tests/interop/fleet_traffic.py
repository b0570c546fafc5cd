#!/usr/bin/env python3
"""The fleet's own traffic: its producers written the way the fleet writes them (FLEET.md).

Kafka: confluent-kafka's SerializingProducer, keys from StringSerializer('utf_8') set to
str(uuid4()), values from JSONSerializer(schema_str, SchemaRegistryClient, to_dict) with the
client's default settings (auto.register.schemas on: the first record registers the schema under
<topic>-value). MQTT: paho-mqtt publishing json.dumps(reading) on one topic.

Readings are the fleet simulator's: ids generator1.., fixed US positions, integer temperature
-10..90 and pressure 100..1000 drawn afresh, fuel in litres starting at 900..1000, using 1..10
per reading, refilled with 500..1000 once at or below zero (so a reading dips below zero first).

Misbehaving producers run beside the compliant ones (--misbehave ID=KIND, repeatable):
  fuel-as-string   old firmware sending "fuel": "412" (its serializer's validation off)
  drop-field:NAME  a payload that lost NAME (its serializer's validation off)
  truncate         a bridge cutting the JSON text short (after the wire header on Kafka)

Connection as production does it: --kafka-security SASL_SSL|SSL|SASL_PLAINTEXT with
--kafka-ca FILE and sasl.mechanism PLAIN, the credentials from SASL_USERNAME / SASL_PASSWORD
(FLEET.md); MQTT over TLS with --mqtt-ca FILE. No readings are paced (the tests want them now).

Prints one JSON document on stdout: what was sent, per transport and generator, how many of each
generator's messages misbehaved, how many of its compliant readings dipped below zero, and the
lowest fuel level it reported. Exits 0 when every message was delivered, 1 when one was
not (an error names it, never a credential), 2 when a library is missing (naming the install
command), 3 when a broker or the registry cannot be reached.
"""

import argparse
import json
import os
import random
import sys
from uuid import uuid4

from fleet_schema import SCHEMA_STR  # the schema exactly as the fleet's producer holds it

INSTALL = (
    "python3 -m pip install 'confluent-kafka[schemaregistry,json,rules]' paho-mqtt"
    "  (or run scripts/install-test-deps.sh)"
)


# generator1 sits where FLEET.md's example reading puts it; the others at a position drawn once
# inside the contiguous United States (as the generator contract's [simulator] model does).
FIRST_POSITION = (40.68066, -73.47429)


class Generator:
    """One generator of the fleet's simulator: a fixed position and a draining tank."""

    def __init__(self, number, rng):
        self.id = f"generator{number}"
        if number == 1:
            self.lat, self.lon = FIRST_POSITION
        else:
            self.lat = round(rng.uniform(25.0, 48.5), 5)
            self.lon = round(rng.uniform(-124.0, -67.0), 5)
        self.rng = rng
        self.fuel = rng.randint(900, 1000)

    def reading(self):
        # Refilled once at or below zero; the reading before that may already be below zero
        # (down to -9), as the fleet's firmware reports it.
        if self.fuel <= 0:
            self.fuel += self.rng.randint(500, 1000)
        self.fuel -= self.rng.randint(1, 10)
        reading = {
            "generatorID": self.id,
            "lat": self.lat,
            "lon": self.lon,
            "temperature": self.rng.randint(-10, 90),
            "pressure": self.rng.randint(100, 1000),
            "fuel": self.fuel,
        }
        return reading


def misbehave(kind, reading):
    """The reading as a misbehaving producer sends it: a dict, or bytes for a truncating bridge."""
    if kind == "fuel-as-string":
        reading["fuel"] = str(reading["fuel"])
        return reading
    if kind.startswith("drop-field:"):
        reading.pop(kind.split(":", 1)[1], None)
        return reading
    if kind == "truncate":
        text = json.dumps(reading).encode()
        return text[: len(text) // 2]
    raise ValueError(f"--misbehave: unknown kind {kind!r} (fuel-as-string, drop-field:NAME, truncate)")


def parse_misbehave(specs):
    plan = {}
    for spec in specs:
        gen, sep, kind = spec.partition("=")
        if not sep or not gen or not kind:
            raise SystemExit(f"--misbehave {spec!r}: expected GENERATOR_ID=KIND")
        misbehave(kind, {"fuel": 1})  # refuse an unknown kind before anything is sent
        plan[gen] = kind
    return plan


def tally(sent, transport, gen_id, kind, fuel):
    per = sent.setdefault(transport, {}).setdefault(
        gen_id, {"messages": 0, "misbehaved": 0, "below_zero": 0}
    )
    per["messages"] += 1
    per["lowest_fuel"] = min(per.get("lowest_fuel", fuel), fuel)
    # The firmware's dip before a refill (FLEET.md), counted among compliant readings only.
    if kind is None and fuel < 0:
        per["below_zero"] += 1
    if kind is not None:
        per["misbehaved"] += 1
        per["kind"] = kind


def run_kafka(args, fleet, plan, sent):
    from confluent_kafka import Producer, SerializingProducer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer

    registry = SchemaRegistryClient({"url": args.registry})
    to_dict = lambda reading, ctx: reading  # noqa: E731 (as the fleet's producer does)
    value_serializer = JSONSerializer(SCHEMA_STR, registry, to_dict)
    # Old firmware: the same serializer with its client-side validation switched off, so a
    # reading the schema refuses reaches the broker (and the audit) as it would in the field.
    unchecked = JSONSerializer(SCHEMA_STR, registry, to_dict, conf={"validate": False})

    errors = []

    def error_cb(err):
        errors.append(str(err))

    conf = {"bootstrap.servers": args.kafka, "error_cb": error_cb}
    if args.kafka_security:
        conf["security.protocol"] = args.kafka_security
    if args.kafka_security and "SASL" in args.kafka_security:
        conf["sasl.mechanism"] = "PLAIN"
        conf["sasl.username"] = os.environ.get("SASL_USERNAME", "")
        conf["sasl.password"] = os.environ.get("SASL_PASSWORD", "")
    if args.kafka_ca:
        conf["ssl.ca.location"] = args.kafka_ca
    failed = []

    def delivery_report(err, msg):
        if err is not None:
            failed.append(str(err))

    def serializing(value_serializer):
        return SerializingProducer(
            dict(conf, **{"key.serializer": StringSerializer("utf_8"), "value.serializer": value_serializer})
        )

    producer = serializing(value_serializer)
    old_firmware = None  # created on first use, like the misbehaving producers themselves
    bridge = None  # a bridge forwarding bytes as they reached it, cut short

    for gen, reading in fleet:
        kind = plan.get(gen.id)
        fuel = reading["fuel"]
        if kind is None:
            producer.produce(topic=args.topic, key=str(uuid4()), value=reading, on_delivery=delivery_report)
            producer.poll(0)
        elif kind == "truncate":
            if bridge is None:  # (a producer's truthiness is its queue length)
                bridge = Producer(conf)
            framed = value_serializer(reading, SerializationContext(args.topic, MessageField.VALUE))
            cut = framed[: 5 + (len(framed) - 5) // 2]  # the wire header survives, the JSON does not
            bridge.produce(args.topic, key=str(uuid4()), value=cut, on_delivery=delivery_report)
            bridge.poll(0)
        else:
            if old_firmware is None:
                old_firmware = serializing(unchecked)
            old_firmware.produce(
                topic=args.topic, key=str(uuid4()), value=misbehave(kind, reading), on_delivery=delivery_report
            )
            old_firmware.poll(0)
        tally(sent, "kafka", gen.id, kind, fuel)
    left = sum(p.flush(args.timeout) for p in (producer, old_firmware, bridge) if p is not None)
    if left or failed:
        print(f"Kafka: {left} record(s) undelivered, {len(failed)} failed: {failed[:3]} {errors[:3]}", file=sys.stderr)
        sys.exit(3 if left else 1)


def run_mqtt(args, fleet, plan, sent):
    import paho.mqtt.client as mqtt

    host, _, port = args.mqtt.rpartition(":")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fleet-{uuid4()}")
    if args.mqtt_ca:
        client.tls_set(ca_certs=args.mqtt_ca)
    try:
        client.connect(host=host, port=int(port), keepalive=60)
    except Exception as e:  # noqa: BLE001 (any failure to reach the broker is the same outcome)
        print(f"MQTT: cannot connect to {args.mqtt}: {e}", file=sys.stderr)
        sys.exit(3)
    client.loop_start()
    infos = []
    for gen, reading in fleet:
        kind = plan.get(gen.id)
        fuel = reading["fuel"]
        if kind is None:
            payload = json.dumps(reading)
        else:
            bad = misbehave(kind, reading)
            payload = bad if isinstance(bad, bytes) else json.dumps(bad)
        infos.append(client.publish(topic=args.topic, payload=payload, qos=1))
        tally(sent, "mqtt", gen.id, kind, fuel)
    for info in infos:
        info.wait_for_publish(timeout=args.timeout)
    client.loop_stop()
    client.disconnect()
    undelivered = sum(1 for i in infos if not i.is_published())
    if undelivered:
        print(f"MQTT: {undelivered} message(s) unacknowledged", file=sys.stderr)
        sys.exit(3)


def fleet_readings(generators, count, seed):
    rng = random.Random(seed)
    gens = [Generator(n, rng) for n in range(1, generators + 1)]
    return [(g, g.reading()) for _ in range(count) for g in gens]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kafka", help="bootstrap servers HOST:PORT")
    p.add_argument("--registry", help="schema registry URL (with --kafka)")
    p.add_argument("--kafka-security", choices=["SSL", "SASL_SSL", "SASL_PLAINTEXT"])
    p.add_argument("--kafka-ca", help="PEM CA bundle for SSL / SASL_SSL")
    p.add_argument("--mqtt", help="broker HOST:PORT")
    p.add_argument("--mqtt-ca", help="PEM CA bundle: speak TLS to the MQTT broker")
    p.add_argument("--topic", default="emergency_generator")
    p.add_argument("--generators", type=int, default=5)
    p.add_argument("--count", type=int, default=10, help="readings per generator and transport")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--misbehave", action="append", default=[], metavar="ID=KIND")
    p.add_argument("--timeout", type=float, default=30.0)
    args = p.parse_args()
    if args.kafka and not args.registry:
        p.error("--kafka needs --registry")
    plan = parse_misbehave(args.misbehave)
    try:
        if args.kafka:
            import confluent_kafka.schema_registry.json_schema  # noqa: F401
        if args.mqtt:
            import paho.mqtt.client  # noqa: F401
    except ImportError as e:
        print(f"a client library is missing ({e}); install it with: {INSTALL}", file=sys.stderr)
        sys.exit(2)
    sent = {}
    if args.mqtt:
        run_mqtt(args, fleet_readings(args.generators, args.count, args.seed), plan, sent)
    if args.kafka:
        run_kafka(args, fleet_readings(args.generators, args.count, args.seed + 1), plan, sent)
    print(json.dumps({"sent": sent}))


if __name__ == "__main__":
    main()
