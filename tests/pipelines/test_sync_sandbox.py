"""End to end: the sandbox over real HTTP -> the source -> DuckDB and PostgreSQL, checked
against the sandbox's ground truth (ids, counts, money to the cent, no duplicates)."""

from __future__ import annotations

import math
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest

from pipelines.destination import parse_destination
from pipelines.runner import sync
from pipelines.xero import settings
from pipelines.xero.helpers import _snake
from sandbox.ground_truth import collection_truth
from sandbox.model import Sandbox
from sandbox.server import running_sandbox

# a few collections of every strategy, for the tests of failure handling
CORE = (
    "invoices",
    "contacts",
    "payments",
    "credit_notes",
    "accounts",
    "items",
    "journals",
    "linked_transactions",
    "tracking_categories",
    "currencies",
)
TIME_SCALE = 1000.0  # rate-limit windows 1000x shorter than Xero's
SEED = 7


@contextmanager
def served(monkeypatch, sb: Sandbox, **options):
    with running_sandbox(sb, time_scale=TIME_SCALE, limits=True, **options) as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("XERO_RATE_LIMIT_TIME_SCALE", str(TIME_SCALE))
        yield server


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def destination(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(tenants=2, scale="small", seed=SEED)


@contextmanager
def connected(destination: str):
    """One connection to the warehouse for many queries (opening a DuckDB file costs tens of
    milliseconds): yields `run(sql, *params)`, %s placeholders, returning the rows."""
    target = parse_destination(destination)
    connection = target.connect()
    try:
        cursor = connection.cursor()

        def run(sql: str, *params) -> list[tuple]:
            if target.kind == "duckdb":
                sql = sql.replace("%s", "?")
            cursor.execute(sql, params or None)
            return cursor.fetchall()

        yield run
    finally:
        connection.close()


def query(destination: str, sql: str, *params) -> list[tuple]:
    with connected(destination) as run:
        return run(sql, *params)


def assert_matches_truth(
    destination: str, sb: Sandbox, only: tuple[str, ...] = (), tenants: list | None = None
) -> None:
    """Every collection of every tenant holds exactly the truth's ids (rows not marked
    deleted), no duplicates, and the same money totals."""
    with connected(destination) as run:
        tables = {row[0] for row in run(
            "select table_name from information_schema.tables where table_schema = 'xero'"
        )}  # fmt: skip
        problems = [
            problem
            for tenant in tenants or sb.tenants
            for c in settings.COLLECTIONS
            if not only or c.name in only
            for problem in _collection_problems(run, tables, tenant, c)
        ]
    assert not problems, "\n".join(problems)


def _collection_problems(run, tables: set[str], tenant, c) -> list[str]:
    truth = collection_truth(tenant, c.envelope)
    if c.name not in tables:
        return [f"{tenant.name} {c.name}: no table, {truth.count} expected"] if truth.count else []
    live = "tenant_id = %s and _deleted_at is null"
    if c.primary_key is None:
        (count,) = run(f"select count(*) from xero.{c.name} where {live}", tenant.tenant_id)[0]
        if count == truth.count:
            return []
        return [f"{tenant.name} {c.name}: {count} rows != {truth.count}"]
    problems = []
    pk = _snake(c.primary_key)
    ids = [str(r[0]) for r in run(f"select {pk} from xero.{c.name} where {live}", tenant.tenant_id)]
    if len(ids) != len(set(ids)):
        problems.append(f"{tenant.name} {c.name}: duplicate ids")
    expected = {str(i) for i in truth.ids}
    if set(ids) != expected:
        missing, extra = expected - set(ids), set(ids) - expected
        problems.append(f"{tenant.name} {c.name}: {len(missing)} missing, {len(extra)} extra")
    for field, total in truth.money.items():
        column = _snake(field)
        (loaded,) = run(
            f"select coalesce(sum({column}), 0) from xero.{c.name} where {live}", tenant.tenant_id
        )[0]
        if Decimal(loaded) != total:
            problems.append(f"{tenant.name} {c.name}.{field}: {loaded} != {total}")
    return problems


def assert_line_items_match(destination: str, sb: Sandbox) -> None:
    for tenant in sb.tenants:
        expected = sum(
            len(r.get("LineItems") or []) for r in tenant.collection("Invoices").records()
        )
        (loaded,) = query(
            destination,
            "select count(*) from xero.invoices__line_items l join xero.invoices i "
            "on l._dlt_root_id = i._dlt_id where i.tenant_id = %s",
            tenant.tenant_id,
        )[0]
        assert loaded == expected, tenant.name


def tenant_requests(server, tenant) -> int:
    return server.log.count(tenant_id=tenant.tenant_id)


def expected_incremental_requests(tenant) -> int:
    """One call per incremental collection when fewer than a page changed, plus every page of
    LinkedTransactions (no If-Modified-Since there); reference data read within the day is
    not read again."""
    linked = len(tenant.collection("LinkedTransactions"))
    linked_pages = linked // settings.DEFAULT_PAGE_SIZE + 1
    incremental = [c for c in settings.COLLECTIONS if not c.reference]
    return len(incremental) - 1 + linked_pages


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.slow
def test_full_then_incremental_sync_matches_ground_truth(monkeypatch, sb, destination):
    with served(monkeypatch, sb) as server:
        result = sync(destination=destination)
        assert result.ok, result.errors
        assert {t.tenant_id for t in result.tenants} == {t.tenant_id for t in sb.tenants}
        assert_matches_truth(destination, sb)
        assert_line_items_match(destination, sb)
        types = dict(
            query(
                destination,
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'xero' and table_name = 'invoices'",
            )
        )
        assert types["date"].lower() == "date"
        assert "time zone" in types["updated_date_utc"].lower()
        assert types["amount_due"].lower().startswith(("decimal", "numeric"))

        # changes: one call per collection, and the warehouse shows every kind of change
        changes = {t.tenant_id: _mutate(t) for t in sb.tenants}
        server.log.reset()
        result = sync(destination=destination)
        assert result.ok, result.errors
        for tenant in sb.tenants:
            assert tenant_requests(server, tenant) == expected_incremental_requests(tenant)
        assert_matches_truth(destination, sb)
        assert_line_items_match(destination, sb)
        for tenant_id, change in changes.items():
            assert_changes_loaded(destination, tenant_id, change)


def _mutate(tenant) -> dict:
    """Create, update, void, delete a payment, hard-delete an account and an item."""
    invoices = [r for r in tenant.collection("Invoices").records()]
    open_invoice = next(
        r for r in invoices if r["Status"] == "AUTHORISED" and r["Type"] == "ACCREC"
    )
    voidable = next(
        r
        for r in invoices
        if r["Status"] == "AUTHORISED"
        and r["InvoiceID"] != open_invoice["InvoiceID"]
        and not r.get("Payments")
    )
    line = next(li for li in open_invoice["LineItems"] if li.get("AccountCode"))
    contact = next(iter(tenant.collection("Contacts").records()))
    created = tenant.create(
        "Invoices",
        {
            "Type": "ACCREC",
            "Status": "AUTHORISED",
            "Contact": {"ContactID": open_invoice["Contact"]["ContactID"]},
            "Date": open_invoice["Date"],
            "DueDate": open_invoice["Date"] + timedelta(days=30),
            "LineItems": [
                {
                    "Description": "new",
                    "Quantity": Decimal(2),
                    "UnitAmount": Decimal("12.34"),
                    "AccountCode": line["AccountCode"],
                }
            ],
        },
    )
    tenant.update("Contacts", contact["ContactID"], {"Name": contact["Name"] + " (renamed)"})
    tenant.void("Invoices", voidable["InvoiceID"])
    payment = next(
        p for p in tenant.collection("Payments").records() if p.get("Status") == "AUTHORISED"
    )
    tenant.delete("Payments", payment["PaymentID"])
    used_accounts = {li.get("AccountCode") for r in invoices for li in r.get("LineItems") or []}
    account = next(
        a
        for a in tenant.collection("Accounts").records()
        if a.get("Code") not in used_accounts
        and a.get("Status") == "ACTIVE"
        and not a.get("SystemAccount")
        and a.get("Type") != "BANK"
    )
    tenant.delete("Accounts", account["AccountID"])
    item = next(iter(tenant.collection("Items").records()), None)
    if item is not None:
        tenant.delete("Items", item["ItemID"])
    return {
        "created": created["InvoiceID"],
        "voided": voidable["InvoiceID"],
        "contact": contact["ContactID"],
        "payment": payment["PaymentID"],
        "account": account["AccountID"],
        "item": item and item["ItemID"],
    }


def assert_changes_loaded(destination: str, tenant_id: str, change: dict) -> None:
    status = dict(
        query(
            destination,
            "select invoice_id, status from xero.invoices where tenant_id = %s "
            "and invoice_id in (%s, %s)",
            tenant_id,
            change["created"],
            change["voided"],
        )
    )
    assert status == {change["created"]: "AUTHORISED", change["voided"]: "VOIDED"}
    (payment_status,) = query(
        destination, "select status from xero.payments where payment_id = %s", change["payment"]
    )[0]
    assert payment_status == "DELETED"
    (name,) = query(
        destination, "select name from xero.contacts where contact_id = %s", change["contact"]
    )[0]
    assert name.endswith("(renamed)")
    for table, column, record_id in (
        ("accounts", "account_id", change["account"]),
        ("items", "item_id", change["item"]),
    ):
        if record_id is None:
            continue
        (deleted_at,) = query(
            destination, f"select _deleted_at from xero.{table} where {column} = %s", record_id
        )[0]
        assert deleted_at is not None, table


def test_records_in_the_boundary_second_are_neither_lost_nor_duplicated(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    tenant = sb.tenants[0]
    with served(monkeypatch, sb):
        contacts = list(tenant.collection("Contacts").records())
        moment = sb.clock.now().replace(microsecond=500_000)
        sb.clock.freeze(moment)
        tenant.update("Contacts", contacts[0]["ContactID"], {"Name": "Boundary One"})
        assert sync(destination=destination, resources=["contacts"], tenants=[tenant.tenant_id]).ok
        # same second, after the cursor was taken
        tenant.update("Contacts", contacts[1]["ContactID"], {"Name": "Boundary Two"})
        assert sync(destination=destination, resources=["contacts"], tenants=[tenant.tenant_id]).ok
        sb.clock.unfreeze()
        names = dict(
            query(
                destination,
                "select contact_id, name from xero.contacts where tenant_id = %s",
                tenant.tenant_id,
            )
        )
        assert names[contacts[0]["ContactID"]] == "Boundary One"
        assert names[contacts[1]["ContactID"]] == "Boundary Two"
        assert_matches_truth(destination, sb, only=("contacts",), tenants=[tenant])


@pytest.mark.slow
def test_full_refresh_marks_hard_deletes(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    tenant = sb.tenants[0]
    with served(monkeypatch, sb):
        assert sync(destination=destination, resources=list(CORE)).ok
        linked = next(iter(tenant.collection("LinkedTransactions").records()), None)
        category = next(iter(tenant.collection("TrackingCategories").records()), None)
        if linked:
            tenant.delete("LinkedTransactions", linked["LinkedTransactionID"])
        if category:
            tenant.delete("TrackingCategories", category["TrackingCategoryID"])
        result = sync(destination=destination, resources=list(CORE), full_refresh=True)
        assert result.ok, result.errors
        assert_matches_truth(destination, sb, only=CORE)
        (marked,) = query(
            destination,
            "select count(*) from xero.tracking_categories where _deleted_at is not null",
        )[0]
        assert marked == (1 if category else 0)


@pytest.mark.slow
def test_faults_still_end_in_a_correct_warehouse(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb) as server:
        storm = server.faults.add("rate_limit", count=15, seconds=2)
        server.faults.add("status", status=503, count=6, probability=0.3)
        server.faults.add("status", status=500, count=2, path="/Invoices")
        server.faults.add("reset", count=2, probability=0.2)
        server.faults.add("truncate", count=1, mode="cut", path="/Contacts")
        server.faults.add("expire_token", count=1, after=25)
        result = sync(destination=destination, resources=list(CORE))
        assert result.ok, result.errors
        assert_matches_truth(destination, sb, only=CORE)
        assert storm.fired == 15
        assert server.log.count(status=429) > 0


@pytest.mark.slow
def test_daily_limit_stops_one_tenant_and_the_next_run_completes(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    limited, other = sb.tenants
    with served(monkeypatch, sb) as server:
        server.faults.add("day_quota", tenant_id=limited.tenant_id, after=5)
        result = sync(destination=destination, resources=list(CORE))
        assert not result.ok
        outcome = {t.tenant_id: t for t in result.tenants}
        assert outcome[other.tenant_id].status == "ok"
        assert outcome[limited.tenant_id].status.startswith("stopped: daily API limit")
        assert "(Xero's Retry-After)" in outcome[limited.tenant_id].status
        assert outcome[limited.tenant_id].rows > 0  # what it read before the limit is kept
        server.limiter.reset()
        # the next day is a new process: its limiter has not seen yesterday's 429
        from pipelines.xero import limiter

        monkeypatch.setattr(limiter, "_shared", {})
        again = sync(destination=destination, resources=list(CORE))
        assert again.ok, again.errors
        assert_matches_truth(destination, sb, only=CORE)


@pytest.mark.slow
@pytest.mark.parametrize("step", ["normalize", "load"])
def test_crash_between_extract_and_load_loses_nothing(monkeypatch, sb, tmp_path, step):
    """The process dies after the rows were extracted (before normalizing, or while
    loading): the next run finishes the pending package first, then syncs on."""
    import dlt
    from dlt.load import Load

    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    target, name = (
        (dlt.Pipeline, "normalize") if step == "normalize" else (Load, "complete_package")
    )
    with served(monkeypatch, sb):
        original = getattr(target, name)

        def crash(self, *args, **kwargs):
            raise KeyboardInterrupt(f"killed during {step}")

        monkeypatch.setattr(target, name, crash)
        with pytest.raises(KeyboardInterrupt):
            sync(destination=destination, resources=list(CORE))
        monkeypatch.setattr(target, name, original)
        result = sync(destination=destination, resources=list(CORE))
        assert result.ok, result.errors
        assert_matches_truth(destination, sb, only=CORE)


@pytest.mark.slow
def test_crash_during_extract_keeps_cursors(monkeypatch, sb, tmp_path):
    """A Ctrl-C mid-extract: Python raises it in the main thread, where dlt writes the pages
    the reading threads return."""
    from dlt.extract.extractors import Extractor

    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb):
        assert sync(destination=destination, resources=list(CORE)).ok
        for tenant in sb.tenants:
            _mutate(tenant)
        original = Extractor.write_items
        calls = {"n": 0}

        def dying_write(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt("killed while extracting")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Extractor, "write_items", dying_write)
        with pytest.raises(KeyboardInterrupt):
            sync(destination=destination, resources=list(CORE))
        monkeypatch.setattr(Extractor, "write_items", original)
        result = sync(destination=destination, resources=list(CORE))
        assert result.ok, result.errors
        assert_matches_truth(destination, sb, only=CORE)


def test_a_ctrl_c_deep_in_what_dlt_raises_still_interrupts(tmp_path):
    """After a Ctrl-C dlt closes the reading threads, which can fail in turn ("generator
    already executing"): the run still ends as interrupted, not as a failed extract."""
    from types import SimpleNamespace

    from dlt.pipeline.exceptions import PipelineStepFailed

    from pipelines.runner import run_step

    def extract():
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise ValueError("generator already executing") from None
        except ValueError as exc:
            pipeline = SimpleNamespace(pipeline_name="xero_group_0", has_pending_data=False)
            raise PipelineStepFailed(pipeline, "extract", None, exc) from exc

    target = parse_destination(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with pytest.raises(KeyboardInterrupt):
        run_step(target, "extract", extract)


@pytest.mark.slow
def test_targeted_sync_by_ids(monkeypatch, sb, tmp_path):
    import httpx

    from pipelines.xero.client import XeroClient

    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    tenant = sb.tenants[0]
    with served(monkeypatch, sb) as server:
        assert sync(destination=destination, resources=list(CORE)).ok
        invoices = [r["InvoiceID"] for r in tenant.collection("Invoices").records()][:60]
        contacts = [r["ContactID"] for r in tenant.collection("Contacts").records()][:3]
        credit_notes = [r["CreditNoteID"] for r in tenant.collection("CreditNotes").records()]
        # ids Xero no longer has are simply not returned
        unknown = [str(uuid.UUID(int=n)) for n in range(1, 21)]
        assert len(credit_notes + unknown) > 25
        for invoice_id in invoices[:2]:
            tenant.update("Invoices", invoice_id, {"Reference": "targeted"})
        for credit_note_id in credit_notes[:2]:
            tenant.update("CreditNotes", credit_note_id, {"Reference": "targeted"})
        queries: list[str] = []
        original = XeroClient.get

        def get(self, path, params=None, **kwargs):
            queries.append(str(httpx.QueryParams(params or {})))
            return original(self, path, params, **kwargs)

        monkeypatch.setattr(XeroClient, "get", get)
        server.log.reset()
        result = sync(
            destination=destination,
            tenants=[tenant.tenant_id],
            ids={
                "invoices": invoices,
                "contacts": contacts,
                "credit_notes": credit_notes + unknown,
            },
        )
        assert result.ok, result.errors
        # credit notes have no IDs parameter: ids go in `where` filters OR-ed together, 25
        # GUIDs to a request keeping the query string inside Xero's 2,048 characters
        credit_note_requests = math.ceil(len(credit_notes + unknown) / 25)
        expected = math.ceil(len(invoices) / 50) + 1 + credit_note_requests
        assert tenant_requests(server, tenant) == expected
        assert server.log.count(tenant_id=tenant.tenant_id, route="/CreditNotes") == (
            credit_note_requests
        )
        assert max(len(q) for q in queries) <= 2048
        for table in ("invoices", "credit_notes"):
            refs = query(
                destination, f"select count(*) from xero.{table} where reference = 'targeted'"
            )
            assert refs[0][0] == 2
        lines = query(
            destination,
            "select count(*) from xero.credit_notes__line_items l join xero.credit_notes c"
            " on l._dlt_root_id = c._dlt_id where c.reference = 'targeted'",
        )
        assert lines[0][0] > 0
        assert_matches_truth(destination, sb, only=CORE)


def test_unknown_tenant_suggests_close_names(monkeypatch, sb, tmp_path):
    from pipelines.errors import ConfigurationError

    name = sb.tenants[0].name
    with served(monkeypatch, sb), pytest.raises(ConfigurationError) as error:
        sync(destination=f"duckdb:///{tmp_path / 'w.duckdb'}", tenants=[name.lower()])
    assert repr(name) in str(error.value)


@pytest.mark.slow
def test_new_fields_become_columns_and_forbidden_journals_are_skipped(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    tenant = sb.tenants[0]
    with served(monkeypatch, sb) as server:
        server.faults.add("status", status=403, path="/Journals", count=None)
        result = sync(destination=destination, resources=["contacts", "journals"])
        assert result.ok, result.errors
        assert result.tables[(tenant.tenant_id, "journals")].rows == 0
        contact = next(iter(tenant.collection("Contacts").records()))
        tenant.update("Contacts", contact["ContactID"], {"LoyaltyTier": "Gold"})
        result = sync(destination=destination, resources=["contacts"])
        assert result.ok, result.errors
        rows = query(
            destination,
            "select loyalty_tier from xero.contacts where contact_id = %s",
            contact["ContactID"],
        )
        assert rows == [("Gold",)]
