"""The Accounting API (/api.xro/2.0) over the sandbox model: Xero's envelopes, paging,
If-Modified-Since, `where`/`order`, the explicit filters, Journals by offset, by-id reads and
the writes tests and demos need.

List responses are assembled from each record's cached wire bytes; the ordered id list of a
query is cached per collection version, so paging a large collection costs a slice and a join.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
import uuid
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

from sandbox import spec
from sandbox.spec import Endpoint
from sandbox.wire import CENT, ms_date, parse_date

PROVIDER_NAME = "Xero Sandbox"
_CACHED_QUERIES = 8
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


class ApiError(Exception):
    """An error answer: status and a JSON-able body."""

    def __init__(self, status: int, body: dict | None, headers: dict | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def validation_error(*messages: str, element: dict | None = None) -> ApiError:
    item = dict(element or {})
    item["ValidationErrors"] = [{"Message": m} for m in messages]
    return ApiError(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [item],
        },
    )


def not_found() -> ApiError:
    """Xero's 404: its body is a line of plain text (see app.NOT_FOUND_TEXT)."""
    return ApiError(404, None)


# -- query parsing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    since: datetime | None = None
    page: int | None = None
    page_size: int = spec.DEFAULT_PAGE_SIZE
    where: str | None = None
    order: str | None = None
    include_archived: bool = False
    include_deleted: bool = False
    summary_only: bool = False
    unitdp: int | None = None
    offset: int | None = None
    search: str | None = None
    filters: tuple[tuple[str, str], ...] = ()

    def selection(self) -> tuple:
        """What decides the ordered id list (everything but paging and rendering)."""
        return (
            self.since,
            self.where,
            self.order,
            self.include_archived,
            self.include_deleted,
            self.search,
            self.filters,
            self.offset is not None,
        )


