"""`xero-warehouse verify` over a tie-out table written by hand, on DuckDB and PostgreSQL:
the exit code follows the broken lines, the explained ones are shown with their reason, and a
warehouse without a tie-out gets one line. The tie-out built from a real sync is tested with
the statements (tests/sql)."""

from __future__ import annotations

from contextlib import closing
from datetime import date

import pytest
from tie_out_rows import BROKEN, EXPLAINED, TIED, write_warehouse

from pipelines.cli import main
from pipelines.destination import parse_destination
from pipelines.verify import tenants_without_journals, verify


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def destination(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


def run_verify(url: str, *extra: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--destination", url, *extra])
    return exited.value.code


def test_verify_exits_1_on_a_broken_line_and_names_it(destination, capsys):
    write_warehouse(destination, [TIED, EXPLAINED, BROKEN])
    assert run_verify(destination) == 1
    out = capsys.readouterr().out
    assert "Beta NZ" in out and "Alpha AU" in out
    assert "400 Advertising debit: warehouse 80.00, Xero 75.00, difference +5.00" in out
    assert "unrealised currency gain of 12.34" in out
    assert "tie-out: 1 tied, 1 explained, 1 broken: BROKEN" in out


def test_verify_passes_when_every_line_is_tied_or_explained(destination, capsys):
    write_warehouse(destination, [TIED, EXPLAINED])
    assert run_verify(destination) == 0
    assert "1 tied, 1 explained, 0 broken: ties to Xero" in capsys.readouterr().out


def test_as_of_leaves_out_later_snapshots(destination, capsys):
    write_warehouse(destination, [TIED, BROKEN])
    assert run_verify(destination, "--as-of", "2026-09-30") == 0
    assert [
        line.status for line in verify(parse_destination(destination), date(2026, 9, 30)).lines
    ] == ["tied"]


def test_a_missing_warehouse_or_an_empty_or_missing_tie_out_is_one_error_line(tmp_path, capsys):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    write_warehouse(url, [])
    assert run_verify(url) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: nothing to verify") and err.count("\n") == 1

    assert run_verify(f"duckdb:///{tmp_path / 'none.duckdb'}") == 1
    assert capsys.readouterr().err.startswith("error: no warehouse at")

    synced_only = f"duckdb:///{tmp_path / 'synced.duckdb'}"
    with closing(parse_destination(synced_only).connect()) as connection:
        connection.execute("create schema xero")
        connection.execute("create table xero.organisations (tenant_id text, name text)")
    assert run_verify(synced_only) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no reporting.tie_out in") and err.count("\n") == 1


def test_organisations_without_journals_are_named(tmp_path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    write_warehouse(url, [TIED], journals_for=("t1",))
    assert tenants_without_journals(parse_destination(url)) == ["Beta NZ"]
