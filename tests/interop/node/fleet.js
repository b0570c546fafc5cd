// The fleet's generator schema (version 1, exactly as ../shared/docs/FLEET.md gives it) and a
// reading as the fleet sends them, shared by the two client scripts.
"use strict";

const fs = require("fs");
const path = require("path");

// Read from the project's schemas/generator/v1.json, which is FLEET.md's text to the byte, so
// the text is written down once; without the file's final newline, as these scripts have
// always registered it.
const GENERATOR_V1 = fs
  .readFileSync(path.join(__dirname, "..", "..", "..", "schemas", "generator", "v1.json"), "utf8")
  .replace(/\n$/, "");

const READING = {
  generatorID: "generator1",
  lat: 40.68066,
  lon: -73.47429,
  temperature: 36,
  pressure: 500,
  fuel: 400,
};

/** Version 1 with one property's type replaced: a TYPE_CHANGED, incompatible under BACKWARD. */
function withFuelType(type) {
  const doc = JSON.parse(GENERATOR_V1);
  doc.properties.fuel.type = type;
  return JSON.stringify(doc);
}

/** Version 1 with another description: compatible under every level. */
function redescribed() {
  const doc = JSON.parse(GENERATOR_V1);
  doc.description = "Health data of an emergency fuel generator";
  return JSON.stringify(doc);
}

/**
 * Runs `checks(url)` and exits as the Rust test expects: 0 after "all interop checks passed",
 * 2 when a client package is missing (with the install command), 1 on any failed check.
 */
function run(load, checks) {
  let modules;
  try {
    modules = load();
  } catch (e) {
    if (e && e.code === "MODULE_NOT_FOUND") {
      console.error(`a Node client is not installed (${e.message.split("\n")[0]}); install with: npm ci --prefix tests/interop/node  (or run scripts/install-test-deps.sh)`);
      process.exit(2);
    }
    throw e;
  }
  const url = process.argv[2];
  if (!url) {
    console.error("usage: node SCRIPT REGISTRY_URL");
    process.exit(2);
  }
  checks(modules, url).then(
    () => {
      console.log("all interop checks passed");
      process.exit(0);
    },
    (e) => {
      console.error(e && e.stack ? e.stack : e);
      process.exit(1);
    },
  );
}

function ok(what) {
  console.log(`ok: ${what}`);
}

module.exports = { GENERATOR_V1, READING, withFuelType, redescribed, run, ok };
