"""The one place that reads (and, for child processes and dlt, sets) the process environment.
Settings are read when asked for, at run time, never at import: a test or the demo can point
a process elsewhere by setting variables before the call."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

DEFAULT_HOME = "~/.xero-warehouse"


def setting(name: str) -> str:
    """The variable's value without surrounding blanks; "" when it is not set."""
    return os.environ.get(name, "").strip()


def state_home() -> Path:
    """Where tokens, pipeline state and webhook events live (`XERO_WAREHOUSE_HOME`)."""
    return Path(setting("XERO_WAREHOUSE_HOME") or DEFAULT_HOME).expanduser()


def current() -> dict[str, str]:
    """A copy of the whole environment, for a child process."""
    return dict(os.environ)


def configure_dlt(verbose: bool) -> None:
    """For the CLI: dlt's defaults for a sync (`configure_dlt_files`), telemetry off, and
    dlt's own log lines (a failed job logs its traceback) only when asked for: failures reach
    the user as one line. Explicit settings win."""
    configure_dlt_files()
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "DEBUG" if verbose else "CRITICAL")


def configure_dlt_files() -> None:
    """dlt's extract and normalize files uncompressed, unless set otherwise: they are written
    and read back once on this machine, so gzip only costs CPU (about 6% of a full sync)."""
    os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")


@contextmanager
def overridden(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` for the block, then put back what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
