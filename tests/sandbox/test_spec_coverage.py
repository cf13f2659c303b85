"""Every collection the product reads, and every one the sandbox serves, is still in Xero's
bundled OpenAPI spec: Xero deletes endpoints (Accounting /Employees left the spec in April
2026), and a collection gone from the spec must fail here before it fails a user's sync."""

from __future__ import annotations

import pytest
import yaml

from pipelines.xero import settings
from sandbox import spec


@pytest.fixture(scope="module")
def spec_paths() -> dict:
    with (spec.openapi_dir() / "xero_accounting.yaml").open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return document["paths"]


def test_every_collection_the_product_reads_has_a_get_in_the_spec(spec_paths):
    missing = [c.path for c in settings.COLLECTIONS if "get" not in spec_paths.get(c.path, {})]
    assert missing == []
    assert "/Employees" not in spec_paths
    assert "/Employees" not in {c.path for c in settings.COLLECTIONS}


def test_every_collection_the_sandbox_serves_is_in_the_spec(spec_paths):
    missing = [e.path for e in spec.ENDPOINTS if "get" not in spec_paths.get(e.path, {})]
    assert missing == []
    by_id = [
        e.path
        for e in spec.ENDPOINTS
        if e.by_id and not any(p.startswith(e.path + "/{") for p in spec_paths)
    ]
    assert by_id == []
