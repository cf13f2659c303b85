"""The collection table and the typed-field parsing the source applies to Xero JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from pipelines.xero import settings
from pipelines.xero.helpers import convert, parse_date, parse_datetime, root_columns
from pipelines.xero.spec_fields import extract_fields, load_fields

SPEC = Path(__file__).parents[2] / "sandbox" / "openapi" / "xero_accounting.yaml"


def test_thirty_collections_with_unique_names_and_known_strategies():
    assert len(settings.COLLECTIONS) == 30
    assert len({c.name for c in settings.COLLECTIONS}) == 30
    assert len({c.envelope for c in settings.COLLECTIONS}) == 30
    strategies = {c.strategy for c in settings.COLLECTIONS}
    assert strategies == {
        settings.PAGED_IMS,
        settings.UNPAGED_IMS,
        settings.JOURNALS,
        settings.PAGED_CLIENT_FILTER,
        settings.FULL_REFRESH,
    }
    for c in settings.COLLECTIONS:
        if c.strategy in (settings.PAGED_IMS, settings.UNPAGED_IMS, settings.PAGED_CLIENT_FILTER):
            assert c.cursor in ("UpdatedDateUTC", "CreatedDateUTC"), c.name
    assert settings.BY_NAME["bank_transfers"].cursor == "CreatedDateUTC"
    assert settings.BY_NAME["organisation_actions"].path == "/Organisation/Actions"
    assert settings.BY_NAME["journals"].optional


def test_every_collection_has_its_item_schema_in_the_fields_table():
    fields = load_fields()
    for c in settings.COLLECTIONS:
        assert fields["collections"][c.envelope] in fields["schemas"], c.envelope


def test_fields_file_is_what_the_spec_says():
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    assert extract_fields(spec, [c.envelope for c in settings.COLLECTIONS]) == load_fields()


def test_ms_dates_and_timestamps():
    assert parse_datetime("/Date(1573755038314+0000)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC
    )
    assert parse_datetime("/Date(1573755038314)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC
    )
    assert parse_datetime("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert parse_datetime("2019-11-14T18:10:38Z") == datetime(2019, 11, 14, 18, 10, 38, tzinfo=UTC)
    # local midnight with an offset: the calendar date is the local one
    assert parse_date("/Date(1419937200000+1300)/") == date(2014, 12, 31)
    assert parse_date("/Date(1573689600000+0000)/") == date(2019, 11, 14)
    assert parse_date("2019-02-22T00:00:00") == date(2019, 2, 22)
    # not anchored: left alone
    assert parse_date("x/Date(1573689600000)/") == "x/Date(1573689600000)/"


def test_convert_only_touches_spec_fields_and_keeps_money_exact():
    record = {
        "InvoiceID": "i1",
        "Reference": "/Date(1573689600000)/",  # a string field that looks like a date
        "Date": "/Date(1573689600000+0000)/",
        "UpdatedDateUTC": "/Date(1573755038314+0000)/",
        "Total": Decimal("10.10"),
        "AmountDue": 0,
        "Contact": {"ContactID": "c1", "UpdatedDateUTC": "/Date(1573755038314+0000)/"},
        "LineItems": [{"UnitAmount": 3, "LineAmount": Decimal("0.1234")}],
    }
    convert(record, "Invoice")
    assert record["Reference"] == "/Date(1573689600000)/"
    assert record["Date"] == date(2019, 11, 14)
    assert record["UpdatedDateUTC"].tzinfo is not None
    assert record["Total"] == Decimal("10.10")
    assert isinstance(record["AmountDue"], Decimal)
    assert isinstance(record["Contact"]["UpdatedDateUTC"], datetime)
    assert record["LineItems"][0]["UnitAmount"] == Decimal(3)
    assert record["LineItems"][0]["LineAmount"] == Decimal("0.1234")


def test_column_hints_type_dates_timestamps_and_money():
    columns = root_columns("Invoices", "UpdatedDateUTC", "InvoiceID")
    assert columns["date"]["data_type"] == "date"
    assert columns["due_date"]["data_type"] == "date"
    assert columns["updated_date_utc"]["data_type"] == "timestamp"
    assert columns["amount_due"] == {
        "data_type": "decimal",
        "precision": 38,
        "scale": 9,
        "nullable": True,
    }
    assert columns["_deleted_at"]["data_type"] == "timestamp"
    assert columns["invoice_id"]["nullable"] is False


def test_where_support_matches_the_spec():
    import yaml

    paths = yaml.safe_load(SPEC.read_text())["paths"]
    for c in settings.COLLECTIONS:
        names = {p.get("name") or p.get("$ref", "").rsplit("/", 1)[-1]
                 for p in paths[c.path]["get"].get("parameters", [])}  # fmt: skip
        assert c.where == ("where" in names or "whereParameter" in names), c.name
