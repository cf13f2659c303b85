"""Xero's JSON wire format: records to bytes, request bodies to Python values.

- Dates (x-is-msdate) go out as midnight UTC `/Date(1539993600000+0000)/`; timestamps
  (x-is-msdate-time) as `/Date(1573755038314+0000)/`, or `/Date(1573755038314)/` for the fields
  where the spec's examples leave the offset out (see NO_OFFSET_FIELDS), so clients meet both.
- Money goes out exactly as stored (Decimal, fixed point, never through float).
- The `*String` siblings Xero sends (DateString, DueDateString, UpdatedDateUTCString, ...) are
  added next to their field, and the fields Xero derives from others (see DERIVED_FIELDS).
- Without `unitdp=4`, UnitAmount/UnitPrice are rounded to 2 decimal places, as Xero does,
  except on Quotes, PurchaseOrders and Items, which always carry 4 (see FOUR_DP_UNITS).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
MS = timedelta(milliseconds=1)
CENT = Decimal("0.01")

# envelope key -> fields that carry a `<field>String` sibling (date-only: ISO "T00:00:00";
# timestamps: ISO with "Z")
STRING_SIBLINGS: dict[str, tuple[str, ...]] = {
    "Invoices": ("Date", "DueDate", "UpdatedDateUTC"),
    "CreditNotes": ("Date", "UpdatedDateUTC"),
    "Payments": ("UpdatedDateUTC",),
    "Overpayments": ("Date", "UpdatedDateUTC"),
    "Prepayments": ("Date", "UpdatedDateUTC"),
    "BatchPayments": ("Date",),
    "Quotes": ("Date", "ExpiryDate"),
    "BankTransactions": ("Date",),
    "BankTransfers": ("Date", "CreatedDateUTC"),
    "PurchaseOrders": ("Date", "DeliveryDate", "ExpectedArrivalDate"),
}
# (envelope key, top-level field) written as /Date(ms)/ without the offset, as the spec's
# examples write them
NO_OFFSET_FIELDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("Organisations", "CreatedDateUTC"),
        ("Quotes", "Date"),
        ("Quotes", "ExpiryDate"),
        ("Quotes", "UpdatedDateUTC"),
    }
)
# collections whose unit prices Xero always writes with 4 decimals (no unitdp parameter)
FOUR_DP_UNITS = frozenset({"Quotes", "PurchaseOrders", "Items"})
# fields Xero sends that repeat another one: envelope key -> (field, the field it copies)
ID_COPIES: dict[str, tuple[str, str]] = {
    "CreditNotes": ("ID", "CreditNoteID"),
    "Overpayments": ("ID", "OverpaymentID"),
    "Prepayments": ("ID", "PrepaymentID"),
    "Receipts": ("ID", "ReceiptID"),
}
# fields Xero always sends with the same value, unless the record holds its own
DERIVED_FIELDS: dict[str, dict[str, Any]] = {
    "PurchaseOrders": {"Type": "PURCHASEORDER", "HasErrors": False, "IsDiscounted": False},
    "ContactGroups": {"HasValidationErrors": False},
    "Budgets": {"Status": "ACTIVE"},
}
NO_OFFSET_BY_COLLECTION: dict[str, tuple[str, ...]] = {}
for _collection, _field in sorted(NO_OFFSET_FIELDS):
    NO_OFFSET_BY_COLLECTION[_collection] = (*NO_OFFSET_BY_COLLECTION.get(_collection, ()), _field)
UNIT_FIELDS = ("UnitAmount", "UnitPrice")
UNIT4 = Decimal("0.0001")
LINE_FIELDS = ("LineItems",)
DETAIL_FIELDS = ("SalesDetails", "PurchaseDetails")

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


# -- dates -------------------------------------------------------------------------------------
def date_millis(value: date) -> int:
    return (value.toordinal() - EPOCH_ORDINAL) * 86_400_000


def datetime_millis(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // MS


def ms_date(value: date | datetime, *, offset: bool = True) -> str:
    millis = datetime_millis(value) if isinstance(value, datetime) else date_millis(value)
    return f"/Date({millis}+0000)/" if offset else f"/Date({millis})/"


def iso_string(value: date | datetime) -> str:
    """The `*String` sibling: dates as 2018-10-20T00:00:00, timestamps as 2018-11-02T16:31:30Z."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strftime("%Y-%m-%dT00:00:00")


