"""The catalogue against Xero's OpenAPI spec (the bundled copy): every action's method and
path exist there, writes name a scope, write-through names warehouse tables; and the calls
built from user input."""

from __future__ import annotations

import re

import pytest
import yaml

from pipelines.actions.catalogue import ENVELOPE, catalogue
from pipelines.actions.run import ActionError, build_call, get_action
from pipelines.xero import settings
from sandbox.spec import openapi_dir

PLACEHOLDER = re.compile(r"\{[^}]+\}")


@pytest.fixture(scope="module")
def spec_operations() -> set[tuple[str, str]]:
    spec = yaml.safe_load((openapi_dir() / "xero_accounting.yaml").read_text())
    return {
        (method.upper(), PLACEHOLDER.sub("{}", path))
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete")
    }


def test_every_action_is_an_operation_of_xeros_spec(spec_operations):
    missing = [
        f"{a.method} {a.path} ({a.name})"
        for a in catalogue().values()
        if a.path != "/connections"
        and (a.method, PLACEHOLDER.sub("{}", a.path)) not in spec_operations
    ]
    assert missing == []


def test_writes_name_their_scope_and_what_they_touch():
    for action in catalogue().values():
        assert bool(action.scope) == action.writes, action.name
        assert action.body != ENVELOPE or action.envelope, action.name
        for table, _where in action.touches:
            assert table in settings.BY_NAME, (action.name, table)


def test_the_issues_action_names_exist():
    names = set(catalogue())
    for name in ("invoices.create", "invoices.void", "invoices.email", "payments.create",
                 "payments.reverse", "contacts.archive", "items.add-note",
                 "credit-notes.allocate", "connections.list", "contacts.history",
                 "items.history", "payments.history", "invoices.attach"):  # fmt: skip
        assert name in names


def test_a_preset_goes_into_every_element_of_an_envelope():
    call = build_call(get_action("invoices.void"), None, "abc")
    assert (call.method, call.path, call.json) == (
        "POST", "/Invoices/abc", {"Invoices": [{"Status": "VOIDED"}]}
    )  # fmt: skip
    many = build_call(get_action("invoices.create"), {"Invoices": [{"A": 1}, {"A": 2}]}, None)
    assert many.json == {"Invoices": [{"A": 1}, {"A": 2}]}
    assert many.params == {"summarizeErrors": "false", "unitdp": "4"}


def test_ids_and_file_names_cannot_leave_their_path_segment():
    call = build_call(get_action("invoices.get-attachment"), {"FileName": "../a b.pdf"}, "x/y")
    assert call.path == "/Invoices/x%2Fy/Attachments/..%2Fa%20b.pdf"
    assert call.headers == {"contentType": "application/pdf"}


def test_unknown_names_suggest_the_actions_of_that_kind():
    with pytest.raises(ActionError, match="payments has: .*payments.create.*payments.reverse"):
        get_action("payments.refund")
