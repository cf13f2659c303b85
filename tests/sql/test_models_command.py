"""`xero-warehouse models`: runs the dbt project from any directory on the warehouse and
dataset given, refuses one without raw data, and fails in one line naming the model."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sql_harness import load_raw, read_table

from pipelines.cli import main
from pipelines.destination import parse_destination
from pipelines.errors import ConfigurationError
from pipelines.models import ModelError, dbt_home, profile, project_dir, run_models

INVOICE = {
    "tenant_id": "t1",
    "invoice_id": "i1",
    "type": "ACCREC",
    "status": "AUTHORISED",
    "currency_code": "GBP",
    "contact__contact_id": "c1",
    "date": date(2026, 1, 1),
    "due_date": date(2026, 1, 31),
    "total": 10,
    "amount_due": 10,
}


def test_the_project_is_found_through_the_package_not_the_working_directory(tmp_path):
    import pipelines

    assert project_dir() == Path(pipelines.__file__).resolve().parent.parent / "sql"
    assert (project_dir() / "dbt_project.yml").is_file()
    assert Path.cwd() == tmp_path  # the autouse fixture moved us away from the project


@pytest.mark.slow
def test_the_command_builds_the_dataset_it_is_given(warehouse, capsys):
    """Only invoices loaded, into dataset `acme`: the other raw tables read as empty, the
    columns dlt never created as nulls, and dbt's files stay out of the project."""
    load_raw(warehouse, {"invoices": [INVOICE]}, dataset="acme")
    with pytest.raises(SystemExit) as exit_:
        main(["models", "--destination", warehouse, "--dataset", "acme", "--as-of", "2026-02-01"])
    assert exit_.value.code == 0
    output = capsys.readouterr().out
    assert "built 57 models as of 2026-02-01" in output
    assert "  reporting.fct_ar_aging: 1 rows" in output
    assert "  reporting.fct_payments: 0 rows" in output
    rows = read_table(warehouse, "reporting.fct_ar_aging")
    assert [(r["invoice_id"], r["days_overdue"], r["aging_bucket"]) for r in rows] == [
        ("i1", 1, "1_30")
    ]
    assert rows[0]["contact_name"] is None  # contacts never loaded
    assert not (project_dir() / "target").exists() and not (project_dir() / "logs").exists()
    assert (dbt_home() / "logs" / "dbt.log").is_file()


def test_a_missing_duckdb_file_is_refused_and_not_created(tmp_path, capsys):
    path = tmp_path / "typo.duckdb"
    with pytest.raises(SystemExit) as exit_:
        main(["models", "--destination", f"duckdb:///{path}"])
    assert exit_.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("error: no warehouse at duckdb:///") and error.count("\n") == 1
    assert not path.exists()


def test_a_dataset_without_raw_data_is_refused(warehouse):
    load_raw(warehouse, {"invoices": [INVOICE]})
    with pytest.raises(ConfigurationError, match="no raw data in dataset 'xeroo'"):
        run_models(warehouse, dataset="xeroo")
    with pytest.raises(ConfigurationError, match="bad dataset name"):
        run_models(warehouse, dataset="x; drop")


def test_the_command_rejects_a_bad_date(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["models", "--destination", f"duckdb:///{tmp_path / 'x.duckdb'}", "--as-of", "31/3"])
    assert exit_.value.code == 1
    assert "bad --as-of" in capsys.readouterr().err


def test_an_unopenable_warehouse_is_one_clear_error(tmp_path):
    (tmp_path / "not.duckdb").write_text("not a database")
    with pytest.raises(ConfigurationError, match="cannot open duckdb:///"):
        run_models(f"duckdb:///{tmp_path / 'not.duckdb'}", as_of=date(2026, 1, 1))


@pytest.mark.slow
def test_a_failing_model_is_named_in_one_line(tmp_path):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    load_raw(url, {"invoices": [{**INVOICE, "currency_rate": 1}]})
    with parse_destination(url).connect() as connection:  # a rate the model cannot cast
        connection.execute("alter table xero.invoices alter currency_rate type varchar")
        connection.execute("update xero.invoices set currency_rate = 'not a rate'")
    with pytest.raises(ModelError) as failure:
        run_models(url, as_of=date(2026, 2, 1))
    message = str(failure.value)
    assert message.startswith("model stg_xero__invoices failed: ")
    assert "\n" not in message


def test_the_profile_holds_no_password():
    destination = parse_destination("postgresql://me:s3cr%2Ft@db.example.com:6543/wh")
    text = yaml.safe_dump(profile(destination))
    assert "s3cr" not in text
    output = profile(destination)["xero_warehouse"]["outputs"]["warehouse"]
    assert (output["host"], output["port"], output["user"], output["dbname"]) == (
        "db.example.com",
        6543,
        "me",
        "wh",
    )
    assert output["schema"] == "reporting"


@pytest.mark.postgres
def test_a_postgres_password_reaches_dbt_but_not_its_files(postgres_url):
    """Trust auth accepts any password: it must still never be written down."""
    url = postgres_url.replace("postgres:@", "postgres:pw%2Fs3cret@")
    assert "pw%2Fs3cret" in url
    load_raw(url, {"invoices": [INVOICE]})
    results = run_models(url, as_of=date(2026, 2, 1), select=["stg_xero__invoices"])
    assert [(r.name, r.rows) for r in results] == [("stg_xero__invoices", 1)]
    for path in dbt_home().rglob("*"):
        if path.is_file():
            assert b"s3cret" not in path.read_bytes(), path