def parse_if_modified_since(value: str | None) -> datetime | None:
    """RFC 1123 (`Tue, 01 Oct 2024 10:00:00 GMT`) or ISO 8601; naive means UTC."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            raise validation_error(f"If-Modified-Since header is not a date: {value}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _int(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise validation_error(f"{name} must be an integer") from None


def parse_query(endpoint: Endpoint, params: dict[str, str], headers) -> Query:
    p = {k.lower(): v for k, v in params.items()}
    page = _int("page", p.get("page")) if endpoint.page else None
    page_size = spec.DEFAULT_PAGE_SIZE
    if endpoint.page_size and p.get("pagesize"):
        page_size = _int("pageSize", p.get("pagesize"))
        if page_size < 1 or page_size > spec.MAX_PAGE_SIZE:
            raise validation_error(
                f"pageSize must be between 1 and {spec.MAX_PAGE_SIZE}; {page_size} was given"
            )
        page = page or 1
    if page is not None and page < 1:
        page = 1
    unitdp = _int("unitdp", p.get("unitdp")) if endpoint.unitdp else None
    filters = tuple(
        sorted(
            (name, value)
            for name, value in p.items()
            if name in spec.FILTERS.get(endpoint.key, {}) and value != ""
        )
    )
    return Query(
        since=parse_if_modified_since(headers.get("if-modified-since")) if endpoint.ims else None,
        page=page,
        page_size=page_size,
        where=(p.get("where") or None) if endpoint.where else None,
        order=(p.get("order") or None) if endpoint.order else None,
        include_archived=_flag(p.get("includearchived")),
        include_deleted=_flag(p.get("includedeleted")),
        summary_only=_flag(p.get("summaryonly")) and endpoint.key in spec.SUMMARY_DROPS,
        unitdp=unitdp,
        offset=_int("offset", p.get("offset")) if endpoint.key == "Journals" else None,
        search=p.get("searchterm") or None if endpoint.key in spec.SEARCH_FIELDS else None,
        filters=filters,
    )


# -- where expressions ----------------------------------------------------------------------------
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|>=|<=|&&|\|\||[<>()!,.=])'
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_MISSING = object()


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise validation_error(f"The where clause could not be parsed near: {text[pos:]}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "op" and value == "=":
            value = "=="
        if kind == "name" and value.upper() in ("AND", "OR"):
            kind, value = "op", "&&" if value.upper() == "AND" else "||"
        out.append((kind, value))
        pos = match.end()
    return out


def field_value(record: dict, path: str):
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class _Parser:
    """Recursive descent over Xero's filter expressions; builds a predicate on records."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def fail(self):
        raise validation_error(f"The where clause could not be parsed: {self.text}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            self.fail()
        self.pos += 1
        return token

    def parse(self):
        predicate = self.or_()
        if self.peek() is not None:
            self.fail()
        return predicate

    def or_(self):
        parts = [self.and_()]
        while self.peek() == ("op", "||"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_(self):
        parts = [self.unary()]
        while self.peek() == ("op", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            inner = self.unary()
            return lambda r: not inner(r)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.or_()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self):
        kind, name = self.take()
        if kind != "name":
            self.fail()
        path = [name]
        method = None
        while self.peek() == ("op", "."):
            self.take()
            kind, part = self.take()
            if kind != "name":
                self.fail()
            if part in ("Contains", "StartsWith", "EndsWith", "ToLower", "ToUpper"):
                method = part
                break
            path.append(part)
        field = ".".join(path)
        if method in ("Contains", "StartsWith", "EndsWith"):
            self.take("(")
            needle = self.value()
            self.take(")")
            return _string_method(field, method, needle)
        if method in ("ToLower", "ToUpper"):
            self.take("(")
            self.take(")")
        token = self.peek()
        if token is None or token[1] not in ("==", "!=", ">=", "<=", ">", "<"):
            return lambda r: field_value(r, field) is True
        op = self.take()[1]
        expected = self.value()
        fold = method is not None
        return lambda r: _compare(field_value(r, field), op, expected, fold)

    def value(self):
        kind, text = self.take()
        if kind == "str":
            return json.loads(text)
        if kind == "num":
            return Decimal(text)
        if kind != "name":
            self.fail()
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if lowered == "guid":
            self.take("(")
            inner = self.value()
            self.take(")")
            return str(inner).lower()
        if lowered == "datetime":
            if self.peek() == ("op", "."):  # DateTime.Parse("2024-01-01")
                self.take(".")
                self.take()
                self.take("(")
                inner = self.value()
                self.take(")")
                return datetime.fromisoformat(str(inner))
            self.take("(")
            numbers = [int(self.take()[1])]
            while self.peek() == ("op", ","):
                self.take()
                numbers.append(int(self.take()[1]))
            self.take(")")
            try:
                return datetime(*numbers)
            except (TypeError, ValueError):
                self.fail()
        self.fail()


def _string_method(field: str, method: str, needle):
    needle = str(needle).lower()

    def check(record):
        value = field_value(record, field)
        if not isinstance(value, str):
            return False
        value = value.lower()
        if method == "Contains":
            return needle in value
        if method == "StartsWith":
            return value.startswith(needle)
        return value.endswith(needle)

    return check


def _coerce(actual, expected):
    """Bring the expression's literal to the type of the record's value."""
    if isinstance(expected, datetime):
        if isinstance(actual, datetime):
            return expected.replace(tzinfo=UTC) if expected.tzinfo is None else expected
        if isinstance(actual, date):
            return expected.date()
    if (
        isinstance(expected, Decimal)
        and isinstance(actual, (int, float))
        and not isinstance(actual, bool)
    ):
        return expected
    if isinstance(actual, str) and expected is not None and not isinstance(expected, str):
        return str(expected)
    return expected


def _compare(actual, op: str, expected, fold: bool = False) -> bool:
    expected = _coerce(actual, expected)
    if (
        isinstance(actual, str)
        and isinstance(expected, str)
        and (fold or len(expected) == 36 and expected.count("-") == 4)
    ):
        actual, expected = actual.lower(), expected.lower()
    if op == "==":
        return actual == expected
    if op == "!=":
        return actual != expected
    if actual is None or expected is None:
        return False
    try:
        if op == ">=":
            return actual >= expected
        if op == "<=":
            return actual <= expected
        if op == ">":
            return actual > expected
        return actual < expected
    except TypeError:
        return False


def compile_where(text: str):
    return _Parser(text).parse()


_ORDER_TERM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_.]*)\s*(ASC|DESC)?\s*$", re.IGNORECASE)


