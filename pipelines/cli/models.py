"""`xero-warehouse models`: build the dbt project into the warehouse and list what it built."""

from __future__ import annotations

from datetime import date

from pipelines.errors import ConfigurationError
from pipelines.models import as_of_date, run_models


def models_command(args) -> int:
    as_of = _parse_as_of(args.as_of) if getattr(args, "as_of", None) else None
    results = run_models(args.destination, getattr(args, "dataset", None) or "xero", as_of)
    shown = as_of_date(as_of).isoformat()
    print(f"built {len(results)} models as of {shown}")
    for result in results:
        print(f"  {result.schema}.{result.name}: {result.rows} rows")
    return 0


def _parse_as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"bad --as-of {text!r}: use YYYY-MM-DD") from None
