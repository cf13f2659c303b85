"""The reporting models, given raw rows and expected results (sql/tests/*.yml), on DuckDB
and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sql_harness import case_files, expected_value, load_raw, read_case, read_table

from pipelines.models import run_models


@pytest.mark.parametrize("path", case_files(), ids=lambda path: path.stem)
def test_models_give_the_expected_rows(warehouse, path):
    case = read_case(path)
    load_raw(warehouse, case["given"], case.get("defaults"))
    for run in case["runs"]:
        as_of = run["as_of"]
        run_models(warehouse, as_of=as_of)
        for model, expected in run["expect"].items():
            actual = read_table(warehouse, f"reporting.{model}")
            _assert_rows(f"{model} as of {as_of}", expected["key"], expected["rows"], actual)


def _assert_rows(label: str, key: list[str], expected_rows: list[dict], actual_rows: list[dict]):
    def key_of(row: dict) -> tuple:
        return tuple(str(row[column]) for column in key)

    actual_by_key = {key_of(row): row for row in actual_rows}
    assert len(actual_by_key) == len(actual_rows), f"{label}: duplicate {key}"
    assert sorted(actual_by_key) == sorted(key_of(row) for row in expected_rows), label
    for expected in expected_rows:
        actual = actual_by_key[key_of(expected)]
        for column, value in expected.items():
            assert column in actual, f"{label}: no column {column}"
            assert actual[column] == expected_value(value, actual[column]), (
                f"{label} {key_of(expected)} {column}: {actual[column]!r} != {value!r}"
            )


def test_both_engines_give_identical_tables(tmp_path, postgres_url):
    duckdb_url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    as_of = date(2026, 3, 31)
    for path in case_files():
        case = read_case(path)
        tables = {}
        for url in (duckdb_url, postgres_url):
            load_raw(url, case["given"], case.get("defaults"), dataset=f"x_{path.stem}")
            results = run_models(url, dataset=f"x_{path.stem}", as_of=as_of)
            tables[url] = {
                result.name: sorted(read_table(url, f"{result.schema}.{result.name}"), key=_sort_key)
                for result in results
            }
        for name, rows in tables[duckdb_url].items():
            assert rows == tables[postgres_url][name], name


def _sort_key(row: dict) -> tuple:
    return tuple(
        str(value.normalize()) if isinstance(value, Decimal) else str(value)
        for value in row.values()
    )
