"""Rows Xero returns again exactly as they were loaded, recognised and left out.

If-Modified-Since is inclusive to the second and every read starts a lookback before the
cursor, so a run in which nothing changed still gets back the rows of the last seconds
before its cursor, and would normalize, load and merge them again (dlt's incremental does
not deduplicate once a `lag` is set: it leaves the re-read range to the merge). Each
collection keeps, in its tenant's resource state (committed with the rows it describes), a
short hash of every row the next run will read again: those within the lookback of the
newest cursor value. A row that comes back with the same hash is already in the warehouse
as it is; any change to it (even one that leaves UpdatedDateUTC alone) changes the hash,
and it loads.

At most `MAX_REMEMBERED` rows per collection are kept; a window holding more (a first sync
of an organisation whose rows all changed at once) keeps none, and those rows simply load
again once, as they did before.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import orjson

STATE_KEY = "loaded_row_hashes"
MAX_REMEMBERED = 1000


def row_hash(row: dict) -> str:
    """A short digest of the row as read (keys sorted; Decimals as their exact text)."""
    text = orjson.dumps(row, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(text, digest_size=8).hexdigest()


class UnchangedRows:
    """Filters one collection's rows of one run against the hashes its state remembers."""

    def __init__(self, state: dict, key: str, cursor: str, lookback: timedelta):
        self.state = state
        self.remembered: dict[str, str] = dict(state.get(STATE_KEY) or {})
        self.key = key
        self.cursor = cursor
        self.lookback = lookback
        self.newest = None  # the newest cursor value read
        self.window: dict[str, tuple] = {}  # id -> (cursor value, hash) of rows read again next
        self.overflow = False
        self.loaded: set[str] = set()
        self.dropped = 0

    def changed(self, rows: list[dict]) -> list[dict]:
        """The rows that are new or differ from what was loaded."""
        kept = []
        for row in rows:
            record_id, value = str(row.get(self.key)), row.get(self.cursor)
            in_window = self._in_window(value)
            digest = row_hash(row) if in_window or record_id in self.remembered else None
            if digest is not None and self.remembered.get(record_id) == digest:
                self.dropped += 1
            else:
                kept.append(row)
                self.loaded.add(record_id)
            if in_window:
                self._note(record_id, value, digest)
        return kept

    def _in_window(self, value) -> bool:
        """Whether a row with this cursor value may be read again next run (hashing only
        those keeps a large first sync cheap)."""
        if value is None or self.overflow:
            return False
        return self.newest is None or value >= self.newest - self.lookback

    def _note(self, record_id: str, value, digest: str) -> None:
        self.newest = value if self.newest is None else max(self.newest, value)
        self.window[record_id] = (value, digest)
        if len(self.window) > 2 * MAX_REMEMBERED:
            self._prune()
            if len(self.window) > MAX_REMEMBERED:
                self.overflow = True
                self.window.clear()

    def _prune(self) -> None:
        start = self.newest - self.lookback
        self.window = {k: v for k, v in self.window.items() if v[0] >= start}

    def save(self, complete: bool) -> None:
        """Keep the hashes for the next run. After a read stopped part-way the old ones stay,
        less those of rows this run loaded anew."""
        if not complete:
            kept = {k: v for k, v in self.remembered.items() if k not in self.loaded}
        elif self.newest is None and not self.overflow:
            return  # nothing read again: what is remembered still holds
        elif self.overflow:
            kept = {}
        else:
            self._prune()
            kept = {k: digest for k, (_, digest) in self.window.items()}
            kept = kept if len(kept) <= MAX_REMEMBERED else {}
        if kept:
            self.state[STATE_KEY] = kept
        else:
            self.state.pop(STATE_KEY, None)
