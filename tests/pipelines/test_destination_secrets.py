"""A PostgreSQL password never shows, however it is written: one libpq-style split feeds both
the connection and what errors print, and URLs libpq would read differently are refused."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pipelines.destination import parse_destination
from pipelines.errors import ConfigurationError
from pipelines.xero.token_store import token_store_from_env

SECRET = "Pw-S3cr3t-4471"

# (URL as a user may write it, the password libpq must receive)
WRITTEN_PASSWORDS = [
    (f"postgresql://postgres:{SECRET}@127.0.0.1:5432/test", SECRET),
    ("postgresql://postgres:Secr%2FetPw1@127.0.0.1:5432/test", "Secr/etPw1"),
    ("postgresql://postgres:Secr%40etPw2@127.0.0.1:5432/test", "Secr@etPw2"),
    ("postgresql://postgres:Se:cr%25et3@127.0.0.1:5432/test", "Se:cr%et3"),
    ("postgres://postgres:S%C3%A9cret4@[::1]:5432/test?sslmode=prefer", "Sécret4"),
    ("postgresql://postgres@127.0.0.1:5432/test?password=Secr%2Fet5", "Secr/et5"),
    (f"postgresql://postgres:wrong@127.0.0.1/test?sslmode=prefer&password={SECRET}", SECRET),
]

# passwords with an unencoded / or @, and malformed URLs: refused without echoing them
AMBIGUOUS = [
    "postgresql://postgres:Secr/etPw1@127.0.0.1:5432/test",
    "postgresql://postgres:Secr@etPw2@127.0.0.1:5432/test",
    "postgresql://postgres:x/Pw-S3cr3t-4471@127.0.0.1:5432/test",
    "postgresql://postgres:Pw-S3cr3t-4471@@127.0.0.1:5432/test",
    "postgresql://postgres:Secr%zzet@127.0.0.1:5432/test",
    "postgresql://u:p@[::1/db",
]


def _libpq_view(dsn: str) -> dict:
    from psycopg2.extensions import parse_dsn

    return parse_dsn(dsn)


@pytest.mark.parametrize(("url", "password"), WRITTEN_PASSWORDS)
def test_libpq_and_dlt_get_the_password_that_display_hides(url, password):
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    target = parse_destination(url)
    assert _libpq_view(target.postgres_dsn)["password"] == password
    assert _libpq_view(target.postgres_dsn)["dbname"] == "test"
    credentials = PostgresCredentials()
    credentials.parse_native_representation(target.postgres_dsn)
    through_dlt = _libpq_view(credentials.to_native_representation())
    assert (through_dlt["password"], through_dlt["dbname"]) == (password, "test")
    assert through_dlt["host"] in ("127.0.0.1", "::1")
    for shown in (target.display, repr(target.postgres)):
        assert password not in shown and "Secr" not in shown and "cret" not in shown
    assert target.redact(f"could not translate host name {password!r}") == (
        "could not translate host name '***'"
    )


@pytest.mark.parametrize("url", AMBIGUOUS)
def test_ambiguous_urls_are_refused_in_one_line_without_the_password(url):
    with pytest.raises(ConfigurationError) as raised:
        parse_destination(url)
    message = str(raised.value)
    assert message.startswith("bad destination: ")
    assert "\n" not in message
    assert "Secr" not in message and "etPw" not in message and "3cr3t" not in message


def test_the_token_store_url_gets_the_same_split(monkeypatch):
    monkeypatch.setenv("XERO_TOKEN_STORE", "postgresql://u:Secr%2Fet@db.example/w?schema=s")
    store = token_store_from_env()
    assert store.location == "postgresql://u:***@db.example/w"
    assert _libpq_view(store._dsn) == {"user": "u", "password": "Secr/et", "host": "db.example",
                                       "dbname": "w"}  # fmt: skip
    monkeypatch.setenv("XERO_TOKEN_STORE", "postgresql://u:Secr/et@db.example/w")
    with pytest.raises(ConfigurationError, match="bad XERO_TOKEN_STORE: .*percent-encode"):
        token_store_from_env()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("xero-warehouse")), *args],
        capture_output=True, text=True, env=dict(os.environ), timeout=120,
    )  # fmt: skip


def _assert_secret_free_error(result: subprocess.CompletedProcess, *secrets: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, output
    for secret in secrets:
        assert secret not in output
    return lines[0]


@pytest.mark.parametrize("command", ["sync", "models"])
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:Secr/etPw1@127.0.0.1:5432/test",
        "postgresql://postgres:Secr@etPw2@127.0.0.1:5432/test",
    ],
)
def test_cli_never_prints_an_unencoded_password(command, url):
    line = _assert_secret_free_error(_cli(command, "--destination", url), "etPw", "Secr")
    assert "percent-encode" in line


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["sync", "models"])
def test_cli_connection_errors_mask_encoded_and_query_passwords(command, postgres_server):
    missing = f"no_such_db_{uuid.uuid4().hex[:8]}"
    for url in (
        f"postgresql://postgres:Secr%2FetPw1@127.0.0.1:5432/{missing}",
        f"postgresql://postgres@127.0.0.1:5432/{missing}?password=Secr%40etPw2",
    ):
        line = _assert_secret_free_error(_cli(command, "--destination", url), "etPw", "Secr")
        assert "cannot" in line and missing in line


@pytest.mark.postgres
def test_an_encoded_password_reaches_the_server(postgres_url):
    """Trust auth accepts any password: the connection works with the decoded one."""
    url = postgres_url.replace("postgres:@", "postgres:Secr%2F%40et%3A@")
    connection = parse_destination(url).connect()
    try:
        cursor = connection.cursor()
        cursor.execute("select current_database()")
        assert cursor.fetchone()[0] == postgres_url.rsplit("/", 1)[-1]
    finally:
        connection.close()


@pytest.mark.postgres
def test_dagster_failures_carry_no_password(xero, instance, postgres_server):
    import dagster as dg

    from assets.resources import XeroWarehouseResource
    from assets.xero import build_xero_assets, xero_tables

    tenant = xero.sandbox.tenants[0].tenant_id
    instance.add_dynamic_partitions("tenants", [tenant])
    for url in (
        f"postgresql://postgres:x/{SECRET}@127.0.0.1:5432/test",
        f"postgresql://postgres:x%2F{SECRET}@127.0.0.1:5432/no_such_db_{uuid.uuid4().hex[:8]}",
    ):
        result = dg.materialize(
            [build_xero_assets(xero_tables())],
            partition_key=tenant,
            instance=instance,
            resources={"warehouse": XeroWarehouseResource(destination=url)},
            selection=[dg.AssetKey(["xero", "currencies"])],
            raise_on_error=False,
        )
        assert not result.success
        logged = "\n".join(
            str(record) for record in instance.get_event_records(
                dg.EventRecordsFilter(event_type=dg.DagsterEventType.STEP_FAILURE)
            )
        ) + "\n".join(str(event) for event in result.all_events)  # fmt: skip
        assert "cannot connect" in logged or "bad destination" in logged
        assert SECRET not in logged
