"""The model runner: discovery, dependency order, missing raw data, idempotence, errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sql_harness import load_raw, read_table

import pipelines
from pipelines.cli import main
from pipelines.errors import ConfigurationError
from pipelines.models import (
    ModelError,
    discover_models,
    raw_columns,
    render_model,
    run_models,
    sql_dir,
)

MARTS = {
    "fct_ar_aging",
    "fct_ap_aging",
    "ar_aging_by_contact",
    "fct_payments",
    "fct_receivables_monthly",
}
STAGING = {
    f"stg_xero__{name}"
    for name in [
        "invoices",
        "invoice_line_items",
        "payments",
        "credit_notes",
        "credit_note_allocations",
        "overpayments",
        "overpayment_allocations",
        "prepayments",
        "prepayment_allocations",
        "contacts",
        "accounts",
        "bank_transactions",
        "journals",
        "journal_lines",
        "currencies",
        "organisations",
    ]
}

INVOICE = {
    "tenant_id": "t1",
    "invoice_id": "i1",
    "type": "ACCREC",
    "status": "AUTHORISED",
    "date": date(2026, 1, 1),
    "due_date": date(2026, 1, 31),
    "total": 10,
    "amount_due": 10,
}


def test_sql_is_found_through_the_package_not_the_working_directory(tmp_path):
    assert sql_dir() == Path(pipelines.__file__).resolve().parent.parent / "sql"
    assert Path.cwd() == tmp_path  # the autouse fixture moved us away from the project
    assert {model.name for model in discover_models()} >= MARTS | STAGING


def test_models_come_in_dependency_order_with_their_inputs():
    models = discover_models()
    position = {model.name: index for index, model in enumerate(models)}
    for model in models:
        assert model.layer in ("staging", "intermediate", "marts")
        assert model.path.parent.name == model.layer
        assert all(position[upstream] < position[model.name] for upstream in model.models)
    by_name = {model.name: model for model in models}
    assert by_name["stg_xero__credit_note_allocations"].raw_tables == (
        "credit_notes",
        "credit_notes__allocations",
    )
    assert by_name["int_open_invoices_aged"].depends_on == (
        "int_invoices_rolled_back_to_as_of",
        "stg_xero__contacts",
        "stg_xero__organisations",
    )
    assert by_name["fct_ar_aging"].depends_on == ("int_open_invoices_aged",)
    assert by_name["fct_ap_aging"].depends_on == ("int_open_invoices_aged",)
    assert by_name["stg_xero__invoices"].depends_on == ("xero.invoices",)
    # staging reads only raw tables; everything above reads only models
    for model in models:
        if model.layer == "staging":
            assert model.raw_tables and not model.models, model.name
        else:
            assert model.models and not model.raw_tables, model.name


def test_postgres_sql_reads_the_dataset_and_declared_columns_only():
    model = {m.name: m for m in discover_models()}["stg_xero__invoices"]
    present = {"invoices": {"invoice_id", "tenant_id", "amount_due"}}
    sql = render_model(model, "postgres", "acme_raw", date(2026, 3, 31), present)
    assert '"acme_raw"."invoices"' in sql
    assert "xero." not in sql
    # a declared column the warehouse lacks reads as a typed null
    assert 'CAST(NULL AS TIMESTAMPTZ) AS "_deleted_at"' in sql
    assert 'CAST("amount_due" AS DECIMAL(38, 9)) AS "amount_due"' in sql


def test_an_empty_warehouse_builds_every_model_empty(warehouse):
    results = run_models(warehouse, as_of=date(2026, 3, 31))
    assert {result.name for result in results} >= MARTS | STAGING
    assert all(result.rows == 0 for result in results)
    columns = read_table(warehouse, "reporting.fct_ar_aging")
    assert columns == []


def test_rerunning_replaces_the_tables(warehouse):
    load_raw(warehouse, {"invoices": [INVOICE]})
    first = run_models(warehouse, as_of=date(2026, 2, 1))
    second = run_models(warehouse, as_of=date(2026, 2, 1))
    assert [(r.name, r.rows) for r in first] == [(r.name, r.rows) for r in second]
    rows = read_table(warehouse, "reporting.fct_ar_aging")
    assert [(row["invoice_id"], row["days_overdue"], row["aging_bucket"]) for row in rows] == [
        ("i1", 1, "1_30")
    ]
    run_models(warehouse, as_of=date(2026, 1, 15))
    rows = read_table(warehouse, "reporting.fct_ar_aging")
    assert [(row["as_of_date"], row["aging_bucket"]) for row in rows] == [
        (date(2026, 1, 15), "current")
    ]


def test_the_raw_schema_comes_from_the_dataset(warehouse):
    load_raw(warehouse, {"invoices": [INVOICE]}, dataset="acme")
    run_models(warehouse, dataset="acme", as_of=date(2026, 2, 1))
    assert len(read_table(warehouse, "reporting.fct_ar_aging")) == 1


def test_a_failing_model_is_named_with_its_error(warehouse):
    load_raw(warehouse, {"invoices": [INVOICE]})
    # a raw column whose values cannot take the declared type
    from pipelines.destination import parse_destination

    connection = parse_destination(warehouse).connect()
    cursor = connection.cursor()
    cursor.execute('alter table "xero"."invoices" add column "currency_rate" varchar(20)')
    cursor.execute("""update "xero"."invoices" set "currency_rate" = 'not a rate'""")
    connection.commit()
    connection.close()
    with pytest.raises(ModelError) as failure:
        run_models(warehouse, as_of=date(2026, 2, 1))
    message = str(failure.value)
    assert message.startswith("model stg_xero__invoices failed: ")
    assert "\n" not in message


def test_only_declared_raw_tables_and_models_may_be_read(tmp_path):
    (tmp_path / "staging").mkdir()
    (tmp_path / "raw_columns.yml").write_text("invoices:\n  invoice_id: varchar\n")
    (tmp_path / "staging" / "stg_a.sql").write_text("select * from xero.contacts")
    with pytest.raises(ModelError, match="stg_a reads xero.contacts"):
        discover_models(tmp_path)
    (tmp_path / "staging" / "stg_a.sql").write_text("select * from nowhere")
    with pytest.raises(ModelError, match="stg_a reads unknown table"):
        discover_models(tmp_path)
    (tmp_path / "staging" / "stg_a.sql").write_text("delete from xero.invoices")
    with pytest.raises(ModelError, match="exactly one SELECT"):
        discover_models(tmp_path)


def test_raw_declarations_hold_what_point_in_time_needs():
    declared = raw_columns()
    assert "_deleted_at" in declared["invoices"]
    for table in ("credit_notes__allocations", "overpayments__allocations"):
        assert {"_dlt_parent_id", "invoice__invoice_id", "is_deleted"} <= set(declared[table])


def test_the_command_builds_the_models(tmp_path, capsys):
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    load_raw(url, {"invoices": [INVOICE]})
    with pytest.raises(SystemExit) as exit_:
        main(["models", "--destination", url, "--as-of", "2026-02-01"])
    assert exit_.value.code == 0
    output = capsys.readouterr().out
    assert "as of 2026-02-01" in output
    assert "reporting.fct_ar_aging: 1 rows" in output


def test_the_command_rejects_a_bad_date(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["models", "--destination", f"duckdb:///{tmp_path / 'x.duckdb'}", "--as-of", "31/3"])
    assert exit_.value.code == 1
    assert "bad --as-of" in capsys.readouterr().err


def test_an_unopenable_warehouse_is_one_clear_error(tmp_path):
    (tmp_path / "folder.duckdb").mkdir()
    with pytest.raises(ConfigurationError, match="cannot open duckdb:///"):
        run_models(f"duckdb:///{tmp_path / 'folder.duckdb'}", as_of=date(2026, 1, 1))
