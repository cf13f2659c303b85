"""Destination URLs (`duckdb:///path` or `postgresql://...`) turned into dlt destinations
and plain DB-API connections.

A PostgreSQL URL is split once, the way libpq splits it (`PostgresUrl`): what libpq and dlt
receive and what logs and errors show come from that one split, so a password can never be
read as a host, port or database name and then printed. A URL that libpq and a reader would
split differently (an unencoded `@` or `/` in the password) is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

from pipelines.environment import setting
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

    @cached_property
    def postgres(self) -> PostgresUrl:
        return parse_postgres_url(self.url)

    @property
    def postgres_dsn(self) -> str:
        return self.postgres.dsn(default_user=setting("USER") or "postgres")

    @property
    def placeholder(self) -> str:
        """The query parameter marker of this destination's DB-API driver (duckdb: `?`,
        psycopg2: `%s`)."""
        return "?" if self.kind == "duckdb" else "%s"

    @property
    def display(self) -> str:
        """The URL with any password replaced, safe for logs and errors."""
        if self.kind == "duckdb":
            return f"duckdb:///{self.duckdb_path}"
        return self.postgres.shown

    def redact(self, text: str) -> str:
        """`text` (e.g. a driver's error message) with the password, in any spelling, masked."""
        return text if self.kind == "duckdb" else self.postgres.redact(text)

    def dlt_destination(self):
        """DuckDB runs inside this process: its memory is capped (XERO_DUCKDB_MEMORY_LIMIT)
        so a large first load stays within a small machine."""
        import dlt  # heavy: loaded only when a pipeline is built

        if self.kind != "duckdb":
            return dlt.destinations.postgres(self.postgres_dsn)
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials  # heavy, as above

        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(
            # a dict, not the path: dlt parses a string as a URL with SQLAlchemy (0.8 s to import)
            {"database": str(self.duckdb_path)},
            global_config={
                "memory_limit": setting("XERO_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT,
                "preserve_insertion_order": False,
            },
        )
        return dlt.destinations.duckdb(credentials)

    def has_warehouse(self) -> bool:
        """False while a DuckDB file does not exist yet; a server database may always hold
        one."""
        return self.kind != "duckdb" or self.duckdb_path.is_file()

    def connect_existing(self):
        """`connect` to a warehouse a sync has created: one clear error when there is none
        (DuckDB would create an empty file)."""
        if not self.has_warehouse():
            raise ConfigurationError(
                f"no warehouse at {self.display}: run `xero-warehouse sync` first"
            )
        return self.connect()

    def connect(self):
        """A DB-API connection (duckdb or psycopg2). The caller closes it."""
        if self.kind == "duckdb":
            import duckdb  # the CLI parses URLs without loading drivers

            return duckdb.connect(str(self.duckdb_path))
        import psycopg2  # the CLI parses URLs without loading drivers

        try:
            return psycopg2.connect(self.postgres_dsn, connect_timeout=10)
        except psycopg2.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            raise ConfigurationError(
                f"cannot connect to {self.display}: {self.redact(reason)}"
            ) from None


# --- PostgreSQL URLs, split as libpq splits them ----------------------------------------------

PERCENT_ENCODE_HINT = (
    "percent-encode special characters of the user and password "
    "(/ as %2F, @ as %40, : as %3A, % as %25)"
)
SECRET_PARAMS = ("password", "sslpassword")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})|%00")


