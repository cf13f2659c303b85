"""The dbt project as a whole on a synced sandbox warehouse: `dbt build` (models, unit tests,
generic tests) passes on both engines, the schemas are where the README says, and every
model and column description lands in the database as a comment."""

from __future__ import annotations

from contextlib import closing

import pytest
import yaml

from pipelines.destination import parse_destination
from pipelines.models import project_dir

MARTS = {
    "fct_ar_aging",
    "fct_ap_aging",
    "ar_aging_by_contact",
    "fct_payments",
    "fct_receivables_monthly",
    "fct_aged_receivables",
    "fct_aged_payables",
    "rpt_aged_receivables_summary",
    "rpt_aged_payables_summary",
    "dim_customers",
    "dim_suppliers",
    "fct_bills",
    "fct_vendor_credits",
    "fct_general_ledger",
    "fct_trial_balance",
    "rpt_profit_and_loss",
    "rpt_balance_sheet",
    "tie_out",
}
MODELS = 57


def documented_models() -> dict[str, dict]:
    models = {}
    for path in project_dir().glob("models/*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            models[model["name"]] = model
    return models


def test_every_model_and_column_is_described():
    models = documented_models()
    files = {path.stem for path in project_dir().glob("models/*/*.sql")}
    assert set(models) == files and len(files) == MODELS
    for name, model in models.items():
        assert model["description"].startswith("Grain: one row per"), name
        assert all(column.get("description") for column in model["columns"]), name


def test_the_models_reading_as_of_are_tagged_as_of():
    """`--select tag:as_of+` rebuilds everything a new as_of changes (README)."""
    reading = {
        path.stem
        for path in project_dir().glob("models/*/*.sql")
        if "as_of_date()" in path.read_text()
    }
    tagged = {
        name
        for name, model in documented_models().items()
        if "as_of" in model.get("config", {}).get("tags", [])
    }
    assert reading == tagged and len(tagged) == 4


def test_unit_test_names_fit_postgres_identifiers():
    """dbt names a unit test's relation after it; PostgreSQL cuts names at 63 characters."""
    names = [
        test["name"]
        for path in project_dir().glob("models/*/_*__unit_tests.yml")
        for test in yaml.safe_load(path.read_text())["unit_tests"]
    ]
    assert len(names) >= 10
    assert all(len(name) <= 50 for name in names), [n for n in names if len(n) > 50]


@pytest.mark.slow
def test_dbt_build_passes_and_persists_the_docs(built):
    results = built.results  # `dbt build` ran in the fixture: a failing test fails it
    schemas = {result.name: result.schema for result in results}
    assert len(schemas) == MODELS
    assert {name for name, schema in schemas.items() if schema == "reporting"} == MARTS
    assert {schemas[n] for n in schemas if n.startswith("stg_")} == {"reporting_staging"}
    assert {schemas[n] for n in schemas if n.startswith("int_")} == {"reporting_intermediate"}
    rows = {result.name: result.rows for result in results}
    assert rows["fct_ar_aging"] > 0 and rows["fct_payments"] > 0

    described = documented_models()["fct_ar_aging"]
    expected = {column["name"]: column["description"] for column in described["columns"]}
    assert column_comments(built.url, "reporting", "fct_ar_aging") == expected


def column_comments(url: str, schema: str, table: str) -> dict[str, str]:
    destination = parse_destination(url)
    if destination.kind == "duckdb":
        sql = (
            "select column_name, comment from duckdb_columns()"
            " where schema_name = ? and table_name = ?"
        )
    else:
        sql = (
            "select a.attname, col_description(a.attrelid, a.attnum) from pg_attribute a"
            " where a.attrelid = (%s || '.' || %s)::regclass and a.attnum > 0"
            " and not a.attisdropped"
        )
    with closing(destination.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, (schema, table))
        return dict(cursor.fetchall())
