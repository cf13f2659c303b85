"""Every Accounting collection endpoint and its by-id read, fetched over HTTP, validates
against the response schema of Xero's OpenAPI spec (refs resolved, additionalProperties
ignored)."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from xero_http import open_sandbox_client

from sandbox import spec

SPEC_URI = "urn:xero-accounting"


def _openapi_to_jsonschema(node):
    """OpenAPI 3.0 schema objects as draft-4 JSON Schema: `nullable` becomes a null type,
    additionalProperties is dropped."""
    if isinstance(node, dict):
        out = {k: _openapi_to_jsonschema(v) for k, v in node.items() if k != "additionalProperties"}
        if out.get("nullable") and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("$ref"), str) and out["$ref"].startswith("#"):
            out["$ref"] = SPEC_URI + out["$ref"]
        return out
    if isinstance(node, list):
        return [_openapi_to_jsonschema(v) for v in node]
    return node


@pytest.fixture(scope="module")
def open_xero():
    """One read-only sandbox for the whole module (these tests never write)."""
    with open_sandbox_client() as client:
        yield client


@pytest.fixture(scope="module")
def accounting_spec() -> dict:
    with open(spec.openapi_dir() / "xero_accounting.yaml", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.fixture(scope="module")
def registry(accounting_spec) -> Registry:
    contents = _openapi_to_jsonschema(accounting_spec)
    return Registry().with_resource(SPEC_URI, Resource.from_contents(contents, DRAFT4))


def _response_schema(accounting_spec: dict, path: str) -> dict:
    operation = accounting_spec["paths"][path]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return _openapi_to_jsonschema(schema)


def _by_id_path(accounting_spec: dict, endpoint: spec.Endpoint) -> str:
    for path in accounting_spec["paths"]:
        if path.startswith(endpoint.path + "/{") and path.count("/") == 2:
            return path
    raise AssertionError(f"no by-id path for {endpoint.path}")


def _assert_valid(registry, schema: dict, body: dict, where: str) -> None:
    validator = Draft4Validator(schema, registry=registry)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    messages = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10]]
    assert not errors, f"{where}: {len(errors)} schema errors\n" + "\n".join(messages)


def _params(endpoint: spec.Endpoint) -> dict:
    params = {}
    if endpoint.page:
        params["page"] = 1
    if endpoint.archived:
        params["includeArchived"] = "true"
    if endpoint.deleted:
        params["includeDeleted"] = "true"
    return params


@pytest.mark.parametrize("endpoint", spec.ENDPOINTS, ids=lambda e: e.key)
def test_collection_response_matches_the_spec(open_xero, accounting_spec, registry, endpoint):
    body = open_xero.ok(endpoint.path, _params(endpoint))
    assert body["Status"] == "OK" and body["ProviderName"] and body["Id"]
    assert isinstance(body[endpoint.key], list)
    assert ("pagination" in body) == endpoint.pagination
    _assert_valid(registry, _response_schema(accounting_spec, endpoint.path), body, endpoint.path)


@pytest.mark.parametrize("endpoint", [e for e in spec.ENDPOINTS if e.by_id], ids=lambda e: e.key)
def test_by_id_response_matches_the_spec(open_xero, accounting_spec, registry, endpoint):
    tenant = open_xero.server.sandbox.tenant(open_xero.tenant_id)
    ids = tenant.collection(endpoint.key).ids()
    if not ids:
        pytest.skip(f"the generated organisation has no {endpoint.key}")
    body = open_xero.ok(f"{endpoint.path}/{ids[0]}")
    assert [r[endpoint.primary_key] for r in body[endpoint.key]] == [ids[0]]
    path = _by_id_path(accounting_spec, endpoint)
    _assert_valid(registry, _response_schema(accounting_spec, path), body, path)


def test_error_bodies_match_the_spec(open_xero, accounting_spec, registry):
    answer = open_xero.get("/Invoices", {"page": 1, "pageSize": 1001})
    assert answer.status_code == 400
    schema = _openapi_to_jsonschema({"$ref": "#/components/schemas/Error"})
    _assert_valid(registry, schema, answer.json(), "Error")
    assert json.loads(answer.text)["Type"] == "ValidationException"
