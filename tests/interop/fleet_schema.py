"""The schema exactly as the fleet's Kafka producer holds it (FLEET.md): key order, indentation
and descriptions included, because a registry keeps key order. Shared by the fleet-style
producers in this folder, which import it as the fleet's code holds its `schema_str`.

It is read from the project's schemas/generator/v1.json, which is FLEET.md's text to the byte
(tests/init.rs checks the registry takes the two for one), so the text is written down once."""

from pathlib import Path

SCHEMA_STR = (Path(__file__).resolve().parents[2] / "schemas" / "generator" / "v1.json").read_text(
    encoding="utf-8"
)