def parse_order(text: str) -> list[tuple[str, bool]]:
    terms = []
    for part in text.split(","):
        match = _ORDER_TERM.match(part)
        if not match:
            raise validation_error(f"The order clause could not be parsed: {text}")
        terms.append((match.group(1), (match.group(2) or "ASC").upper() == "DESC"))
    return terms


class _SortKey:
    """Orders any mix of values (None first) without comparing unlike types."""

    __slots__ = ("value",)

    def __init__(self, value):
        if isinstance(value, str):
            value = value.lower()
        self.value = value

    def __lt__(self, other):
        a, b = self.value, other.value
        if a is None or b is None:
            return a is None and b is not None
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)

    def __eq__(self, other):
        return self.value == other.value


# -- per-collection views -------------------------------------------------------------------------
class Views:
    """Cached id lists and rendered variants per (tenant, collection), kept current by the
    model's change listener."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self._versions: dict[tuple[str, str], int] = defaultdict(int)
        self._queries: dict[tuple[str, str], OrderedDict] = defaultdict(OrderedDict)
        self._variants: dict[tuple[str, str, str], dict[tuple, bytes]] = {}
        self.journal_numbers: dict[str, dict[str, int]] = defaultdict(dict)
        self._lock = threading.Lock()
        sandbox.add_change_listener(self.changed)

    def changed(self, tenant_id: str, collection: str, record_id: str, event: str = "") -> None:
        with self._lock:
            self._versions[(tenant_id, collection)] += 1
            self._variants.pop((tenant_id, collection, record_id), None)

    def version(self, tenant, name: str) -> tuple[int, int]:
        return (self._versions[(tenant.tenant_id, name)], len(tenant.collection(name)))

    def cached(self, tenant, name: str, key: tuple, build):
        version = self.version(tenant, name)
        queries = self._queries[(tenant.tenant_id, name)]
        hit = queries.get(key)
        if hit is not None and hit[0] == version:
            queries.move_to_end(key)
            return hit[1]
        value = build()
        queries[key] = (version, value)
        queries.move_to_end(key)
        while len(queries) > _CACHED_QUERIES:
            queries.popitem(last=False)
        return value

    def variant_bytes(self, tenant, name: str, record_id: str, variant: tuple, render) -> bytes:
        per_record = self._variants.get((tenant.tenant_id, name, record_id))
        data = per_record.get(variant) if per_record else None
        if data is None:
            data = render()
            with self._lock:
                self._variants.setdefault((tenant.tenant_id, name, record_id), {})[variant] = data
        return data


# -- the API --------------------------------------------------------------------------------------
def dumps_any(value) -> bytes:
    """Xero JSON for a value that is not a whole collection record (allocations, control
    answers): exact decimals, MS-JSON dates."""
    from sandbox import wire

    return wire.encode(value)


class AccountingApi:
    """Answers Accounting API requests for one sandbox. Methods return (status, body bytes)."""

    def __init__(self, sandbox):
        from sandbox import wire

        self.sandbox = sandbox
        self.wire = wire
        self.views = Views(sandbox)

    # -- envelopes ------------------------------------------------------------------------------
    def envelope(
        self,
        endpoint: Endpoint | str,
        parts: list[bytes],
        pagination: dict | None = None,
    ) -> bytes:
        key = endpoint.key if isinstance(endpoint, Endpoint) else endpoint
        head = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": PROVIDER_NAME,
            "DateTimeUTC": ms_date(self.sandbox.clock.now(), offset=False),
        }
        if pagination is not None:
            head["pagination"] = pagination
        prefix = json.dumps(head, separators=(",", ":"))[:-1].encode()
        return b"".join((prefix, b',"', key.encode(), b'":[', b",".join(parts), b"]}"))

    # -- reads ----------------------------------------------------------------------------------
    def list(self, tenant, endpoint: Endpoint, params: dict, headers) -> bytes:
        query = parse_query(endpoint, params, headers)
        ids = self.select_ids(tenant, endpoint, query)
        pagination = None
        lines = True
        if endpoint.key == "Journals":
            ids = ids[: spec.JOURNALS_PER_CALL]
        elif endpoint.page and (query.page is not None or endpoint.first_page_only):
            size = query.page_size if endpoint.page_size else spec.DEFAULT_PAGE_SIZE
            page = query.page or 1
            total = len(ids)
            ids = ids[(page - 1) * size : page * size]
            if endpoint.pagination:
                pagination = {
                    "page": page,
                    "pageSize": size,
                    "pageCount": -(-total // size),
                    "itemCount": total,
                }
        else:  # without `page`, Xero leaves the line items out
            lines = False
            if endpoint.pagination:
                pagination = {
                    "page": 1,
                    "pageSize": len(ids),
                    "pageCount": 1 if ids else 0,
                    "itemCount": len(ids),
                }
        parts = self.render(tenant, endpoint, ids, query, lines=lines)
        return self.envelope(endpoint, parts, pagination)

    def get_one(self, tenant, endpoint: Endpoint, record_id: str, params: dict) -> bytes:
        query = parse_query(endpoint, params, {})
        found = self.resolve_id(tenant, endpoint, record_id)
        if found is None:
            raise not_found()
        if endpoint.key in spec.EXPANDED_BY_ID:
            return self.envelope(endpoint, [self._expanded(tenant, endpoint, found, query)])
        single = endpoint.key == "Journals"
        return self.envelope(
            endpoint,
            self.render(tenant, endpoint, [found], query, single=single),
        )

    def _expanded(self, tenant, endpoint: Endpoint, record_id: str, query: Query) -> bytes:
        """A by-id record with its nested references expanded to whole records and
        `ValidationErrors` on its lines, as Xero's by-id answers show them."""
        unitdp = 4 if query.unitdp == 4 else None
        record = tenant.collection(endpoint.key).get(record_id) or {}
        for field, collection in spec.EXPANDED_BY_ID[endpoint.key]:
            key = spec.BY_KEY[collection].primary_key
            nested_id = (record.get(field) or {}).get(key)
            nested = tenant.collection(collection).get(nested_id) if nested_id else None
            if nested is not None:
                record[field] = self.wire.wire_shape(collection, nested, unitdp=unitdp)
        return self.wire.dumps_record(endpoint.key, with_line_errors(record), unitdp=unitdp)

    def resolve_id(self, tenant, endpoint: Endpoint, record_id: str) -> str | None:
        collection = tenant.collection(endpoint.key)
        if collection.get(record_id) is not None:
            return record_id.lower() if _is_guid(record_id) else record_id
        if endpoint.alt_key:
            index = self.views.cached(
                tenant,
                endpoint.key,
                ("alt-index",),
                lambda: {
                    str(field_value(r, endpoint.alt_key)): r[endpoint.primary_key]
                    for r in collection.records()
                    if field_value(r, endpoint.alt_key) is not None
                },
            )
            return index.get(record_id)
        return None

    def select_ids(self, tenant, endpoint: Endpoint, query: Query) -> list[str]:
        build = lambda: self._build_ids(tenant, endpoint, query)  # noqa: E731
        ids = self.views.cached(tenant, endpoint.key, query.selection(), build)
        if endpoint.key == "Journals" and query.offset is not None:
            numbers = self._journal_numbers(tenant)
            keys = self.views.cached(
                tenant,
                "Journals",
                ("numbers", *query.selection()),
                lambda: [numbers[rid] for rid in ids],
            )
            start = bisect.bisect_right(keys, query.offset)
            return ids[start : start + spec.JOURNALS_PER_CALL]
        return ids

    def _journal_numbers(self, tenant) -> dict[str, int]:
        """JournalID -> JournalNumber; journals are append-only, so only new ids are read."""
        collection = tenant.collection("Journals")
        numbers = self.views.journal_numbers[tenant.tenant_id]
        if len(numbers) != len(collection):
            for rid in set(collection.ids()) - numbers.keys():
                record = collection.get(rid)
                if record is not None:
                    numbers[rid] = int(record["JournalNumber"])
        return numbers

    def _build_ids(self, tenant, endpoint: Endpoint, query: Query) -> list[str]:
        collection = tenant.collection(endpoint.key)
        ids = collection.ids(query.since)
        if endpoint.key == "Journals":
            numbers = self._journal_numbers(tenant)
            ids = sorted(ids, key=numbers.__getitem__)
        predicates = self._predicates(endpoint, query)
        order = parse_order(query.order) if query.order else []
        natural = _natural_order(collection, order)
        if not predicates and natural is not None:
            return ids if not natural else ids[::-1]
        records = [collection.get(rid) for rid in ids]
        records = [r for r in records if r is not None and all(p(r) for p in predicates)]
        if order and natural is None:
            for field, descending in reversed(order):
                records.sort(key=lambda r, f=field: _SortKey(field_value(r, f)), reverse=descending)
        elif natural:
            records.reverse()
        pk = endpoint.primary_key
        return [str(r[pk]) if pk else "Settings" for r in records]

    def _predicates(self, endpoint: Endpoint, query: Query) -> list:
        predicates = []
        if endpoint.archived and not query.include_archived:
            field, value = endpoint.archived
            predicates.append(lambda r: r.get(field) != value)
        if endpoint.deleted and not query.include_deleted:
            field, value = endpoint.deleted
            predicates.append(lambda r: r.get(field) != value)
        if query.where:
            predicates.append(compile_where(query.where))
        table = spec.FILTERS.get(endpoint.key, {})
        for name, raw in query.filters:
            path, how = table[name]
            predicates.append(_filter(path, how, raw))
        if query.search:
            needle = query.search.lower()
            fields = spec.SEARCH_FIELDS[endpoint.key]
            predicates.append(lambda r: any(needle in str(r.get(f) or "").lower() for f in fields))
        return predicates

    def render(
        self,
        tenant,
        endpoint: Endpoint,
        ids: list[str],
        query: Query,
        *,
        lines: bool = True,
        single: bool = False,
    ) -> list[bytes]:
        parts = self._render_stored(tenant, endpoint, ids, query, lines=lines, single=single)
        if endpoint.key != "Contacts" or query.summary_only:
            return parts
        balances = self.views.cached(
            tenant,
            "Invoices",
            ("balances", self.sandbox.clock.now().date()),
            lambda: contact_balances(tenant, self.sandbox.clock.now().date()),
        )
        return [
            with_balances(part, balances.get(rid)) for rid, part in zip(ids, parts, strict=True)
        ]

    def _render_stored(
        self,
        tenant,
        endpoint: Endpoint,
        ids: list[str],
        query: Query,
        *,
        lines: bool,
        single: bool,
    ) -> list[bytes]:
        collection = tenant.collection(endpoint.key)
        unitdp = 4 if query.unitdp == 4 else None
        drops: tuple[str, ...] = ()
        if not lines:
            drops += endpoint.lines
        if query.summary_only:
            drops += spec.SUMMARY_DROPS[endpoint.key]
        if single:
            drops += ("SourceID", "SourceType")
        if not drops:
            return [collection.wire_bytes(rid, unitdp) for rid in ids]
        variant = (drops, unitdp)

        def renderer(rid):
            def render_one():
                record = collection.get(rid) or {}
                for name in drops:
                    record.pop(name, None)
                return self.wire.dumps_record(endpoint.key, record, unitdp=unitdp)

            return render_one

        return [
            self.views.variant_bytes(tenant, endpoint.key, rid, variant, renderer(rid))
            for rid in ids
        ]

    # -- writes ---------------------------------------------------------------------------------
    def write(
        self,
        tenant,
        method: str,
        endpoint: Endpoint,
        record_id: str | None,
        body: bytes,
        params: dict | None = None,
    ) -> tuple[int, bytes]:
        """PUT/POST of one or many records. With summarizeErrors=false, 200 with every element:
        the written ones and, in their place, the refused ones with their ValidationErrors."""
        from sandbox.model import RecordNotFoundError, SandboxValidationError

        query = {k.lower(): v for k, v in (params or {}).items()}
        summarize = query.get("summarizeerrors", "").strip().lower() != "false"
        unitdp = _int("unitdp", query.get("unitdp")) if endpoint.unitdp else None
        parts = []
        for item in self._items(endpoint, body):
            try:
                rounded = _unit_amounts_rounded(item, unitdp)
                record = self._write_one(tenant, method, endpoint, record_id, rounded)
            except SandboxValidationError as exc:
                if summarize:
                    raise validation_error(
                        *exc.messages, element=_element(endpoint, item)
                    ) from None
                parts.append(self.wire.encode(_element(endpoint, item, exc.messages)))
                continue
            except RecordNotFoundError:
                raise not_found() from None
            parts.append(self._written(tenant, endpoint, record, unitdp))
        return 200, self.envelope(endpoint, parts)

    def _written(self, tenant, endpoint: Endpoint, record: dict, unitdp: int | None) -> bytes:
        """A written record as the write's answer shows it (unitdp honoured, and Xero's
        StatusAttributeString where it sends one)."""
        record_id = str(record.get(endpoint.primary_key, ""))
        self._touch(tenant, endpoint.key, [record_id])
        stored = with_line_errors(tenant.collection(endpoint.key).get(record_id) or record)
        if endpoint.key in spec.STATUS_ATTRIBUTE:
            stored["StatusAttributeString"] = "OK"
        return self.wire.dumps_record(endpoint.key, stored, unitdp=4 if unitdp == 4 else None)

    def _items(self, endpoint: Endpoint, body: bytes) -> list[dict]:
        try:
            payload = self.wire.loads(body) if body else {}
        except ValueError:
            raise validation_error("The request body is not valid JSON") from None
        if isinstance(payload, dict) and isinstance(payload.get(endpoint.key), list):
            items = payload[endpoint.key]
        elif isinstance(payload, list):
            items = payload
        elif isinstance(payload, dict):
            items = [payload]
        else:
            items = []
        if not items or not all(isinstance(i, dict) for i in items):
            raise validation_error(f"The request must contain {endpoint.key}")
        return items

    def _write_one(
        self, tenant, method: str, endpoint: Endpoint, record_id: str | None, item: dict
    ) -> dict:
        key, pk = endpoint.key, endpoint.primary_key
        target = record_id or (item.get(pk) if method == "POST" else None)
        if not target:
            return tenant.create(key, item)
        target = self.resolve_id(tenant, endpoint, str(target))
        if target is None:
            raise not_found()
        changes = {k: v for k, v in item.items() if k != pk}
        status = changes.get("ContactStatus" if key == "Contacts" else "Status")
        if status == "ARCHIVED" and len(changes) == 1:
            return tenant.archive(key, target)
        if status == "VOIDED" and len(changes) == 1:
            return tenant.void(key, target)
        if status == "DELETED" and len(changes) == 1:
            deleted = tenant.delete(key, target)
            return deleted if deleted is not None else {pk: target}
        return tenant.update(key, target, changes)

    def delete(self, tenant, endpoint: Endpoint, record_id: str) -> tuple[int, bytes]:
        from sandbox.model import RecordNotFoundError, SandboxValidationError

        target = self.resolve_id(tenant, endpoint, record_id)
        if target is None:
            raise not_found()
        before = tenant.collection(endpoint.key).get(target)
        try:
            result = tenant.delete(endpoint.key, target)
        except SandboxValidationError as exc:
            raise validation_error(*exc.messages) from None
        except RecordNotFoundError:
            raise not_found() from None
        self._touch(tenant, endpoint.key, [target])
        if endpoint.key in ("Items", "LinkedTransactions"):
            return 204, b""
        record = result if result is not None else dict(before or {}, Status="DELETED")
        return 200, self.envelope(endpoint, [self.wire.dumps_record(endpoint.key, record)])

    def allocate(
        self, tenant, endpoint: Endpoint, record_id: str, body: bytes
    ) -> tuple[int, bytes]:
        from sandbox.model import RecordNotFoundError, SandboxValidationError

        target = self.resolve_id(tenant, endpoint, record_id)
        if target is None:
            raise not_found()
        items = self._items(spec.Endpoint("Allocations", "", None, ""), body)
        allocations = []
        try:
            for item in items:
                invoice_id = (item.get("Invoice") or {}).get("InvoiceID")
                if not invoice_id:
                    raise validation_error("Invoice is required for an allocation")
                try:
                    amount = Decimal(str(item.get("Amount")))
                except (InvalidOperation, ValueError):
                    raise validation_error("Amount must be a number") from None
                day = _as_date(item.get("Date")) or self.sandbox.clock.now().date()
                allocations.append(tenant.allocate(endpoint.key, target, invoice_id, amount, day))
        except SandboxValidationError as exc:
            raise validation_error(*exc.messages) from None
        except RecordNotFoundError:
            raise not_found() from None
        self._touch(tenant, endpoint.key, [target])
        return 200, self.envelope("Allocations", [dumps_any(a) for a in allocations])

    def _touch(self, tenant, name: str, ids: list[str]) -> None:
        for rid in ids:
            self.views.changed(tenant.tenant_id, name, rid)