@dataclass(frozen=True, repr=False)
class PostgresUrl:
    """A postgresql:// URL split the way libpq splits it, every part percent-decoded."""

    user: str | None
    password: str | None
    host: str
    port: int | None
    dbname: str
    params: tuple[tuple[str, str], ...]  # the query, without `password`
    shown: str  # the URL as written with the password masked: safe for logs and errors
    secrets: tuple[str, ...]  # the password as decoded and as written

    def __repr__(self) -> str:
        return f"PostgresUrl({self.shown!r})"

    def dsn(self, default_user: str = "", drop: tuple[str, ...] = ()) -> str:
        """The URL for libpq and dlt: every part percent-encoded, so both read it as split
        here. dlt's credentials insist on a user and a password, even an empty one under
        trust auth; libpq reads empty ones as not given."""
        user = _encode(self.user or default_user)
        host = f"[{self.host}]" if ":" in self.host else _encode(self.host)
        port = f":{self.port}" if self.port else ""
        query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in self.params if k not in drop)
        return (
            f"postgresql://{user}:{_encode(self.password or '')}@{host}{port}"
            f"/{_encode(self.dbname)}" + (f"?{query}" if query else "")
        )

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def parse_postgres_url(url: str, what: str = "destination") -> PostgresUrl:
    """Split `url` as libpq does; raise one ConfigurationError line (never quoting the URL,
    which may hold a password) when it is malformed or libpq would read it otherwise than a
    person does. `what` names the setting in that line."""
    scheme, _, rest = url.partition("://")
    userinfo, rest = _split_userinfo(rest)
    host_raw, port_raw, rest = _split_host_port(rest, what)
    db_raw, _, query_raw = rest.removeprefix("/").partition("?")
    if any("@" in part for part in (host_raw, port_raw or "", db_raw, query_raw)):
        raise _bad(what, f"the URL has an @ after its user part; {PERCENT_ENCODE_HINT}")
    if port_raw is not None and not port_raw.isdigit():
        raise _bad(what, f"the port is not a number; {PERCENT_ENCODE_HINT}")
    user_raw, has_password, password_raw = (userinfo or "").partition(":")
    password = _decode(password_raw, what) if has_password else None
    secrets = {password_raw, password or ""}
    params = []
    for pair in filter(None, query_raw.split("&")):
        key, value, value_raw = _split_param(pair, what)
        if key in SECRET_PARAMS:
            secrets |= {value, value_raw}
        if key == "password":  # libpq lets it override the user part's password
            password = value
        else:
            params.append((key, value))
    shown_user = f"{user_raw}:***@" if password_raw else (f"{user_raw}@" if user_raw else "")
    shown_port = f":{port_raw}" if port_raw is not None else ""
    shown_db = f"/{db_raw}" if rest.startswith("/") else ""
    return PostgresUrl(
        user=_decode(user_raw, what) or None,
        password=password,
        host=_decode(host_raw.strip("[]"), what),
        port=int(port_raw) if port_raw else None,
        dbname=_decode(db_raw, what),
        params=tuple(params),
        shown=f"{scheme.lower()}://{shown_user}{host_raw}{shown_port}{shown_db}",
        secrets=tuple(secret for secret in secrets if secret),
    )


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """libpq takes the user part to end at the first @, unless a / comes first."""
    at, slash = rest.find("@"), rest.find("/")
    if at >= 0 and (slash < 0 or at < slash):
        return rest[:at], rest[at + 1 :]
    return None, rest


def _split_host_port(rest: str, what: str) -> tuple[str, str | None, str]:
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise _bad(what, "an IPv6 host needs its closing ], e.g. postgresql://user@[::1]/db")
        host, rest = rest[: end + 1], rest[end + 1 :]
    else:
        host = re.match(r"[^:/?,]*", rest).group()
        rest = rest[len(host) :]
    port = None
    if rest.startswith(":"):
        port = re.match(r"[^/?,]*", rest[1:]).group()
        rest = rest[1 + len(port) :]
    if rest.startswith(","):
        raise _bad(what, "give one host; lists of hosts are not supported")
    if rest and rest[0] not in "/?":
        raise _bad(what, f"the host is malformed; {PERCENT_ENCODE_HINT}")
    return host, port, rest


def _split_param(pair: str, what: str) -> tuple[str, str, str]:
    """(key, value, value as written) of one query parameter."""
    key, sep, value = pair.partition("=")
    if not sep:
        raise _bad(what, "query parameters must be key=value")
    return _decode(key, what), _decode(value, what), value


def _decode(text: str, what: str) -> str:
    if _BAD_PERCENT.search(text):
        raise _bad(what, f"the URL holds a % that is not a valid escape; {PERCENT_ENCODE_HINT}")
    try:
        return unquote_to_bytes(text).decode()
    except UnicodeDecodeError:
        raise _bad(what, "the URL holds percent-escapes that are not UTF-8") from None


def _encode(text: str) -> str:
    return quote(text, safe="")


def _bad(what: str, reason: str) -> ConfigurationError:
    return ConfigurationError(f"bad {what}: {reason}")


def parse_destination(url: str | None) -> Destination:
    """Parse a destination URL; None means the DuckDB file in the working directory."""
    if not url:
        return Destination("duckdb", f"duckdb:///{Path.cwd() / DEFAULT_DUCKDB_FILE}")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        if not url.removeprefix("duckdb://").strip("/"):
            raise ConfigurationError(
                f"bad destination {url!r}: give a file, e.g. duckdb:///xero.duckdb"
            )
        return Destination("duckdb", url)
    if scheme in POSTGRES_SCHEMES:
        parsed = parse_postgres_url(url)
        if not parsed.host or not parsed.dbname:
            raise ConfigurationError(
                "bad destination: a PostgreSQL URL needs a host and a database, "
                "e.g. postgresql://user@127.0.0.1:5432/warehouse"
            )
        return Destination("postgres", url)
    shown = url.split("://", 1)[0] + "://..." if "://" in url else url
    raise ConfigurationError(
        f"bad destination {shown!r}: use duckdb:///path/to/file.duckdb or postgresql://user@host/db"
    )
