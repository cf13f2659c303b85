"""Rows read again exactly as loaded are left out; any change loads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipelines.xero.unchanged import MAX_REMEMBERED, STATE_KEY, UnchangedRows

T0 = datetime(2026, 11, 30, 9, tzinfo=UTC)
LOOKBACK = timedelta(minutes=5)


def _row(record_id: str, minutes: float, name: str = "a") -> dict:
    return {"InvoiceID": record_id, "UpdatedDateUTC": T0 + timedelta(minutes=minutes), "Name": name}


def _run(state: dict, rows: list[dict], complete: bool = True) -> list[dict]:
    unchanged = UnchangedRows(state, "InvoiceID", "UpdatedDateUTC", LOOKBACK)
    kept = unchanged.changed(rows)
    unchanged.save(complete)
    return kept


def test_rows_read_again_unchanged_are_dropped_and_changed_ones_kept():
    state: dict = {}
    first = [_row("old", 0), _row("a", 10), _row("b", 12)]
    assert _run(state, first) == first
    assert set(state[STATE_KEY]) == {"a", "b"}  # "old" is before the lookback: not read again

    # the next run reads the lookback again: the same rows are dropped
    assert _run(state, [_row("a", 10), _row("b", 12)]) == []
    # a change that leaves UpdatedDateUTC alone still loads
    edited = _row("a", 10, name="edited")
    assert _run(state, [edited, _row("b", 12)]) == [edited]
    assert _run(state, [edited, _row("b", 12)]) == []


def test_a_read_stopped_part_way_forgets_the_rows_it_loaded_anew():
    state: dict = {}
    _run(state, [_row("a", 10), _row("b", 12)])
    newer_a = _row("a", 20)
    assert _run(state, [newer_a], complete=False) == [newer_a]
    assert set(state[STATE_KEY]) == {"b"}
    # nothing read at all: what is remembered holds
    assert _run(state, []) == []
    assert set(state[STATE_KEY]) == {"b"}


def test_too_many_rows_in_the_window_remembers_none():
    state: dict = {}
    rows = [_row(str(i), 10) for i in range(2 * MAX_REMEMBERED + 1)]
    assert len(_run(state, rows)) == len(rows)
    assert STATE_KEY not in state
    assert len(_run(state, rows)) == len(rows)  # loaded again, as before the filter existed
