"""The sandbox as one ASGI app: Accounting API, identity service, /connections, and the
control endpoints under /_sandbox/ (ground truth, faults, clock, request log, mutations).

Every Accounting API call goes through the same steps as at Xero: faults (when injected),
bearer token (401), tenant (403), scope (401), rate limits (429), Accept (406), then the
handler; the rate-limit headers ride on every answer.

As at Xero, a request without `Accept` (or with `*/*` or an XML type) is answered in XML;
`application/json` gets JSON; any other type gets 406.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import identity as identity_module
from sandbox import reports, spec, writes_extra
from sandbox.accounting import AccountingApi, ApiError, dumps_any
from sandbox.faults import Fault, Faults
from sandbox.identity import AuthFailure, Identity
from sandbox.limits import LimitConfig, Limiter
from sandbox.wire import encode
from sandbox.xml_wire import XML_TYPE, json_to_xml

logger = logging.getLogger(__name__)

TRANSPORT_KEY = "sandbox.transport"  # set by sandbox.server's protocol: lets faults cut links
JSON_TYPE = "application/json; charset=utf-8"
WRITE_DELETE = ("Accounts", "Items", "LinkedTransactions", "TrackingCategories")
ALLOCATABLE = ("CreditNotes", "Overpayments", "Prepayments")
# paths Xero serves that its spec does not list, and the spec path they answer as
PATH_ALIASES = {"organisations": "Organisation"}
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


# -- request log ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogEntry:
    at: float  # time.time()
    method: str
    route: str  # e.g. "/Invoices", "/Invoices/{id}", "/connect/token"
    path: str  # as requested (below /api.xro/2.0 for the Accounting API)
    tenant_id: str | None
    status: int  # 0: the connection was cut
    duration_ms: float
    problem: str | None = None  # X-Rate-Limit-Problem of a 429
    fault: str | None = None


@dataclass
class RequestLog:
    """Every request the sandbox answered, with counters per (tenant, route, status)."""

    entries: deque = field(default_factory=lambda: deque(maxlen=200_000))
    counters: Counter = field(default_factory=Counter)

    def record(self, entry: LogEntry) -> None:
        self.entries.append(entry)
        self.counters[(entry.tenant_id, entry.route, entry.status)] += 1

    def count(
        self,
        tenant_id: str | None = None,
        route: str | None = None,
        status: int | None = None,
        method: str | None = None,
    ) -> int:
        if method is not None:
            return sum(
                1
                for e in self.entries
                if e.method == method
                and (tenant_id is None or e.tenant_id == tenant_id)
                and (route is None or e.route == route)
                and (status is None or e.status == status)
            )
        return sum(
            n
            for (t, r, s), n in self.counters.items()
            if (tenant_id is None or t == tenant_id)
            and (route is None or r == route)
            and (status is None or s == status)
        )

    def reset(self) -> None:
        self.entries.clear()
        self.counters.clear()

    def summary(self) -> dict:
        return {
            "total": sum(self.counters.values()),
            "counters": [
                {"tenant_id": t, "route": r, "status": s, "count": n}
                for (t, r, s), n in sorted(self.counters.items(), key=lambda kv: str(kv[0]))
            ],
        }


# -- runtime --------------------------------------------------------------------------------------
@dataclass
class Runtime:
    sandbox: object
    identity: Identity
    limiter: Limiter
    faults: Faults
    log: RequestLog
    api: AccountingApi
    extras: writes_extra.Extras  # replies by Idempotency-Key, history, attachments, emails
    reports: reports.BooksCache


def create_app(
    sandbox,
    *,
    time_scale: float = 1.0,
    limits: bool | LimitConfig = True,
    daily_limit: int = 5000,
    identity: Identity | None = None,
    faults: Faults | None = None,
    log: RequestLog | None = None,
) -> Starlette:
    """The ASGI app over `sandbox`. `app.state.runtime` holds identity, limiter, faults, log."""
    if isinstance(limits, LimitConfig):
        config = limits
    else:
        config = LimitConfig(per_day=daily_limit, time_scale=time_scale, enabled=bool(limits))
    if identity is None:
        identity = Identity(sandbox)
        identity.register_default_client()
    runtime = Runtime(
        sandbox,
        identity,
        Limiter(config),
        faults or Faults(),
        log or RequestLog(),
        AccountingApi(sandbox),
        writes_extra.Extras(sandbox),
        reports.BooksCache(sandbox),
    )

    async def api(request: Request) -> Response:
        return await handle_api(runtime, request)

    async def connections(request: Request) -> Response:
        return await handle_logged(runtime, request, "/connections", identity_routes["list"])

    async def delete_connection(request: Request) -> Response:
        return await handle_logged(runtime, request, "/connections/{id}", identity_routes["delete"])

    identity_routes = {}
    routes = []
    for route in identity_module.routes(identity):
        if route.path.lower() == "/connections":
            identity_routes["list"] = route.endpoint
            routes.append(Route(route.path, connections, methods=["GET"]))
        elif route.path.lower() == "/connections/{id}":
            identity_routes["delete"] = route.endpoint
            routes.append(Route(route.path, delete_connection, methods=["DELETE"]))
        else:
            routes.append(_logged_route(runtime, route))
    routes.append(
        Route(spec.API_PREFIX + "/{rest:path}", api, methods=["GET", "PUT", "POST", "DELETE"])
    )
    routes.extend(control_routes(runtime))
    routes.append(reports.truth_route(sandbox))
    app = Starlette(routes=routes)
    app.state.runtime = runtime
    return app


def _logged_route(runtime: Runtime, route: Route) -> Route:
    endpoint = route.endpoint

    async def logged(request: Request) -> Response:
        return await handle_logged(runtime, request, route.path, endpoint)

    return Route(route.path, logged, methods=sorted(route.methods - {"HEAD"}))


async def handle_logged(runtime: Runtime, request: Request, name: str, endpoint) -> Response:
    """An identity-service request: faults that name its path, then the endpoint."""
    started = time.perf_counter()
    kinds = {f.kind: f for f in runtime.faults.fire(None, request.url.path, identity=True)}
    if "reset" in kinds:
        _record(runtime, request, name, name, None, 0, started, fault="reset")
        return ResetResponse()
    if "latency" in kinds:
        await asyncio.sleep(kinds["latency"].seconds)
    if "status" in kinds:
        status = kinds["status"].status
        response = _error_response(status, {"error": "temporarily_unavailable"})
        _record(runtime, request, name, name, None, status, started, fault="status")
        return response
    response = await endpoint(request)
    _record(runtime, request, name, name, None, response.status_code, started)
    return response


def _record(
    runtime: Runtime,
    request: Request,
    route: str,
    path: str,
    tenant_id: str | None,
    status: int,
    started: float,
    problem: str | None = None,
    fault: str | None = None,
) -> None:
    runtime.log.record(
        LogEntry(
            time.time(),
            request.method,
            route,
            path,
            tenant_id,
            status,
            (time.perf_counter() - started) * 1000,
            problem,
            fault,
        )
    )


# -- the Accounting API pipeline ------------------------------------------------------------------
def route_of(path: str) -> tuple[spec.Endpoint | None, str | None, str | None, str]:
    """(endpoint, record id, sub-resource, route template) for a path below /api.xro/2.0."""
    parts = [p for p in path.split("/") if p]
    if parts:
        parts[0] = PATH_ALIASES.get(parts[0].lower(), parts[0])
    if not parts:
        return None, None, None, path
    for size in (2, 1):
        endpoint = spec.BY_PATH.get("/" + "/".join(parts[:size]).lower())
        if endpoint is not None and len(parts) >= size:
            rest = parts[size:]
            if endpoint.singleton or endpoint.key in ("Actions", "Organisations"):
                if rest:
                    continue
                return endpoint, None, None, endpoint.path
            if not rest:
                return endpoint, None, None, endpoint.path
            if len(rest) == 1:
                return endpoint, rest[0], None, endpoint.path + "/{id}"
            if len(rest) == 2:
                return endpoint, rest[0], rest[1], f"{endpoint.path}/{{id}}/{rest[1]}"
            if len(rest) == 3:  # an attachment by id or file name
                sub = "/".join(rest[1:])
                return endpoint, rest[0], sub, f"{endpoint.path}/{{id}}/{rest[1]}/{{name}}"
    return None, None, None, "/" + "/".join(parts[:1])


def _error_response(status: int, body: dict | None, headers: dict | None = None) -> Response:
    if status == 404 and body is None:  # Xero's 404 is a line of text, not a JSON document
        return Response(NOT_FOUND_TEXT, status_code=404, media_type="text/html", headers=headers)
    return Response(encode(body), status_code=status, media_type=JSON_TYPE, headers=headers)


def answer_format(accept: str) -> str | None:
    """The answer format for an Accept header: "json", "xml", or None (406)."""
    accept = accept.lower()
    if "json" in accept:
        return "json"
    if not accept.strip() or "xml" in accept or "*/*" in accept or "application/*" in accept:
        return "xml"
    return None


async def handle_api(runtime: Runtime, request: Request) -> Response:
    started = time.perf_counter()
    path = "/" + request.path_params["rest"]
    endpoint, record_id, sub, route = route_of(path)
    if endpoint is None:
        endpoint, record_id, sub, route = reports.route_of(path)
    hint = (request.headers.get("xero-tenant-id") or "").strip().lower() or None
    fired = runtime.faults.fire(hint, path)
    kinds = {f.kind: f for f in fired}
    tenant_id = None
    problem = None
    release = False
    response: Response
    try:
        if "expire_token" in kinds:
            runtime.identity.expire_access_tokens()
        if "reset" in kinds:
            _record(runtime, request, route, path, hint, 0, started, fault="reset")
            return ResetResponse()
        if "status" in kinds:
            fault = kinds["status"]
            response = _error_response(
                fault.status,
                {
                    "Title": "Service Unavailable"
                    if fault.status == 503
                    else "Internal Server Error",
                    "Status": fault.status,
                    "Detail": "injected fault",
                },
            )
            response.headers.update(runtime.limiter.headers(hint))
            return _finish(runtime, request, route, path, hint, response, started, "status")
        grant = runtime.identity.authenticate(request.headers.get("authorization"))
        tenant_id = runtime.identity.tenant_allowed(grant, hint)
        tenant = runtime.sandbox.tenant(tenant_id) if tenant_id else None
        if tenant is None:
            tenant_id = None
            raise ApiError(
                403, identity_module.problem(403, "Forbidden", "AuthenticationUnsuccessful")
            )
        if endpoint is not None and not _scope_allows(grant, endpoint, request.method):
            raise ApiError(
                401, identity_module.problem(401, "Unauthorized", "AuthorizationUnsuccessful")
            )
        if "day_quota" in kinds:
            runtime.limiter.exhaust_day(tenant_id)
        if "rate_limit" in kinds:
            fault = kinds["rate_limit"]
            problem = fault.problem
            raise _too_many(
                runtime, fault.problem, fault.seconds / runtime.limiter.config.time_scale
            )
        decision = runtime.limiter.acquire(tenant_id)
        if not decision.allowed:
            problem = decision.problem
            raise _too_many(runtime, decision.problem, decision.retry_after)
        release = True
        if "latency" in kinds:
            await asyncio.sleep(kinds["latency"].seconds)
        answer_as = answer_format(request.headers.get("accept", ""))
        if answer_as is None:
            raise ApiError(
                406,
                {
                    "Title": "Not Acceptable",
                    "Status": 406,
                    "Detail": "Xero answers application/json or XML",
                },
            )
        if endpoint is None:
            raise ApiError(404, None)
        status, body = await writes_extra.dispatch(
            runtime, request, tenant, endpoint, record_id, sub, _dispatch
        )
        response = _answer(status, body, answer_as)
    except AuthFailure as exc:
        response = identity_module.unauthorized(exc.detail)
    except ApiError as exc:
        response = _error_response(exc.status, exc.body, exc.headers)
    except Exception:
        logger.exception("sandbox failed on %s %s", request.method, path)
        response = _error_response(
            500,
            {
                "Title": "Internal Server Error",
                "Status": 500,
                "Detail": "An error occurred in the sandbox",
            },
        )
    finally:
        if release:
            runtime.limiter.release(tenant_id)
    response.headers.update(runtime.limiter.headers(tenant_id or hint))
    if "drop_response" in kinds:  # the write is done; its answer never arrives
        return _finish(runtime, request, route, path, tenant_id, ResetResponse(), started, "drop")
    if "truncate" in kinds and response.status_code == 200:
        response = TruncatedResponse(response, kinds["truncate"].mode)
        return _finish(runtime, request, route, path, tenant_id, response, started, "truncate")
    return _finish(runtime, request, route, path, tenant_id, response, started, None, problem)


def _answer(status: int, body: bytes, answer_as: str) -> Response:
    if status == 204:
        return Response(body, status_code=204)
    if hasattr(body, "mime_type"):  # an attachment's own bytes
        return Response(body, status_code=status, media_type=body.mime_type)
    if answer_as == "xml":
        return Response(json_to_xml(body), status_code=status, media_type=XML_TYPE)
    return Response(body, status_code=status, media_type=JSON_TYPE)


def _finish(runtime, request, route, path, tenant_id, response, started, fault, problem=None):
    _record(runtime, request, route, path, tenant_id, response.status_code, started, problem, fault)
    return response


def _too_many(runtime: Runtime, problem: str, real_seconds: float) -> ApiError:
    headers = {
        "Retry-After": runtime.limiter.retry_after_header(real_seconds),
        "X-Rate-Limit-Problem": problem,
    }
    return ApiError(
        429,
        {
            "Title": "Too Many Requests",
            "Status": 429,
            "Detail": f"You've exceeded the per {problem} rate limit",
        },
        headers,
    )


def _scope_allows(grant, endpoint: spec.Endpoint, method: str) -> bool:
    if method == "GET":
        return spec.scope_grants(grant.scopes, endpoint.scope)
    return endpoint.scope.removesuffix(".read") in grant.scopes or any(
        g in grant.scopes for g in spec.GRANULAR_SCOPES.get(endpoint.scope, ())
    )


async def _dispatch(
    runtime: Runtime,
    request: Request,
    tenant,
    endpoint: spec.Endpoint,
    record_id: str | None,
    sub: str | None,
) -> tuple[int, bytes]:
    api = runtime.api
    method = request.method
    if endpoint is reports.ENDPOINT:
        params = dict(request.query_params)
        body = reports.answer(runtime.sandbox, runtime.reports, tenant, method, record_id, params)
        return 200, body
    if method == "GET" and sub is None:
        if record_id is None:
            return 200, api.list(tenant, endpoint, dict(request.query_params), request.headers)
        if not endpoint.by_id:
            raise ApiError(404, None)
        return 200, api.get_one(tenant, endpoint, record_id, dict(request.query_params))
    if method in ("PUT", "POST") and sub is None:
        params = dict(request.query_params)
        return api.write(tenant, method, endpoint, record_id, await request.body(), params)
    if method == "PUT" and sub == "Allocations" and endpoint.key in ALLOCATABLE and record_id:
        return api.allocate(tenant, endpoint, record_id, await request.body())
    if method == "DELETE" and sub is None and record_id and endpoint.key in WRITE_DELETE:
        return api.delete(tenant, endpoint, record_id)
    raise ApiError(
        405,
        {
            "Title": "Method Not Allowed",
            "Status": 405,
            "Detail": f"{method} is not supported on this resource",
        },
    )


class ResetResponse(Response):
    """Cuts the connection without an answer."""

    def __init__(self):
        super().__init__(status_code=0)

    async def __call__(self, scope, receive, send) -> None:
        transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
        if transport is not None:
            transport.abort()
            await asyncio.sleep(0)
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
        )
        raise ConnectionResetError("connection reset by the sandbox")


class TruncatedResponse(Response):
    """mode "short": Content-Length says more than is sent, then the connection closes;
    mode "cut": a complete response whose JSON is cut in half."""

    def __init__(self, inner: Response, mode: str):
        super().__init__(status_code=inner.status_code)
        self.inner = inner
        self.mode = mode

    async def __call__(self, scope, receive, send) -> None:
        body = self.inner.body
        half = body[: max(1, len(body) // 2)]
        headers = [(k, v) for k, v in self.inner.raw_headers if k != b"content-length"]
        if self.mode == "cut":
            headers.append((b"content-length", str(len(half)).encode()))
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": headers}
            )
            await send({"type": "http.response.body", "body": half})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": half, "more_body": True})
        transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
        if transport is not None:
            transport.close()
            await asyncio.sleep(0)
            return
        raise ConnectionResetError("body truncated by the sandbox")


# -- control endpoints ----------------------------------------------------------------------------
def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if hasattr(value, "_asdict"):
        return value._asdict()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def control_json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, default=_jsonable), status_code=status, media_type=JSON_TYPE)


def control_routes(runtime: Runtime) -> list[Route]:
    sb = runtime.sandbox

    def tenant_or_404(tenant_id: str):
        tenant = sb.tenant(tenant_id)
        if tenant is None:
            raise ApiError(404, {"error": f"no tenant {tenant_id}"})
        return tenant

    def guarded(fn):
        async def endpoint(request: Request) -> Response:
            try:
                return await fn(request)
            except ApiError as exc:
                return _error_response(exc.status, exc.body)
            except (KeyError, ValueError, TypeError) as exc:
                return control_json({"error": str(exc)}, 400)

        return endpoint

    async def info(request: Request) -> Response:
        return control_json(
            {
                "tenants": [
                    {
                        "tenant_id": t.tenant_id,
                        "name": t.name,
                        "base_currency": t.base_currency,
                        "timezone": t.timezone,
                        "connection_id": t.connection_id,
                    }
                    for t in sb.tenants
                ],
                "scale": sb.scale,
                "seed": sb.seed,
                "anchor": sb.anchor,
                "limits": runtime.limiter.config.__dict__,
            }
        )

    async def truth(request: Request) -> Response:
        from sandbox import ground_truth

        tenant = tenant_or_404(request.path_params["tenant_id"])
        result = ground_truth.collection_truth(tenant, request.path_params["collection"])
        return control_json(
            {"ids": sorted(result.ids), "count": result.count, "money": result.money}
        )

    async def aging(request: Request) -> Response:
        from sandbox import ground_truth

        tenant = tenant_or_404(request.path_params["tenant_id"])
        as_of = date.fromisoformat(request.query_params.get("as_of") or str(sb.anchor))
        kind = request.query_params.get("kind", "receivables")
        rows = (ground_truth.ap_aging if kind == "payables" else ground_truth.ar_aging)(
            tenant, as_of
        )
        return control_json(
            {
                "rows": rows,
                "total": ground_truth.aged_receivables_total(tenant, as_of)
                if kind != "payables"
                else None,
            }
        )

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            options = await request.json()
            fault = runtime.faults.add(options.pop("kind"), **options)
            return control_json(fault.as_json(), 201)
        if request.method == "DELETE":
            runtime.faults.clear()
            return control_json({"faults": []})
        return control_json({"faults": [f.as_json() for f in runtime.faults.list()]})

    async def fault_delete(request: Request) -> Response:
        removed = runtime.faults.remove(int(request.path_params["fault_id"]))
        return control_json({"removed": removed}, 200 if removed else 404)

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            body = await request.json()
            if body.get("unfreeze"):
                sb.clock.unfreeze()
            if "freeze" in body:
                at = body["freeze"]
                sb.clock.freeze(datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None)
            if body.get("advance_seconds"):
                sb.clock.advance(seconds=float(body["advance_seconds"]))
        return control_json({"now": sb.clock.now(), "frozen": sb.clock.frozen})

    async def request_log(request: Request) -> Response:
        if request.method == "DELETE":
            runtime.log.reset()
        q = request.query_params
        if q:
            status = int(q["status"]) if q.get("status") else None
            return control_json(
                {
                    "count": runtime.log.count(
                        q.get("tenant_id"), q.get("route"), status, q.get("method")
                    )
                }
            )
        return control_json(runtime.log.summary())

    async def tokens_expire(request: Request) -> Response:
        return control_json({"expired": runtime.identity.expire_access_tokens()})

    async def limits_reset(request: Request) -> Response:
        runtime.limiter.reset()
        return control_json({"reset": True})

    async def mutations(request: Request) -> Response:
        body = await request.json()
        return control_json(apply_mutation(runtime, body))

    return [
        Route("/_sandbox", guarded(info), methods=["GET"]),
        Route("/_sandbox/", guarded(info), methods=["GET"]),
        Route("/_sandbox/truth/{tenant_id}/{collection}", guarded(truth), methods=["GET"]),
        Route("/_sandbox/aging/{tenant_id}", guarded(aging), methods=["GET"]),
        Route("/_sandbox/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/faults/{fault_id}", guarded(fault_delete), methods=["DELETE"]),
        Route("/_sandbox/clock", guarded(clock), methods=["GET", "POST"]),
        Route("/_sandbox/log", guarded(request_log), methods=["GET", "DELETE"]),
        Route("/_sandbox/tokens/expire", guarded(tokens_expire), methods=["POST"]),
        Route("/_sandbox/limits/reset", guarded(limits_reset), methods=["POST"]),
        Route("/_sandbox/mutations", guarded(mutations), methods=["POST"]),
    ]


def apply_mutation(runtime: Runtime, body: dict) -> dict:
    """One model mutation from JSON: {"tenant_id", "op", "collection", "id", "payload",
    "changes", "invoice_id", "amount", "date", "account_code"}. Returns the record
    in Xero's JSON form."""
    sb = runtime.sandbox
    tenant = sb.tenant(body["tenant_id"])
    if tenant is None:
        raise ApiError(404, {"error": f"no tenant {body['tenant_id']}"})
    op = body["op"]
    collection = body.get("collection")
    day = date.fromisoformat(body["date"]) if body.get("date") else sb.clock.now().date()
    if op == "create":
        record = tenant.create(collection, body.get("payload") or {})
    elif op == "update":
        record = tenant.update(collection, body["id"], body.get("changes") or {})
    elif op in ("delete", "void", "archive"):
        record = getattr(tenant, op)(collection, body["id"])
    elif op == "add_payment":
        collection = "Payments"
        record = tenant.add_payment(
            body["invoice_id"],
            Decimal(str(body["amount"])),
            day,
            account_code=body.get("account_code"),
        )
    elif op == "allocate":
        record = tenant.allocate(
            collection, body["id"], body["invoice_id"], Decimal(str(body["amount"])), day
        )
        return json.loads(dumps_any(record))
    else:
        raise ValueError(f"unknown op {op!r}")
    if record is None:
        return {"deleted": body.get("id")}
    return json.loads(runtime.api.wire.dumps_record(collection, record))


__all__ = ["Fault", "LogEntry", "RequestLog", "Runtime", "create_app"]
