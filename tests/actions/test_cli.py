"""`xero-warehouse api`, `actions` and `action` against the sandbox over HTTP: Xero's JSON on
stdout, errors as one line (one per rejected element), non-zero exits."""

from __future__ import annotations

import json

import pytest
from action_records import customer, open_receivable, revenue_account, sales_invoice

from pipelines.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return exited.value.code, out, err


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_api_get_prints_xeros_json(xero, org, capsys):
    code, out, _ = run(capsys, "api", "GET", "/Invoices", "--tenant", org.name,
                       "--param", "page=1", "--param", "pageSize=3")  # fmt: skip
    assert code == 0
    assert len(json.loads(out)["Invoices"]) == 3


def test_api_connections_needs_no_tenant(xero, capsys):
    code, out, _ = run(capsys, "api", "get", "/connections")
    assert code == 0
    assert {c["tenantId"] for c in json.loads(out)} == {t.tenant_id for t in xero.sandbox.tenants}


def test_api_put_with_a_data_file(xero, org, capsys, tmp_path):
    body = tmp_path / "contact.json"
    body.write_text(json.dumps({"Contacts": [{"Name": "Api Cli Co"}]}))
    code, out, _ = run(capsys, "api", "PUT", "/Contacts", "--tenant", org.tenant_id,
                       "--data", f"@{body}")  # fmt: skip
    assert code == 0
    contact_id = json.loads(out)["Contacts"][0]["ContactID"]
    assert org.collection("Contacts").get(contact_id)["Name"] == "Api Cli Co"


def test_api_with_several_tenants_and_none_chosen_is_one_line(xero, capsys):
    code, _, err = run(capsys, "api", "GET", "/Invoices")
    assert code == 1 and len(error_lines(err)) == 1 and "--tenant" in err


def test_actions_lists_the_catalogue_with_fields(capsys):
    code, out, _ = run(capsys, "actions")
    assert code == 0
    for name in ("invoices.create", "invoices.void", "invoices.email", "payments.create",
                 "payments.reverse", "contacts.archive", "items.add-note"):  # fmt: skip
        assert f"\n{name} " in f"\n{out}"
    assert "Type*, Contact*, LineItems*" in out


def test_action_with_fields_creates_and_prints_the_record(xero, org, capsys):
    code, out, err = run(
        capsys, "action", "contacts.create", "--tenant", org.name, "--no-sync",
        "--field", "Name=Field Cli Ltd", "--field", "EmailAddress=x@y.test",
    )  # fmt: skip
    assert code == 0, err
    created = json.loads(out)[0]
    assert org.collection("Contacts").get(created["ContactID"])["EmailAddress"] == "x@y.test"
    assert "contacts.create: done" in err


def test_rejected_elements_are_one_line_each_and_exit_non_zero(xero, org, capsys, tmp_path):
    contact_id, code = customer(org)["ContactID"], revenue_account(org)["Code"]
    good = sales_invoice(contact_id, code, Reference="cli-good")
    bad = sales_invoice(contact_id, "NOPE", Reference="cli-bad")
    payload = tmp_path / "invoices.json"
    payload.write_text(json.dumps({"Invoices": [good, bad]}, default=str))
    exit_code, out, err = run(capsys, "action", "invoices.create", "--tenant", org.tenant_id,
                              "--json", f"@{payload}", "--no-sync")  # fmt: skip
    assert exit_code == 1
    lines = error_lines(err)
    assert lines[0].startswith("error: invoices.create: element 2: Account code 'NOPE'")
    assert lines[1] == "error: invoices.create: 1 element(s) written, 1 rejected"
    assert "done" not in err
    references = [r.get("Reference") for r in org.collection("Invoices").records()]
    assert references.count("cli-good") == 1 and "cli-bad" not in references


def test_a_refused_status_change_is_one_line(xero, org, capsys):
    draft = next(r for r in org.collection("Invoices").records() if r["Status"] == "DRAFT")
    code, _, err = run(capsys, "action", "invoices.void", "--tenant", org.tenant_id,
                       "--id", draft["InvoiceID"], "--no-sync")  # fmt: skip
    assert code == 1
    assert len(error_lines(err)) == 1 and "cannot be voided" in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["action", "invoices.void"], "needs the record's id"),
        (["action", "invoices.create", "--field", "Type=ACCREC"], "Contact, LineItems"),
        (["action", "invoices.nope"], "unknown action"),
        (["action", "contacts.create", "--field", "Name"], "key=value"),
        (["action", "contacts.create", "--json", "@/no/such.json"], "cannot read"),
    ],
)
def test_bad_input_is_one_line(xero, org, capsys, argv, fragment):
    code, _, err = run(capsys, *argv, "--tenant", org.tenant_id)
    assert code == 1
    lines = error_lines(err)
    assert len(lines) == 1 and fragment in lines[0]


def test_a_missing_write_scope_is_named(xero, org, capsys, monkeypatch):
    from sandbox.identity import DEFAULT_SCOPES

    read_only = frozenset(s for s in DEFAULT_SCOPES if s.endswith(".read") or "." not in s)
    xero.identity.register_client("READONLY", "read-only-secret", scopes=read_only,
                                  client_credentials_tenant=org.tenant_id)  # fmt: skip
    xero.identity.connect("READONLY", [org.tenant_id])
    monkeypatch.setenv("XERO_CLIENT_ID", "READONLY")
    monkeypatch.setenv("XERO_CLIENT_SECRET", "read-only-secret")
    monkeypatch.delenv("XERO_REFRESH_TOKEN", raising=False)
    code, _, err = run(capsys, "action", "contacts.create", "--tenant", org.tenant_id,
                       "--field", "Name=No Scope Ltd", "--no-sync")  # fmt: skip
    assert code == 1
    lines = error_lines(err)
    assert len(lines) == 1 and "needs the scope accounting.contacts" in lines[0]


def test_download_an_attachment_to_a_file(xero, org, capsys, tmp_path):
    invoice = open_receivable(org)
    source = tmp_path / "po.txt"
    source.write_text("purchase order 17")
    code, _, err = run(capsys, "action", "invoices.attach", "--tenant", org.tenant_id,
                       "--id", invoice["InvoiceID"], "--field", f"file={source}")  # fmt: skip
    assert code == 0, err
    target = tmp_path / "out" / "po.txt"
    code, _, err = run(capsys, "action", "invoices.get-attachment", "--tenant", org.tenant_id,
                       "--id", invoice["InvoiceID"], "--field", "FileName=po.txt",
                       "--field", f"out={target}")  # fmt: skip
    assert code == 0, err
    assert target.read_text() == "purchase order 17"


def test_a_write_whose_answers_keep_getting_lost_can_be_finished_safely(xero, org, capsys):
    xero.faults.add("drop_response", count=None, path="/Contacts", tenant_id=org.tenant_id)
    argv = ["action", "contacts.create", "--tenant", org.tenant_id, "--no-sync",
            "--field", "Name=Flaky Ltd"]  # fmt: skip
    code, _, err = run(capsys, *argv)
    assert code == 1
    [line] = error_lines(err)
    key = line.rsplit("--idempotency-key ", 1)[1].split()[0]
    xero.faults.clear()
    code, out, _ = run(capsys, *argv, "--idempotency-key", key)
    assert code == 0 and json.loads(out)[0]["Name"] == "Flaky Ltd"
    names = [c["Name"] for c in org.collection("Contacts").records()]
    assert names.count("Flaky Ltd") == 1
