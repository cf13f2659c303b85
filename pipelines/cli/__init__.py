"""The `xero-warehouse` command line. Each subcommand hands its parsed arguments to the
module that owns the work; this file only parses, dispatches and turns errors into one line."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from importlib.metadata import version

from pipelines.environment import configure_dlt
from pipelines.errors import XeroWarehouseError

# subcommand -> "module:function" taking the argparse namespace and returning an exit code
HANDLERS = {
    "sync": "pipelines.cli.sync:sync_command",
    "models": "pipelines.cli.models:models_command",
    "verify": "pipelines.cli.verify:verify_command",
    "sandbox serve": "sandbox.server:serve_command",
    "demo": "pipelines.cli.demo:demo_command",
    "auth login": "pipelines.cli.auth:login_command",
    "auth status": "pipelines.cli.auth:status_command",
    "auth logout": "pipelines.cli.auth:logout_command",
    "tenants": "pipelines.cli.auth:tenants_command",
    "webhooks serve": "pipelines.webhooks.receiver:serve_command",
    "api": "pipelines.cli.actions:api_command",
    "actions": "pipelines.cli.actions:actions_command",
    "action": "pipelines.cli.actions:action_command",
    "plan": "pipelines.cli.plan:plan_command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xero-warehouse", description="Keep a SQL warehouse in sync with Xero."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('xero-warehouse')}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sync = commands.add_parser("sync", help="load Xero collections into the warehouse")
    _add_destination(sync)
    sync.add_argument("--dataset", default="xero", help="raw schema name (default: xero)")
    sync.add_argument("--tenant", action="append", metavar="NAME_OR_ID",
                      help="organisation name (exact) or tenant id; repeatable; default: all")
    sync.add_argument("--resource", action="append", metavar="NAME",
                      help="collection or report to load, e.g. invoices or 'report_*'; "
                           "repeatable; default: all collections")
    sync.add_argument("--full-refresh", action="store_true",
                      help="re-read everything and mark rows deleted in Xero as deleted")
    sync.add_argument("--from-webhooks", action="store_true",
                      help="apply pending webhook events as targeted syncs")
    sync.add_argument("--no-progress", action="store_true", help="no live progress display")

    _add_warehouse_commands(commands)

    sandbox = commands.add_parser("sandbox", help="the local Xero sandbox")
    sandbox_commands = sandbox.add_subparsers(dest="subcommand", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve a local Xero over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--tenants", type=int, default=2, help="organisations (default: 2)")
    serve.add_argument("--scale", default="small", help="small|medium|large or a row count")
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--time-scale", type=float, default=1.0,
                       help="rate-limit windows run this many times faster (default: 1)")
    serve.add_argument("--no-limits", action="store_true", help="switch rate limits off")

    demo = commands.add_parser("demo", help="sandbox -> sync -> models into a local DuckDB file")
    _add_destination(demo)
    demo.add_argument("--dagster", action="store_true", help="then open the Dagster UI")

    auth = commands.add_parser("auth", help="connect to Xero")
    auth_commands = auth.add_subparsers(dest="subcommand", required=True)
    login = auth_commands.add_parser("login", help="authorise in the browser (OAuth2 code + PKCE)")
    login.add_argument("--redirect-uri", metavar="URL",
                       help="as registered for the app (default: http://localhost:8765/callback)")
    login.add_argument("--port", type=int, help="local port for the callback (default: the "
                       "redirect URI's)")
    login.add_argument("--scopes", metavar="'S1 S2 ...'", help="space-separated scopes "
                       "(default: offline_access openid profile email + the read scopes); "
                       "actions need the write scopes accounting.transactions "
                       "accounting.contacts accounting.settings accounting.attachments")
    login.add_argument("--granular-scopes", action="store_true",
                       help="the granular read scopes of apps created from March 2026")
    login.add_argument("--no-browser", action="store_true", help="only print the URL")
    login.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="how long to wait for the browser (default: 300)")
    auth_commands.add_parser("status", help="connected tenants, token expiry, scopes")
    auth_commands.add_parser("logout", help="revoke the stored token")

    tenants = commands.add_parser("tenants", help="list the connected organisations")
    tenants.add_argument("--disconnect", metavar="TENANT_OR_CONNECTION_ID",
                         help="disconnect this organisation from the app")
    tenants.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    webhooks = commands.add_parser("webhooks", help="receive Xero webhooks")
    webhooks_commands = webhooks.add_subparsers(dest="subcommand", required=True)
    webhooks_serve = webhooks_commands.add_parser("serve", help="serve POST /webhooks/xero")
    webhooks_serve.add_argument("--host", default="127.0.0.1")
    webhooks_serve.add_argument("--port", type=int, default=8701)
    _add_action_commands(commands)
    return parser


def _add_warehouse_commands(commands) -> None:
    """`models`, `verify` and `plan`: what is built from, checked in and planned for the
    warehouse."""
    models = commands.add_parser("models", help="build the reporting tables from the raw data")
    _add_destination(models)
    models.add_argument("--dataset", default="xero", help="raw schema to read (default: xero)")
    models.add_argument("--as-of", metavar="YYYY-MM-DD", help="aging date (default: today)")

    verify = commands.add_parser(
        "verify", help="compare the statements with Xero's reports; exit 1 on a broken line"
    )
    _add_destination(verify)
    verify.add_argument("--dataset", default="xero", help="raw schema (default: xero)")
    verify.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="only report snapshots up to this date (default: all)")

    plan = commands.add_parser(
        "plan", help="projected Xero requests a day per organisation against the daily limit"
    )
    _add_destination(plan)
    plan.add_argument("--dataset", default="xero", help="raw schema to count (default: xero)")
    plan.add_argument("--tenant", action="append", metavar="NAME_OR_ID",
                      help="organisation name (exact) or tenant id; repeatable; default: all")
    plan.add_argument("--sync-cron", metavar="CRON",
                      help="incremental sync schedule (default: XERO_SYNC_CRON, else hourly)")
    plan.add_argument("--reconcile-cron", metavar="CRON",
                      help="full-refresh schedule (default: XERO_RECONCILE_CRON, else Sundays "
                           "03:00 UTC)")
    plan.add_argument("--report-cron", metavar="CRON",
                      help="report snapshots schedule (default: XERO_REPORTS_CRON, else daily "
                           "04:30 UTC)")


def _add_action_commands(commands) -> None:
    api = commands.add_parser("api", help="a raw authenticated request to the Accounting API")
    api.add_argument("method", type=str.upper, choices=["GET", "PUT", "POST", "DELETE"])
    api.add_argument("path", help="below /api.xro/2.0, e.g. /Invoices, or /connections")
    api.add_argument("--tenant", metavar="NAME_OR_ID", help="organisation (default: the only one)")
    api.add_argument("--param", action="append", metavar="K=V", help="query parameter")
    api.add_argument("--data", metavar="@FILE|JSON", help="request body")

    commands.add_parser("actions", help="list the actions: name, what it does, its fields")

    action = commands.add_parser("action", help="run one action, then update the warehouse")
    action.add_argument("name", help="e.g. invoices.create, invoices.void, payments.reverse")
    action.add_argument("--tenant", metavar="NAME_OR_ID",
                        help="organisation (default: the only one)")
    action.add_argument("--json", metavar="@FILE|JSON", help="the fields as one JSON object")
    action.add_argument("--field", action="append", metavar="K=V",
                        help="a field (JSON values allowed; Contact.Name=Acme nests)")
    action.add_argument("--id", metavar="ID", help="the record the action works on")
    _add_destination(action)
    action.add_argument("--dataset", default="xero", help="raw schema name (default: xero)")
    action.add_argument("--no-sync", action="store_true",
                        help="do not merge the touched records into the warehouse")
    action.add_argument("--idempotency-key", metavar="KEY",
                        help="reuse a key so a re-run never writes twice (default: a new one)")


def _add_destination(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--destination", metavar="URL",
                        help="duckdb:///path/file.duckdb or postgresql://user@host/db "
                             "(default: ./xero_warehouse.duckdb)")


def _handler(args: argparse.Namespace):
    key = " ".join(filter(None, [args.command, getattr(args, "subcommand", None)]))
    module_name, function_name = HANDLERS[key].split(":")
    return getattr(importlib.import_module(module_name), function_name)


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        for noisy in ("httpx", "httpcore", "dlt", "uvicorn.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    configure_dlt(verbose=args.verbose)
    try:
        code = _handler(args)(args)
    except XeroWarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except OSError as exc:  # a file or folder the command needs (e.g. under the home) is unusable
        print(f"error: {_os_error_line(exc)}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing past the last committed load was recorded",
              file=sys.stderr)
        code = 130
    raise SystemExit(code or 0)


def _os_error_line(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return reason
    return (
        f"cannot use {exc.filename}: {reason}; XERO_WAREHOUSE_HOME and the destination's "
        "folder must be directories this user can write"
    )


if __name__ == "__main__":
    main()
