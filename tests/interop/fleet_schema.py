"""The schema exactly as the fleet's Kafka producer holds it (FLEET.md): key order, indentation
and descriptions included, because a registry keeps key order. Shared by the fleet-style
producers in this folder, which import it as the fleet's code holds its `schema_str`."""

SCHEMA_STR = """{
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
}
"""
