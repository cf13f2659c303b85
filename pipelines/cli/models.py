"""`xero-warehouse models`: build the dbt project into the warehouse and list what it built."""

from __future__ import annotations

from datetime import date

from pipelines.destination import parse_destination
from pipelines.errors import ConfigurationError
from pipelines.models import as_of_date, run_models
from pipelines.verify import tenants_without_journals


def models_command(args) -> int:
    as_of = parse_as_of(args.as_of) if getattr(args, "as_of", None) else None
    dataset = getattr(args, "dataset", None) or "xero"
    results = run_models(args.destination, dataset, as_of)
    shown = as_of_date(as_of).isoformat()
    print(f"built {len(results)} models as of {shown}")
    for result in results:
        print(f"  {result.schema}.{result.name}: {result.rows} rows")
    for name in tenants_without_journals(parse_destination(args.destination), dataset):
        print(
            f"note: {name}: no Journals loaded (Xero's Advanced plan only): its general ledger, "
            "trial balance, P&L and balance sheet are empty; report snapshots and aged "
            "receivables/payables still load and tie"
        )
    return 0


def parse_as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"bad --as-of {text!r}: use YYYY-MM-DD") from None
