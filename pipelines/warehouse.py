"""Reading what a sync left in the warehouse, for the commands that report on it."""

from __future__ import annotations

from pipelines.destination import Destination


def has_table(cursor, target: Destination, schema: str, table: str) -> bool:
    placeholder = target.placeholder
    cursor.execute(
        "select count(*) from information_schema.tables"
        f" where table_schema = {placeholder} and table_name = {placeholder}",
        (schema, table),
    )
    return cursor.fetchone()[0] > 0


def organisation_names(cursor, target: Destination, dataset: str = "xero") -> dict[str, str]:
    """Tenant id -> organisation name, from the synced `organisations` table ({} before a
    sync has loaded it)."""
    if not has_table(cursor, target, dataset, "organisations"):
        return {}
    cursor.execute(f'select tenant_id, name from "{dataset}".organisations')
    return {str(tenant_id): name for tenant_id, name in cursor.fetchall() if name}
