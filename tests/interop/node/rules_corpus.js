// Confluent's @confluentinc/schemaregistry CEL executor on a corpus of rule x payload cases.
// Usage: node rules_corpus.js CORPUS.json (run by tests/rules.rs; see rules_corpus_python.py
// for the corpus's shape). Every rule runs on every payload through the client's own
// CelExecutor, judged the way its serde judges a CONDITION rule: a result that is exactly
// `false`, or an exception, fails the record; anything else passes it. Prints
// {"RULE NAME": {"PAYLOAD NAME": "pass" | "fail", ...}, ...}. Exits 2 when the client is not
// installed (`npm ci --prefix tests/interop/node`).
"use strict";

const fs = require("node:fs");

let sr;
try {
  sr = require("@confluentinc/schemaregistry");
} catch (e) {
  console.error(`@confluentinc/schemaregistry is not installed (${e.message}); install it with: npm ci --prefix tests/interop/node`);
  process.exit(2);
}

async function main() {
  const corpus = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const executor = new sr.CelExecutor();
  const target = { schemaType: "JSON", schema: JSON.stringify(corpus.schema) };
  const verdicts = {};
  for (const r of corpus.rules) {
    const rule = { name: r.name, kind: "CONDITION", mode: "WRITE", type: "CEL", expr: r.expr };
    const row = {};
    for (const p of corpus.payloads) {
      const ctx = { rule, target, ruleMode: "WRITE" };
      const msg = JSON.parse(JSON.stringify(p.payload));
      try {
        const result = await executor.transform(ctx, msg);
        row[p.name] = result === false ? "fail" : "pass";
      } catch (e) {
        row[p.name] = "fail";
      }
    }
    verdicts[r.name] = row;
  }
  console.log(JSON.stringify(verdicts));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
