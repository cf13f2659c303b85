"""Which pipeline holds a tenant's cursors: `XERO_TENANT_GROUPS` and the stable hash."""

from __future__ import annotations

import uuid

import pytest

from pipelines.errors import ConfigurationError
from pipelines.runner import pipeline_name, sync, tenant_group


def test_a_tenant_always_falls_in_the_same_group_and_groups_share_the_tenants():
    tenants = [str(uuid.UUID(int=n)) for n in range(1, 401)]
    groups = [tenant_group(tenant, 4) for tenant in tenants]
    assert groups == [tenant_group(tenant, 4) for tenant in tenants]
    assert all(60 <= groups.count(group) <= 140 for group in range(4))  # 100 each, roughly
    assert {tenant_group(tenant, 1) for tenant in tenants} == {0}
    assert pipeline_name(3) == "xero_group_3"


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_a_bad_group_count_is_one_line_before_any_call(monkeypatch, tmp_path, value):
    monkeypatch.setenv("XERO_TENANT_GROUPS", value)
    monkeypatch.setenv("XERO_API_URL", "http://127.0.0.1:9")  # any call would fail otherwise
    with pytest.raises(ConfigurationError, match="XERO_TENANT_GROUPS") as raised:
        sync(destination=f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert "\n" not in str(raised.value)