def with_line_errors(record: dict) -> dict:
    """Xero's by-id and write answers give each line an empty `ValidationErrors`."""
    for line in record.get("LineItems") or ():
        line.setdefault("ValidationErrors", [])
    return record


_OPEN_SIDES = {"ACCREC": "AccountsReceivable", "ACCPAY": "AccountsPayable"}


def contact_balances(tenant, today: date) -> dict[str, dict]:
    """ContactID -> Xero's contact `Balances`: what its AUTHORISED invoices and bills still
    owe (Outstanding) and the part past its due date (Overdue), in the base currency."""
    sums: dict[str, dict[str, list[Decimal]]] = {}
    for invoice in tenant.collection("Invoices").records():
        side = _OPEN_SIDES.get(invoice["Type"])
        if side is None or invoice["Status"] != "AUTHORISED" or invoice["AmountDue"] <= 0:
            continue
        contact = sums.setdefault(
            invoice["Contact"]["ContactID"],
            {s: [Decimal(0), Decimal(0)] for s in _OPEN_SIDES.values()},
        )
        rate = invoice.get("CurrencyRate") or Decimal(1)
        due = invoice["AmountDue"] / rate
        contact[side][0] += due
        if (invoice.get("DueDate") or invoice["Date"]) < today:
            contact[side][1] += due
    cent = Decimal("0.01")
    return {
        contact_id: {
            side: {"Outstanding": owed.quantize(cent), "Overdue": overdue.quantize(cent)}
            for side, (owed, overdue) in sides.items()
        }
        for contact_id, sides in sums.items()
    }


