"""History and attachments read for the documents the warehouse received since the last
run: one row per history record and per file, files downloaded on request, nothing read
twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_records import open_receivable
from tests_query import query

from pipelines.actions.documents import sync_documents
from pipelines.cli import main
from pipelines.runner import sync


def test_history_and_attachments_of_changed_documents(xero, org, xero_actions, tmp_path):
    destination = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    invoice_id = open_receivable(org)["InvoiceID"]
    source = tmp_path / "signed.pdf"
    source.write_bytes(b"%PDF signed order")
    xero_actions.upload_attachment("invoices", invoice_id, source)
    xero_actions.add_invoice_note(invoice_id, "Signed order attached")
    sync(destination, tenants=[org.tenant_id], ids={"invoices": [invoice_id]})

    first = sync_documents(destination, tenants=[org.tenant_id], download_dir=tmp_path / "files")
    assert first["requests"] == 3  # history, attachment list, one download
    history = query(destination, "select changes, details from xero.history "
                    "where document_id = %s order by date_utc, changes", invoice_id)  # fmt: skip
    assert ("Note", "Signed order attached") in history
    assert ("Attached a file", "Attached the file signed.pdf") in history
    files = query(destination, "select file_name, content_length, downloaded_to "
                  "from xero.attachments where document_id = %s", invoice_id)  # fmt: skip
    assert [(name, size) for name, size, _ in files] == [("signed.pdf", 17)]
    assert Path(files[0][2]).read_bytes() == b"%PDF signed order"

    again = sync_documents(destination, tenants=[org.tenant_id])
    assert again == {"history": 0, "attachments": 0, "requests": 0}
    rows = query(destination, "select count(*), count(distinct row_key) from xero.history")
    assert rows[0][0] == rows[0][1] == len(history)


def test_a_run_stops_at_its_budget_and_the_next_resumes(xero, org, tmp_path):
    destination = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    invoices = [r["InvoiceID"] for r in org.collection("Invoices").records()][:2]
    sync(destination, tenants=[org.tenant_id], ids={"invoices": invoices})
    runs = [
        sync_documents(destination, tenants=[org.tenant_id], resources=("history",),
                       max_requests=1)["requests"]
        for _ in range(3)
    ]  # fmt: skip
    assert runs == [1, 1, 0]
    documents = query(destination, "select distinct document_id from xero.history")
    assert sorted(d for (d,) in documents) == sorted(invoices)


def test_sync_resource_history_reads_them_from_the_command_line(xero, org, tmp_path, capsys):
    destination = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    invoice_id = open_receivable(org)["InvoiceID"]
    sync(destination, tenants=[org.tenant_id], ids={"invoices": [invoice_id]})
    argv = ["sync", "--destination", destination, "--tenant", org.tenant_id,
            "--resource", "history", "--no-progress"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_code:
        main(argv)
    assert exit_code.value.code == 0
    assert "history rows, 1 requests" in capsys.readouterr().out
    (count,) = query(
        destination, "select count(*) from xero.history where document_id = %s", invoice_id
    )[0]
    assert count > 0
