"""A practice-sized sandbox: 200 small organisations served at once, each answering with its
own records."""

from __future__ import annotations

import pytest
from sandbox_fixtures import SANDBOX_ANCHOR
from xero_http import connected

from sandbox.model import Sandbox
from sandbox.server import running_sandbox

TENANTS = 200


@pytest.fixture(scope="module")
def practice():
    sandbox = Sandbox(tenants=TENANTS, scale="small", seed=42, anchor=SANDBOX_ANCHOR)
    with running_sandbox(sandbox, limits=False) as server, connected(server) as client:
        yield client


def test_connections_list_every_organisation_once(practice):
    answer = practice.http.get(
        "/connections", headers={"Authorization": f"Bearer {practice.token}"}
    )
    assert answer.status_code == 200
    listed = [c["tenantId"] for c in answer.json()]
    assert len(listed) == TENANTS
    assert sorted(listed) == sorted(t.tenant_id for t in practice.server.sandbox.tenants)


def test_one_organisation_among_200_answers_with_its_own_invoices(practice):
    first, last = practice.server.sandbox.tenants[0], practice.server.sandbox.tenants[-1]
    invoices = practice.ok("/Invoices", {"pageSize": "1000"}, tenant_id=last.tenant_id)
    ids = {invoice["InvoiceID"] for invoice in invoices["Invoices"]}
    expected = {record["InvoiceID"] for record in last.collection("Invoices").records()}
    assert ids == expected and len(ids) > 0
    others = {record["InvoiceID"] for record in first.collection("Invoices").records()}
    assert not ids & others