def with_balances(part: bytes, balances: dict | None) -> bytes:
    """A contact's wire bytes with its `Balances` added (none: the bytes as they are)."""
    if balances is None:
        return part
    return part[:-1] + b',"Balances":' + dumps_any(balances) + b"}"


def _natural_order(collection, order: list[tuple[str, bool]]) -> bool | None:
    """None: a real sort is needed; False: the stored order; True: the stored order reversed."""
    if not order:
        return False
    if len(order) == 1 and order[0][0] == collection.timestamp_field:
        return order[0][1]
    return None


def _filter(path: str, how: str, raw: str):
    if how == "csv":
        wanted = {v.strip().lower() for v in raw.split(",") if v.strip()}
        return lambda r: str(field_value(r, path) or "").lower() in wanted
    if how == "eq":
        wanted = raw.strip().lower()
        return lambda r: str(field_value(r, path) or "").lower() == wanted
    bound = _as_date(raw)
    if bound is None:
        raise validation_error(f"{raw} is not a date")
    if how == "from":
        return lambda r: (
            _day(field_value(r, path)) is not None and _day(field_value(r, path)) >= bound
        )
    return lambda r: _day(field_value(r, path)) is not None and _day(field_value(r, path)) <= bound


def _day(value):
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _as_date(value) -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        raise validation_error(f"{str(value).strip()} is not a valid date") from None


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _unit_amounts_rounded(item: dict, unitdp: int | None) -> dict:
    """Xero keeps 4 decimals of a line's UnitAmount only when the write asks for unitdp=4."""
    lines = item.get("LineItems")
    if unitdp == 4 or not isinstance(lines, list):
        return item
    rounded = []
    for line in lines:
        amount = line.get("UnitAmount") if isinstance(line, dict) else None
        if isinstance(amount, Decimal | int | float):
            line = {**line, "UnitAmount": Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)}
        rounded.append(line)
    return {**item, "LineItems": rounded}


def _element(endpoint: Endpoint, item: dict, messages: list[str] | None = None) -> dict:
    """A refused element as Xero echoes it: the submitted fields under the primary key (the
    zero GUID when none was sent); with `messages`, as an element of a 200 answer."""
    pk = endpoint.primary_key
    element = {pk: item.get(pk) or ZERO_GUID} if pk else {}
    element.update((k, v) for k, v in item.items() if k != pk)
    if messages is not None:
        if endpoint.key in spec.STATUS_ATTRIBUTE:
            element["HasErrors"] = True
            element["StatusAttributeString"] = "ERROR"
        element["ValidationErrors"] = [{"Message": m} for m in messages]
    return element