def parse_ms_date(text: str) -> datetime | None:
    """`/Date(1573755038314+0000)/` or `/Date(1573755038314)/` -> aware UTC datetime."""
    match = _MS_DATE.match(text)
    if not match:
        return None
    return EPOCH + timedelta(milliseconds=int(match.group(1)))


def parse_date(value: Any) -> date | None:
    """A request's date: date, datetime, MS-JSON or ISO string -> date (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    parsed = parse_ms_date(text)
    if parsed is not None:
        return parsed.date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None


def parse_datetime(value: Any) -> datetime | None:
    """A request's timestamp -> aware UTC datetime (naive values are taken as UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    parsed = parse_ms_date(text)
    if parsed is not None:
        return parsed
    try:
        result = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    return result if result.tzinfo else result.replace(tzinfo=UTC)


def parse_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"not a number: {value!r}") from None


# -- encoding ----------------------------------------------------------------------------------
def _decimal_mark(value: Decimal) -> str:
    text = str(value)
    if "E" in text:
        text = f"{value:f}"
    return f"\x00{text}\x00"


_DEFAULTS = {
    Decimal: _decimal_mark,
    datetime: lambda value: f"/Date({datetime_millis(value)}+0000)/",
    date: lambda value: f"/Date({date_millis(value)}+0000)/",
    uuid.UUID: str,
}


def _default(value: Any) -> Any:
    encoder = _DEFAULTS.get(type(value))
    if encoder is None:
        for kind, candidate in _DEFAULTS.items():
            if isinstance(value, kind):
                return candidate(value)
        raise TypeError(f"cannot encode {type(value).__name__} as Xero JSON")
    return encoder(value)


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)


def _finish(text: str) -> bytes:
    # numbers were written as "\u0000<digits>\u0000" strings: drop the quotes and marks
    return text.replace('"\\u0000', "").replace('\\u0000"', "").encode("utf-8")


def encode(value: Any) -> bytes:
    """Any structure of dict/list/str/int/bool/None/Decimal/date/datetime as Xero JSON bytes."""
    return _finish(_encoder.encode(value))


def _round_units(container: dict, places: Decimal = CENT) -> dict:
    copy = dict(container)
    for field in UNIT_FIELDS:
        amount = copy.get(field)
        if isinstance(amount, Decimal) and (places == UNIT4 or amount.as_tuple().exponent < -2):
            copy[field] = amount.quantize(places, rounding=ROUND_HALF_UP)
    return copy


def _with_units(record: dict, places: Decimal) -> dict:
    out = dict(record)
    for key in LINE_FIELDS:
        if out.get(key):
            out[key] = [_round_units(line, places) for line in out[key]]
    for key in DETAIL_FIELDS:
        if out.get(key):
            out[key] = _round_units(out[key], places)
    return out


def _with_derived(collection: str, record: dict) -> dict:
    copy = ID_COPIES.get(collection)
    constants = DERIVED_FIELDS.get(collection)
    if copy is None and constants is None:
        return record
    out = {**(constants or {}), **record}
    if copy is not None and record.get(copy[1]):
        out[copy[0]] = record[copy[1]]
    return out


def wire_shape(collection: str, record: dict, *, unitdp: int | None = None) -> dict:
    """The record as Xero sends it, before encoding: derived fields, *String siblings, the
    date form of each top-level timestamp, unit prices at 2 decimals unless unitdp=4 (at 4 on
    the collections of FOUR_DP_UNITS)."""
    record = _with_derived(collection, record)
    if collection in FOUR_DP_UNITS:
        record = _with_units(record, UNIT4)
    elif unitdp != 4 and has_fine_units(collection, record):
        record = _with_units(record, CENT)
    siblings = STRING_SIBLINGS.get(collection, ())
    no_offset = NO_OFFSET_BY_COLLECTION.get(collection, ())
    if not (siblings or no_offset):
        return record
    if siblings:
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key in siblings and value is not None:
                if isinstance(value, datetime):
                    out[key] = value
                    out[key + "String"] = iso_string(value)
                    continue
                out[key + "String"] = iso_string(value)
            out[key] = value
    else:
        out = dict(record)
    for key in no_offset:
        value = out.get(key)
        if isinstance(value, date):
            out[key] = ms_date(value, offset=False)
    return out


