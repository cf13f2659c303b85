"""The live table on a terminal: one table for the tenants synced together, closed when the
last of them finishes."""

from __future__ import annotations

import io

from pipelines.cli.progress import LiveProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_live_table_for_a_group_of_tenants():
    terminal = Terminal()
    progress = LiveProgress(terminal)
    progress.tenant_started("Acme Ltd", "t-1")
    progress.tenant_started("Kōwhai Ltd", "t-2")
    progress.watch(lambda: [("invoices", 12, 2, "done", 55, 4990)])
    progress.step("loading")
    assert progress._title == "2 organisations - loading"

    progress.tenant_finished("Acme Ltd", 12, 2, "ok")
    assert progress._live is not None  # Kōwhai is still running
    progress.tenant_finished("Kōwhai Ltd", 0, 0, "ok")
    assert progress._live is None
    progress.close()
    shown = terminal.getvalue()
    assert "2 organisations" in shown and "invoices" in shown and "4990" in shown
