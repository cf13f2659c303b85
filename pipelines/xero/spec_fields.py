"""Typed fields of the Accounting collections, read from Xero's OpenAPI spec.

`fields.json` (committed next to this file) lists, per schema, the fields the spec marks
`x-is-msdate` (dates), `x-is-msdate-time` (timestamps) and numbers (`x-is-money` and other
`type: number` fields), plus which properties hold nested objects and arrays. Regenerate with

    uv run python -m pipelines.xero.spec_fields /path/to/xero_accounting.yaml
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

import yaml

from pipelines.xero.settings import COLLECTIONS

FIELDS_FILE = Path(__file__).with_name("fields.json")


def _ref_name(node: dict) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _is_object(schemas: dict, name: str) -> bool:
    return bool(schemas.get(name, {}).get("properties"))


def extract_fields(spec: dict, envelope_keys: list[str]) -> dict:
    """The typed-field table of the envelopes' item schemas and every schema they nest."""
    schemas = spec["components"]["schemas"]
    collections = {}
    for key in envelope_keys:
        collections[key] = _ref_name(schemas[key]["properties"][key]["items"])
    table: dict[str, dict] = {}
    pending = list(collections.values())
    while pending:
        name = pending.pop()
        if name in table or name not in schemas:
            continue
        entry: dict[str, object] = {}
        for prop, node in (schemas[name].get("properties") or {}).items():
            if node.get("x-is-msdate"):
                entry.setdefault("date", []).append(prop)
            elif node.get("x-is-msdate-time"):
                entry.setdefault("datetime", []).append(prop)
            elif node.get("type") == "number":
                entry.setdefault("decimal", []).append(prop)
                if node.get("x-is-money"):
                    entry.setdefault("money", []).append(prop)
            elif (child := _ref_name(node)) and _is_object(schemas, child):
                entry.setdefault("objects", {})[prop] = child
                pending.append(child)
            elif (child := _ref_name(node.get("items", {}))) and _is_object(schemas, child):
                entry.setdefault("arrays", {})[prop] = child
                pending.append(child)
        table[name] = entry
    return {"collections": collections, "schemas": dict(sorted(table.items()))}


@cache
def load_fields() -> dict:
    return json.loads(FIELDS_FILE.read_text())


def main(argv: list[str]) -> None:
    spec = yaml.safe_load(Path(argv[0]).read_text())
    table = extract_fields(spec, [c.envelope for c in COLLECTIONS])
    FIELDS_FILE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
