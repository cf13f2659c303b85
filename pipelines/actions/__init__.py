"""Actions on Xero: the catalogue (`catalogue.py`), running one with write-through
(`run.py`), the typed Python API (`api.py`) and the `api`/`actions`/`action` commands
(`commands.py`)."""

from pipelines.actions.api import XeroActions
from pipelines.actions.catalogue import Action, catalogue
from pipelines.actions.run import (
    ActionError,
    ActionRejectedError,
    ActionResult,
    run_action,
    write_through,
)

__all__ = [
    "Action",
    "ActionError",
    "ActionRejectedError",
    "ActionResult",
    "XeroActions",
    "catalogue",
    "run_action",
    "write_through",
]
