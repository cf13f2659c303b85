"""`reporting.tie_out` read back: every statement figure next to Xero's own report.

The dbt models compare the warehouse with the report snapshots and mark each figure `tied`,
`explained` (a difference Xero's reports carry by design, named with its amount) or `broken`.
This module reads those lines for `xero-warehouse verify`, the demo and the Dagster checks.
"""

from __future__ import annotations

from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipelines.destination import Destination
from pipelines.errors import ConfigurationError
from pipelines.warehouse import has_table, organisation_names

TIE_OUT = "reporting.tie_out"
STATUSES = ("tied", "explained", "broken")
COLUMNS = (
    "tenant_id",
    "check_name",
    "period_start",
    "period_end",
    "subject_id",
    "subject_name",
    "measure",
    "warehouse_value",
    "xero_value",
    "difference",
    "status",
    "explanation",
)


@dataclass(frozen=True)
class TieOutLine:
    tenant_id: str
    check_name: str
    period_start: date | None
    period_end: date
    subject_id: str | None
    subject_name: str | None
    measure: str
    warehouse_value: Decimal
    xero_value: Decimal
    difference: Decimal
    status: str
    explanation: str | None


@dataclass(frozen=True)
class Verification:
    lines: list[TieOutLine]
    organisations: dict[str, str]  # tenant id -> name

    @property
    def broken(self) -> list[TieOutLine]:
        return [line for line in self.lines if line.status == "broken"]

    @property
    def explained(self) -> list[TieOutLine]:
        return [line for line in self.lines if line.status == "explained"]

    def counts(self) -> dict[tuple[str, str], Counter]:
        """(tenant id, check) -> how many lines of each status."""
        counts: dict[tuple[str, str], Counter] = {}
        for line in self.lines:
            counts.setdefault((line.tenant_id, line.check_name), Counter())[line.status] += 1
        return dict(sorted(counts.items(), key=lambda item: (self.name(item[0][0]), item[0][1])))

    def name(self, tenant_id: str) -> str:
        return self.organisations.get(tenant_id) or tenant_id


def verify(target: Destination, as_of: date | None = None, dataset: str = "xero") -> Verification:
    """The tie-out lines up to `as_of` (every snapshot when None), with organisation names."""
    with closing(target.connect_existing()) as connection:
        cursor = connection.cursor()
        if not has_table(cursor, target, "reporting", "tie_out"):
            raise ConfigurationError(
                f"no {TIE_OUT} in {target.display}: sync the report snapshots "
                "(xero-warehouse sync --resource '*' --resource 'report_*') "
                "and build the models (xero-warehouse models) first"
            )
        where, params = "", ()
        if as_of is not None:
            where = f" where period_end <= {target.placeholder}"
            params = (as_of,)
        cursor.execute(
            f"select {', '.join(COLUMNS)} from {TIE_OUT}{where}"
            " order by tenant_id, check_name, period_end, subject_name, measure",
            params,
        )
        lines = [_line(row) for row in cursor.fetchall()]
        organisations = organisation_names(cursor, target, dataset)
    return Verification(lines, organisations)


def _line(row: tuple) -> TieOutLine:
    values = dict(zip(COLUMNS, row, strict=True))
    for money in ("warehouse_value", "xero_value", "difference"):
        values[money] = Decimal(values[money] or 0)
    return TieOutLine(**values)


def tenants_without_journals(target: Destination, dataset: str = "xero") -> list[str]:
    """Names of the organisations with no Journals loaded (Xero serves Journals on the
    Advanced plan only): their general ledger, trial balance, P&L and balance sheet are empty."""
    with closing(target.connect_existing()) as connection:
        cursor = connection.cursor()
        if not has_table(cursor, target, dataset, "organisations"):
            return []
        with_journals = ""
        if has_table(cursor, target, dataset, "journals"):
            with_journals = f' where tenant_id not in (select tenant_id from "{dataset}".journals)'
        cursor.execute(f'select name, tenant_id from "{dataset}".organisations{with_journals}')
        return sorted(name or tenant_id for name, tenant_id in cursor.fetchall())
