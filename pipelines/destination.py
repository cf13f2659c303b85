"""Destination URLs (`duckdb:///path` or `postgresql://...`) turned into dlt destinations
and plain DB-API connections."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pipelines.errors import ConfigurationError

DEFAULT_DUCKDB_FILE = "xero_warehouse.duckdb"
DUCKDB_MEMORY_LIMIT = "256MB"  # DuckDB spills to disk beyond it
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2")


@dataclass(frozen=True)
class Destination:
    kind: str  # "duckdb" or "postgres"
    url: str  # as given, may hold a password: never print it; use `display`

    @property
    def duckdb_path(self) -> Path:
        path = self.url.removeprefix("duckdb:///").removeprefix("duckdb://")
        return Path(path).expanduser().resolve()

    @property
    def postgres_dsn(self) -> str:
        parts = urlsplit(self.url)
        netloc = parts.netloc
        # dlt's Postgres credentials insist on a password, even under trust auth.
        if "@" in netloc and ":" not in netloc.split("@", 1)[0]:
            user, host = netloc.split("@", 1)
            netloc = f"{user}:@{host}"
        elif "@" not in netloc:
            netloc = f"{os.environ.get('USER', 'postgres')}:@{netloc}"
        return urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))

    @property
    def display(self) -> str:
        """The URL with any password replaced, safe for logs and errors."""
        if self.kind == "duckdb":
            return f"duckdb:///{self.duckdb_path}"
        parts = urlsplit(self.url)
        host = parts.netloc.rsplit("@", 1)[-1]
        user = parts.username or ""
        netloc = f"{user}:***@{host}" if parts.password else (f"{user}@{host}" if user else host)
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def dlt_destination(self):
        """DuckDB runs inside this process: its memory is capped (XERO_DUCKDB_MEMORY_LIMIT)
        so a large first load stays within a small machine."""
        import dlt

        if self.kind != "duckdb":
            return dlt.destinations.postgres(self.postgres_dsn)
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(
            str(self.duckdb_path),
            global_config={
                "memory_limit": os.environ.get("XERO_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT,
                "preserve_insertion_order": False,
            },
        )
        return dlt.destinations.duckdb(credentials)

    def connect(self):
        """A DB-API connection (duckdb or psycopg2). The caller closes it."""
        if self.kind == "duckdb":
            import duckdb

            return duckdb.connect(str(self.duckdb_path))
        import psycopg2

        try:
            return psycopg2.connect(self.postgres_dsn, connect_timeout=10)
        except psycopg2.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            raise ConfigurationError(f"cannot connect to {self.display}: {reason}") from None


def parse_destination(url: str | None) -> Destination:
    """Parse a destination URL; None means the DuckDB file in the working directory."""
    if not url:
        return Destination("duckdb", f"duckdb:///{Path.cwd() / DEFAULT_DUCKDB_FILE}")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        if not url.removeprefix("duckdb://").strip("/"):
            raise ConfigurationError(f"bad destination {url!r}: give a file, e.g. duckdb:///xero.duckdb")
        return Destination("duckdb", url)
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(url)
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigurationError(
                "bad destination: a PostgreSQL URL needs a host and a database, "
                "e.g. postgresql://user@127.0.0.1:5432/warehouse"
            )
        return Destination("postgres", url)
    shown = url.split("://", 1)[0] + "://..." if "://" in url else url
    raise ConfigurationError(
        f"bad destination {shown!r}: use duckdb:///path/to/file.duckdb or postgresql://user@host/db"
    )
