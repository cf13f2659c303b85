"""Locks that keep two syncs from interleaving on one warehouse.

On PostgreSQL a session-level advisory lock, so every process on every machine that loads into
that database sees it, and a killed process releases it with its connection. On DuckDB (one
file, one machine) a lock file beside the warehouse file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from pipelines.destination import Destination
from pipelines.errors import XeroWarehouseError

logger = logging.getLogger(__name__)


@contextmanager
def warehouse_lock(target: Destination, name: str) -> Iterator[None]:
    """Hold the lock `name` on `target` for the block; wait (saying so once) while another
    process holds it."""
    if target.kind == "postgres":
        with _advisory_lock(target, name):
            yield
    else:
        with _file_lock(target, name):
            yield


def _lock_key(name: str) -> int:
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _advisory_lock(target: Destination, name: str) -> Iterator[None]:
    key = _lock_key(name)
    connection = target.connect()
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s)", (key,))
            if not cursor.fetchone()[0]:
                logger.warning("waiting: another sync holds %s on %s", name, target.display)
                cursor.execute("select pg_advisory_lock(%s)", (key,))
        yield
    finally:
        connection.close()  # ends the session, which releases the lock


@contextmanager
def _file_lock(target: Destination, name: str) -> Iterator[None]:
    suffix = hashlib.sha256(name.encode()).hexdigest()[:12]
    path = target.duckdb_path.with_name(f".{target.duckdb_path.name}.{suffix}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(path, mode=0o600)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            logger.warning("waiting: another sync holds %s on %s", name, target.display)
            lock.acquire()
    except OSError as exc:
        raise XeroWarehouseError(f"cannot lock {target.display}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        lock.release()
