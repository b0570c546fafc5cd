// @kafkajs/confluent-schema-registry, unmodified, against `schemactl registry serve`:
// register, encode/decode with validation, getLatestSchemaId, getRegistryIdBySchema.
// Usage: node kafkajs.js REGISTRY_URL (run by tests/registry_server/interop.rs).
"use strict";

const assert = require("node:assert/strict");
const { GENERATOR_V1, READING, withFuelType, redescribed, run, ok } = require("./fleet");

run(
  () => require("@kafkajs/confluent-schema-registry"),
  async ({ SchemaRegistry, SchemaType }, url) => {
    const registry = new SchemaRegistry({ host: url });
    const subject = "emergency_generator-value";
    const v1 = { type: SchemaType.JSON, schema: GENERATOR_V1 };

    const { id } = await registry.register(v1, { subject });
    assert.ok(Number.isInteger(id) && id > 0, `register answers an id (${id})`);
    ok(`register: id ${id}`);
    const again = await registry.register(v1, { subject });
    assert.equal(again.id, id);
    ok("registering the same schema again answers the same id");

    // A fresh client has no cache: each call below reaches the server.
    const fresh = new SchemaRegistry({ host: url });
    assert.equal(await fresh.getLatestSchemaId(subject), id);
    ok("getLatestSchemaId");
    assert.equal(await fresh.getRegistryIdBySchema(subject, v1), id);
    ok("getRegistryIdBySchema");
    await assert.rejects(
      fresh.getRegistryIdBySchema(subject, { type: SchemaType.JSON, schema: withFuelType("string") }),
      /not found/i,
    );
    ok("getRegistryIdBySchema of an unregistered schema is refused");

    const encoded = await registry.encode(id, READING);
    assert.equal(encoded[0], 0, "magic byte");
    assert.equal(encoded.readInt32BE(1), id, "schema id in the wire format");
    assert.deepEqual(JSON.parse(encoded.subarray(5).toString()), READING);
    ok("encode writes Confluent's wire format");
    assert.deepEqual(await fresh.decode(encoded), READING);
    ok("decode (schema fetched by id from the server)");

    // Validation against the registered schema: a reading that lost a field on a bridge.
    const { fuel, ...lost } = READING;
    void fuel;
    await assert.rejects(fresh.encode(id, lost), (e) => e.name === "ConfluentSchemaRegistryValidationError");
    ok("encode refuses a reading the schema does not allow");
    const forged = Buffer.concat([encoded.subarray(0, 5), Buffer.from(JSON.stringify(lost))]);
    await assert.rejects(fresh.decode(forged), (e) => e.name === "ConfluentSchemaRegistryValidationError");
    ok("decode refuses a payload the schema does not allow");

    // Compatibility, as the registry enforces it on register (default BACKWARD).
    await assert.rejects(
      registry.register({ type: SchemaType.JSON, schema: withFuelType("string") }, { subject }),
      (e) => /incompatible/i.test(e.message),
    );
    ok("an incompatible version is refused");
    const v2 = await registry.register({ type: SchemaType.JSON, schema: redescribed() }, { subject });
    assert.notEqual(v2.id, id);
    assert.equal(await fresh.getLatestSchemaId(subject), v2.id);
    ok("a compatible version 2 becomes the latest");
    assert.equal(await fresh.getRegistryId(subject, 1), id);
    ok("getRegistryId of version 1");
  },
);
