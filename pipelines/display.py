"""The progress a sync reports as it goes: the interface, printed as plain lines. The CLI's
live table (`pipelines.cli.progress`) and Dagster's log display implement the same methods."""

from __future__ import annotations

import sys
from collections.abc import Callable


class PlainProgress:
    """One line per tenant step; for logs, pipes and `--no-progress`."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def tenant_started(self, name: str, tenant_id: str) -> None:
        print(f"syncing {name} ({tenant_id})", file=self.stream, flush=True)

    def watch(self, snapshot: Callable[[], list[tuple]]) -> None:
        pass

    def step(self, message: str) -> None:
        print(f"  {message}", file=self.stream, flush=True)

    def tenant_finished(self, name: str, rows: int, requests: int, status: str) -> None:
        print(f"  {name}: {rows} rows, {requests} requests, {status}", file=self.stream, flush=True)

    def close(self) -> None:
        pass
