"""Dagster resources: the warehouse the assets write to and the Xero connections list.

Both are thin: the work happens in `pipelines` (which never imports Dagster). Values come
from run config or `dg.EnvVar`, resolved when a run launches, never at import.
"""

from __future__ import annotations

from contextlib import closing

import dagster as dg

from pipelines.destination import Destination, parse_destination
from pipelines.runner import sync
from pipelines.runner import sync as runner_sync
from pipelines.webhooks.consumer import apply_pending_events
from pipelines.xero.auth import auth_from_env
from pipelines.xero.client import list_connections


class XeroWarehouseResource(dg.ConfigurableResource):
    """The DuckDB file or PostgreSQL database holding the raw `dataset` and `reporting`."""

    destination: str | None = (
        None  # duckdb:///path or postgresql://...; None: ./xero_warehouse.duckdb
    )
    dataset: str = "xero"

    @property
    def parsed(self) -> Destination:
        return parse_destination(self.destination)

    def sync(
        self, tenants: list[str], resources: list[str] | None, full_refresh: bool, display=None
    ):
        """Load the tenants' collections in one sync (cursors stay per tenant); `display`
        receives the runner's progress."""

        return sync(
            destination=self.destination,
            dataset=self.dataset,
            tenants=list(tenants),
            resources=resources,
            full_refresh=full_refresh,
            display=display,
        )

    def apply_webhook_events(self, tenant_id: str, display=None):
        """Re-fetch the records named by the tenant's pending webhook events.

        Returns the tenant's outcome (None when nothing was pending) and the result of the
        targeted sync (None when no sync ran)."""

        syncs = []

        def sync(**kwargs):
            syncs.append(runner_sync(**kwargs, display=display))
            return syncs[-1]

        applied = apply_pending_events(
            destination=self.destination, dataset=self.dataset, tenants=[tenant_id], sync=sync
        )
        outcome = next((o for o in applied.outcomes if o.tenant_id == tenant_id), None)
        return outcome, (syncs[-1] if syncs else None)

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """Rows of one read query; `?` placeholders on both engines."""
        destination = self.parsed
        if destination.kind == "postgres":
            sql = sql.replace("?", "%s")
        with closing(destination.connect()) as connection:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return cursor.fetchall()

    def table_columns(self, schema: str, table: str) -> set[str]:
        """Column names of `schema.table`, empty when the table does not exist."""
        rows = self.query(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ?",
            (schema, table),
        )
        return {row[0] for row in rows}


class XeroApiResource(dg.ConfigurableResource):
    """The Xero API the tenants come from. Unset URLs fall back to XERO_API_URL and
    XERO_IDENTITY_URL; credentials are the XERO_* variables read by `auth_from_env`."""

    api_url: str | None = None
    identity_url: str | None = None

    def list_tenants(self) -> list[dict]:
        """The connected organisations (GET /connections), one dict per tenant."""

        auth = auth_from_env(self.identity_url)
        connections = list_connections(auth, self.api_url)
        return [c for c in connections if c.get("tenantType", "ORGANISATION") == "ORGANISATION"]