def dumps_record(collection: str, record: dict, *, unitdp: int | None = None) -> bytes:
    """One record of `collection` (envelope key) as Xero JSON bytes."""
    return encode(wire_shape(collection, record, unitdp=unitdp))


def dumps_envelope(
    collection: str,
    records: list[dict | bytes],
    *,
    unitdp: int | None = None,
    pagination: dict | None = None,
    now: datetime | None = None,
    response_id: str | None = None,
) -> bytes:
    """`{"Id":..,"Status":"OK","ProviderName":..,"DateTimeUTC":..,[pagination,]<collection>:[..]}`.

    `records` may mix dicts and bytes already produced by dumps_record (or
    Collection.wire_bytes); bytes are copied in as they are.
    """
    now = now or datetime.now(UTC)
    head = {
        "Id": response_id or str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": "Xero Sandbox",
        "DateTimeUTC": ms_date(now, offset=False),
    }
    if pagination is not None:
        head["pagination"] = pagination
    parts = [
        item if isinstance(item, bytes) else dumps_record(collection, item, unitdp=unitdp)
        for item in records
    ]
    prefix = encode(head)[:-1]
    key = json.dumps(collection).encode("utf-8")
    return prefix + b"," + key + b":[" + b",".join(parts) + b"]}"


# -- decoding ----------------------------------------------------------------------------------
def loads(body: bytes | str) -> Any:
    """Parse a JSON request/response body; numbers with a fraction become Decimal."""
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8-sig")
    return json.loads(body, parse_float=Decimal)


# -- records back from their wire form -----------------------------------------------------------
# x-is-msdate and x-is-msdate-time property names across the spec (no name is both)
DATE_FIELDS = frozenset(
    {
        "Date",
        "DeliveryDate",
        "DueDate",
        "EndDate",
        "EndOfYearLockDate",
        "ExpectedArrivalDate",
        "ExpectedPaymentDate",
        "ExpiryDate",
        "FullyPaidOnDate",
        "JournalDate",
        "NextScheduledDate",
        "PaymentDueDate",
        "Period",
        "PeriodLockDate",
        "PlannedPaymentDate",
        "ReportingDate",
        "StartDate",
    }
)
DATETIME_FIELDS = frozenset({"CreatedDateUTC", "DateUTC", "UpdatedDateUTC"})
SIBLING_KEYS = frozenset(
    f"{field}String" for fields in STRING_SIBLINGS.values() for field in fields
)
EPOCH_DATE = date(1970, 1, 1)


def _restore(obj: dict) -> dict:
    for key in SIBLING_KEYS.intersection(obj):
        del obj[key]
    for key in DATE_FIELDS.intersection(obj):
        value = obj[key]
        if type(value) is str:
            match = _MS_DATE.match(value)
            if match:
                obj[key] = EPOCH_DATE + timedelta(days=int(match.group(1)) // 86_400_000)
    for key in DATETIME_FIELDS.intersection(obj):
        value = obj[key]
        if type(value) is str:
            match = _MS_DATE.match(value)
            if match:
                obj[key] = EPOCH + timedelta(milliseconds=int(match.group(1)))
    return obj


_decoder = json.JSONDecoder(parse_float=Decimal, object_hook=_restore)


def loads_record(data: bytes) -> dict:
    """A record from dumps_record(..., unitdp=4) back to Python values: Decimal, date, aware
    datetime, without the *String siblings."""
    return _decoder.decode(data.decode("utf-8"))


def has_fine_units(collection: str, record: dict) -> bool:
    """Whether a unit amount has more than 2 decimals (then unitdp=4 changes the wire form)."""
    if collection in FOUR_DP_UNITS:
        return False
    for line in record.get("LineItems") or ():
        amount = line.get("UnitAmount")
        if isinstance(amount, Decimal) and amount.as_tuple().exponent < -2:
            return True
    for key in DETAIL_FIELDS:
        amount = (record.get(key) or {}).get("UnitPrice")
        if isinstance(amount, Decimal) and amount.as_tuple().exponent < -2:
            return True
    return False
