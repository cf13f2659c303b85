"""What a sync shows while it runs: a live table per tenant and resource (rows, requests,
rate-limit headroom) on a terminal, plain lines otherwise, and a summary table at the end."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from pipelines.display import PlainProgress


class LiveProgress(PlainProgress):
    """A rich live table refreshed from the run's counters by a background thread."""

    def __init__(self, stream=None):
        super().__init__(stream)
        from rich.console import Console  # rich only on a terminal

        self.console = Console(file=self.stream)
        self._live = None
        self._snapshot: Callable[[], list[tuple]] | None = None
        self._title = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: list[str] = []

    def tenant_started(self, name: str, tenant_id: str) -> None:
        """One live table per group of tenants synced together."""
        from rich.live import Live  # rich only on a terminal

        self._running.append(f"{name} ({tenant_id})")
        count = len(self._running)
        self._title = self._running[0] if count == 1 else f"{count} organisations"
        if self._live is not None:
            return
        self._live = Live(self._render(), console=self.console, refresh_per_second=4)
        self._live.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._refresh, daemon=True)
        self._thread.start()

    def watch(self, snapshot: Callable[[], list[tuple]]) -> None:
        self._snapshot = snapshot

    def step(self, message: str) -> None:
        self._title = self._title.split(" - ")[0] + f" - {message}"

    def _refresh(self) -> None:
        while not self._stop.wait(0.25):
            if self._live is not None:
                self._live.update(self._render())

    def _render(self):
        from rich.table import Table  # rich only on a terminal

        table = Table(title=self._title, expand=False)
        for column in ("resource", "rows", "requests", "status", "min left", "day left"):
            table.add_column(column, justify="right" if column != "resource" else "left")
        for row in self._snapshot() if self._snapshot else []:
            table.add_row(*[str(v) if v is not None else "" for v in row])
        return table

    def tenant_finished(self, name: str, rows: int, requests: int, status: str) -> None:
        self._running.pop()
        if self._running:
            return
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self._live is not None:
            self._live.update(self._render())
            self._live.stop()
            self._live = None
        self._snapshot = None

    def close(self) -> None:
        self._stop.set()
        if self._live is not None:
            self._live.stop()


def make_progress(live: bool, stream=None) -> PlainProgress:
    stream = stream or sys.stdout
    if live and stream.isatty():
        return LiveProgress(stream)
    return PlainProgress(stream)


def summary_lines(rows: list[tuple[str, str, int, int, str]]) -> list[str]:
    """A plain-text table: tenant, resource, rows, requests, status."""
    header = ("tenant", "resource", "rows", "requests", "status")
    table = [header] + [tuple(str(v) for v in row) for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for index, row in enumerate(table):
        cells = [
            cell.rjust(widths[i]) if i in (2, 3) else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
