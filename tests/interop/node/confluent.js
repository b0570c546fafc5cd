// Confluent's @confluentinc/schemaregistry, unmodified, against `schemactl registry serve`:
// register, compatibility, config, the JSON serde round trip, and a ruleSet stored by the
// registry and enforced by the client's CEL executor.
// Usage: node confluent.js REGISTRY_URL (run by tests/registry_server/interop.rs).
"use strict";

const assert = require("node:assert/strict");
const { GENERATOR_V1, READING, withFuelType, redescribed, run, ok } = require("./fleet");

run(
  () => require("@confluentinc/schemaregistry"),
  async (sr, url) => {
    const { SchemaRegistryClient, Compatibility, JsonSerializer, JsonDeserializer, SerdeType, CelExecutor } = sr;
    CelExecutor.register();
    const client = SchemaRegistryClient.newClient({ baseURLs: [url], cacheCapacity: 1000 });
    const fresh = () => SchemaRegistryClient.newClient({ baseURLs: [url] });
    const subject = "emergency_generator-value";
    const v1 = { schemaType: "JSON", schema: GENERATOR_V1 };

    const id = await client.register(subject, v1, false);
    assert.ok(Number.isInteger(id) && id > 0, `register answers an id (${id})`);
    ok(`register: id ${id}`);
    assert.equal(await fresh().getId(subject, v1, false), id);
    ok("getId (lookup under the subject)");
    const latest = await fresh().getLatestSchemaMetadata(subject);
    assert.equal(latest.id, id);
    assert.equal(latest.version, 1);
    assert.equal(latest.subject, subject);
    ok("getLatestSchemaMetadata");
    assert.deepEqual(await fresh().getAllSubjects(), [subject]);
    assert.deepEqual(await fresh().getAllVersions(subject), [1]);
    ok("getAllSubjects, getAllVersions");

    // Compatibility and config.
    assert.equal(await fresh().getDefaultCompatibility(), Compatibility.BACKWARD);
    assert.equal(await fresh().testSubjectCompatibility(subject, { schemaType: "JSON", schema: withFuelType("string") }), false);
    assert.equal(await fresh().testCompatibility(subject, 1, { schemaType: "JSON", schema: redescribed() }), true);
    ok("testSubjectCompatibility and testCompatibility");
    assert.equal(await client.updateCompatibility(subject, Compatibility.FULL), Compatibility.FULL);
    assert.equal(await fresh().getCompatibility(subject), Compatibility.FULL);
    const config = await fresh().updateConfig(subject, { compatibility: Compatibility.FULL_TRANSITIVE });
    assert.equal(config.compatibility, Compatibility.FULL_TRANSITIVE);
    assert.equal((await fresh().getConfig(subject)).compatibilityLevel, Compatibility.FULL_TRANSITIVE);
    assert.equal(await fresh().updateDefaultCompatibility(Compatibility.FORWARD), Compatibility.FORWARD);
    assert.equal((await fresh().getDefaultConfig()).compatibilityLevel, Compatibility.FORWARD);
    ok("updateCompatibility, getCompatibility, updateConfig, getConfig, default config");
    await assert.rejects(
      client.register(subject, { schemaType: "JSON", schema: withFuelType("string") }, false),
      (e) => e.status === 409,
    );
    ok("an incompatible version is refused (409)");

    // Serde round trip, the schema registered by the serializer.
    const topic = "emergency_generator";
    const ser = new JsonSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true, validate: true });
    const deser = new JsonDeserializer(fresh(), SerdeType.VALUE, { validate: true });
    const autoTopic = "emergency_generator_auto";
    const bytes = await ser.serialize(autoTopic, READING);
    assert.equal(bytes[0], 0, "magic byte");
    assert.deepEqual(await deser.deserialize(autoTopic, bytes), READING);
    ok("JsonSerializer/JsonDeserializer round trip");
    const { fuel, ...lost } = READING;
    void fuel;
    await assert.rejects(ser.serialize(autoTopic, lost));
    ok("the serializer validates against the schema");

    // A ruleSet and metadata stored with the schema and returned as registered; the client's CEL
    // executor enforces the rule. The fleet's fuel level dips below zero once per cycle (FLEET.md).
    const ruleSet = {
      domainRules: [
        {
          name: "fuelNotNegative",
          kind: "CONDITION",
          mode: "WRITE",
          type: "CEL",
          expr: "message.fuel >= 0.0",
          onFailure: "ERROR",
        },
      ],
    };
    const metadata = { properties: { owner: "fleet-ops" } };
    const ruled = "emergency_generator_ruled-value";
    await client.updateCompatibility(ruled, Compatibility.NONE);
    const ruledId = await client.register(ruled, { ...v1, ruleSet, metadata }, false);
    const stored = await fresh().getLatestSchemaMetadata(ruled);
    assert.equal(stored.id, ruledId);
    assert.deepEqual(stored.ruleSet, ruleSet);
    assert.deepEqual(stored.metadata, metadata);
    const byId = await fresh().getBySubjectAndId(ruled, ruledId);
    assert.deepEqual(byId.ruleSet, ruleSet);
    ok("ruleSet and metadata stored and returned as registered");
    assert.notEqual(ruledId, id, "the same text with a rule set is another schema");
    const ruledSer = new JsonSerializer(fresh(), SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true });
    const ruledDeser = new JsonDeserializer(fresh(), SerdeType.VALUE, {});
    const good = await ruledSer.serialize("emergency_generator_ruled", READING);
    assert.equal(good.readInt32BE(1), ruledId);
    assert.deepEqual(await ruledDeser.deserialize("emergency_generator_ruled", good), READING);
    await assert.rejects(
      ruledSer.serialize("emergency_generator_ruled", { ...READING, fuel: -9 }),
      /fuelNotNegative/,
    );
    ok("the CEL rule lets fuel 400 through and refuses fuel -9");

    // A version registered without rules keeps the latest version's, as Confluent's registry does.
    const v2Id = await client.register(ruled, { schemaType: "JSON", schema: redescribed() }, false);
    const v2 = await fresh().getLatestSchemaMetadata(ruled);
    assert.equal(v2.id, v2Id);
    assert.equal(v2.version, 2);
    assert.deepEqual(v2.ruleSet, ruleSet);
    assert.deepEqual(v2.metadata, metadata);
    await assert.rejects(
      new JsonSerializer(fresh(), SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true })
        .serialize("emergency_generator_ruled", { ...READING, fuel: -9 }),
      /fuelNotNegative/,
    );
    ok("version 2, registered without rules, keeps version 1's rule and metadata");
  },
);
