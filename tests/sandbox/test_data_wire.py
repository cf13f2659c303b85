"""Xero's JSON: MS-JSON dates in both forms, exact decimals, *String siblings, unitdp."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import yaml

from sandbox import spec, wire
from sandbox.model import COLLECTION_NAMES, Sandbox

ANCHOR = date(2026, 10, 31)
MS_DATE = re.compile(rb'"/Date\((\d+)(\+0000)?\)/"')


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    return Sandbox(tenants=2, scale="small", seed=11, anchor=ANCHOR)


def _example_date_forms() -> dict[tuple[str, str], bool]:
    """(collection, top-level field) -> whether the spec's GET examples write its MS-JSON date
    with an offset (the spec read as text, so the forms survive)."""
    with (spec.openapi_dir() / "xero_accounting.yaml").open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    forms = {}
    for operations in document["paths"].values():
        responses = (operations.get("get") or {}).get("responses", {})
        example = responses.get("200", {}).get("content", {}).get("application/json", {})
        for key, records in (example.get("example") or {}).items():
            for record in records if isinstance(records, list) else ():
                for field, value in record.items() if isinstance(record, dict) else ():
                    if isinstance(value, str) and value.startswith("/Date("):
                        forms[(key, field)] = "+" in value
    return forms


def test_dates_take_the_form_of_the_spec_examples(sb):
    forms = _example_date_forms()
    assert forms[("Quotes", "Date")] is False and forms[("Journals", "CreatedDateUTC")] is True
    seen = {True: 0, False: 0}
    for tenant in sb.tenants:
        for name in COLLECTION_NAMES:
            coll = tenant.collection(name)
            for record_id in coll.ids():
                for field, value in json.loads(coll.wire_bytes(record_id)).items():
                    if (name, field) in forms and isinstance(value, str):
                        assert ("+0000" in value) is forms[(name, field)], (name, field, value)
                        seen[forms[(name, field)]] += 1
    assert seen[True] > 100 and seen[False] > 10


def test_date_fields_are_midnight_utc_and_timestamps_keep_milliseconds():
    record = {
        "Date": date(2019, 11, 14),
        "UpdatedDateUTC": datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC),
    }
    data = json.loads(wire.dumps_record("Invoices", record))
    assert data["Date"] == "/Date(1573689600000+0000)/"
    assert data["DateString"] == "2019-11-14T00:00:00"
    assert data["UpdatedDateUTC"] == "/Date(1573755038314+0000)/"
    assert data["UpdatedDateUTCString"] == "2019-11-14T18:10:38Z"
    assert list(data) == ["DateString", "Date", "UpdatedDateUTC", "UpdatedDateUTCString"]
    quote = json.loads(wire.dumps_record("Quotes", record))
    assert quote["Date"] == "/Date(1573689600000)/"
    assert quote["UpdatedDateUTC"] == "/Date(1573755038314)/"


def test_parsing_dates_back():
    assert wire.parse_ms_date("/Date(1573755038314+0000)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC
    )
    assert wire.parse_ms_date("/Date(1573755038314)/") == wire.parse_ms_date(
        "/Date(1573755038314+0000)/"
    )
    assert wire.parse_date("/Date(1573689600000+0000)/") == date(2019, 11, 14)
    assert wire.parse_date("2019-11-14T00:00:00") == date(2019, 11, 14)
    assert wire.parse_datetime("2019-11-14T18:10:38Z") == datetime(
        2019, 11, 14, 18, 10, 38, tzinfo=UTC
    )
    assert wire.parse_ms_date("2019-11-14") is None
    with pytest.raises(ValueError):
        wire.parse_date("14/11/2019")


def test_decimals_are_exact_in_both_directions():
    values = [
        Decimal("0.10"),
        Decimal("1234567890.12"),
        Decimal("-0.01"),
        Decimal("0.000001"),
        Decimal("12.3456"),
        Decimal("1E+2"),
        Decimal("0.0000001"),
    ]
    data = wire.encode({"Values": values})
    assert b"E" not in data and b"e" not in data.lower().replace(b"values", b"")
    assert data == b'{"Values":[0.10,1234567890.12,-0.01,0.000001,12.3456,100,0.0000001]}'
    back = wire.loads(data)["Values"]
    assert all(isinstance(v, Decimal) for v in back[:5])
    assert back == values


def test_every_money_value_round_trips(sb):
    tenant = sb.tenants[0]
    for name in ("Invoices", "Payments", "CreditNotes", "Journals", "BankTransactions"):
        for record in tenant.collection(name).records():
            back = wire.loads(wire.dumps_record(name, record, unitdp=4))
            for key, value in record.items():
                if isinstance(value, Decimal):
                    assert back[key] == value and str(back[key]) == str(value), (name, key)
            for line in record.get("LineItems", ()):
                match = next(x for x in back["LineItems"] if x["LineItemID"] == line["LineItemID"])
                assert match["UnitAmount"] == line["UnitAmount"]
                assert match["LineAmount"] == line["LineAmount"]


def test_unit_amounts_are_rounded_unless_unitdp_4(sb):
    tenant = sb.tenants[0]
    invoices = tenant.collection("Invoices")
    invoice = next(
        i
        for i in invoices.records()
        if any(line["UnitAmount"].as_tuple().exponent == -4 for line in i["LineItems"])
    )
    line = next(x for x in invoice["LineItems"] if x["UnitAmount"].as_tuple().exponent == -4)
    two = wire.loads(invoices.wire_bytes(invoice["InvoiceID"]))
    four = wire.loads(invoices.wire_bytes(invoice["InvoiceID"], unitdp=4))
    two_line = next(x for x in two["LineItems"] if x["LineItemID"] == line["LineItemID"])
    four_line = next(x for x in four["LineItems"] if x["LineItemID"] == line["LineItemID"])
    assert four_line["UnitAmount"] == line["UnitAmount"]
    assert two_line["UnitAmount"] == line["UnitAmount"].quantize(Decimal("0.01"))
    assert two_line["LineAmount"] == four_line["LineAmount"] == line["LineAmount"]
    assert two["Total"] == four["Total"]


def test_envelope_holds_records_and_pagination(sb):
    tenant = sb.tenants[0]
    invoices = tenant.collection("Invoices")
    ids = invoices.ids()[:3]
    body = wire.dumps_envelope(
        "Invoices",
        [invoices.wire_bytes(ids[0]), invoices.get(ids[1]), invoices.wire_bytes(ids[2])],
        pagination={"page": 1, "pageSize": 3, "pageCount": 9, "itemCount": 27},
        now=datetime(2026, 11, 1, tzinfo=UTC),
    )
    data = wire.loads(body)
    assert data["Status"] == "OK" and data["DateTimeUTC"] == "/Date(1793491200000)/"
    assert data["pagination"]["itemCount"] == 27
    assert [r["InvoiceID"] for r in data["Invoices"]] == ids


def test_loads_keeps_integers_and_unicode():
    data = wire.loads('{"Name": "株式会社山田商事", "Quantity": 3, "UnitAmount": 10.5}'.encode())
    assert data == {"Name": "株式会社山田商事", "Quantity": 3, "UnitAmount": Decimal("10.5")}
    assert isinstance(data["UnitAmount"], Decimal)
