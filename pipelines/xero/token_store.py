"""Where OAuth tokens live between runs: one interface, two backends.

- a JSON file under `$XERO_WAREHOUSE_HOME` (default `~/.xero-warehouse/tokens.json`), mode 0600,
  replaced atomically and guarded by a lock file (`tokens.json.lock`, 0600; `filelock`, so
  flock on Unix and msvcrt on Windows) shared by every process on the machine;
- a PostgreSQL table (`XERO_TOKEN_STORE=postgresql://...`) for deployments that run on several
  machines, guarded by a row lock (`select ... for update`).

Tokens are keyed by the app's client id. Every change goes through `store.transaction(client_id)`:
inside it the caller holds the lock, sees the current row (re-read, since another process may
have rotated the token a moment ago) and saves or deletes it before the lock is released.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from filelock import FileLock, Timeout

from pipelines.destination import parse_postgres_url
from pipelines.environment import setting, state_home
from pipelines.errors import ConfigurationError

TABLE = "xero_warehouse_tokens"
# A refresh under the lock takes at most a few token requests with their retries; a lock
# held longer than this belongs to a stuck process.
LOCK_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True, repr=False)
class StoredToken:
    """The tokens of one app (client id). Times are Unix seconds."""

    client_id: str
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: float | None = None
    scope: str = ""
    # sha256 of the XERO_REFRESH_TOKEN that seeded this row: a different value in the
    # environment means the user supplied a new token on purpose
    seed_fingerprint: str | None = None
    updated_at: float = field(default_factory=time.time)

    def __repr__(self) -> str:
        return (
            f"StoredToken(client_id={self.client_id!r}, access_token={_mask(self.access_token)}, "
            f"refresh_token={_mask(self.refresh_token)}, expires_at={self.expires_at!r}, "
            f"scope={self.scope!r})"
        )

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        if not self.access_token or self.expires_at is None:
            return True
        return self.expires_at - seconds <= (time.time() if now is None else now)


def _mask(secret: str | None) -> str:
    return "None" if secret is None else "'***'"


class TokenTransaction:
    """What a caller sees while it holds the store's lock for one client id."""

    def __init__(self, current: StoredToken | None):
        self.current = current
        self.saved: StoredToken | None = None
        self.deleted = False

    def save(self, token: StoredToken) -> None:
        self.saved, self.deleted, self.current = token, False, token

    def delete(self) -> None:
        self.saved, self.deleted, self.current = None, True, None


class TokenStore:
    """Interface of both backends."""

    location: str  # where the tokens are, safe to print

    def load(self, client_id: str) -> StoredToken | None:
        raise NotImplementedError

    def client_ids(self) -> list[str]:
        raise NotImplementedError

    @contextlib.contextmanager
    def transaction(self, client_id: str) -> Iterator[TokenTransaction]:
        raise NotImplementedError
        yield  # pragma: no cover

    def delete(self, client_id: str) -> None:
        with self.transaction(client_id) as tx:
            tx.delete()

    def check_writable(self) -> None:
        """Raise ConfigurationError when tokens could not be saved here."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"


def token_store_from_env() -> TokenStore:
    """`XERO_TOKEN_STORE`: a postgresql:// URL, a file path (or file:// URL), or unset for
    `$XERO_WAREHOUSE_HOME/tokens.json`."""
    location = setting("XERO_TOKEN_STORE")
    if not location:
        return FileTokenStore(state_home() / "tokens.json")
    scheme = urlsplit(location).scheme
    if scheme in ("postgresql", "postgres"):
        return PostgresTokenStore(location)
    if scheme == "file":
        return FileTokenStore(Path(urlsplit(location).path))
    if scheme and len(scheme) > 1:
        raise ConfigurationError(
            f"XERO_TOKEN_STORE must be a postgresql:// URL or a file path, not a {scheme}:// URL"
        )
    return FileTokenStore(Path(location).expanduser())


# --- file backend ----------------------------------------------------------------------------


class FileTokenStore(TokenStore):
    def __init__(self, path: Path):
        self.path = Path(path)
        self.location = str(self.path)

    def load(self, client_id: str) -> StoredToken | None:
        return self._read().get(client_id)

    def client_ids(self) -> list[str]:
        return sorted(self._read())

    @contextlib.contextmanager
    def transaction(self, client_id: str) -> Iterator[TokenTransaction]:
        lock = FileLock(
            self.path.with_name(self.path.name + ".lock"),
            mode=0o600,
            timeout=LOCK_TIMEOUT_SECONDS,
            fallback_to_soft=False,  # a lock file left by a killed process would block forever
        )
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock.acquire()
        except OSError as exc:
            raise self._unwritable(exc) from None
        except Timeout:
            raise ConfigurationError(
                f"another process has held the token store lock {lock.lock_file} for over "
                f"{LOCK_TIMEOUT_SECONDS:.0f} s; stop it, or delete the lock file if none runs"
            ) from None
        try:
            tokens = self._read()
            tx = TokenTransaction(tokens.get(client_id))
            yield tx
            if tx.saved is not None:
                tokens[client_id] = tx.saved
                self._write(tokens)
            elif tx.deleted and client_id in tokens:
                del tokens[client_id]
                self._write(tokens)
        finally:
            lock.release()

    def check_writable(self) -> None:
        self._read()
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.path.parent):
                pass
        except OSError as exc:
            raise self._unwritable(exc) from None

    def _read(self) -> dict[str, StoredToken]:
        text = self._read_text()
        if text is None:
            return {}
        try:
            rows = json.loads(text)["tokens"]
            return {client_id: _from_row(row) for client_id, row in rows.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigurationError(
                f"the token store {self.path} is not readable ({type(exc).__name__}); "
                "delete it and run `xero-warehouse auth login`"
            ) from None

    def _read_text(self) -> str | None:
        """The file's text, None when there is none yet. Anything but a regular file (a
        directory, a FIFO that would block) is refused before it is opened."""
        try:
            if not stat.S_ISREG(self.path.stat().st_mode):
                raise IsADirectoryError(0, "not a regular file")
            return self.path.read_bytes().decode()
        except FileNotFoundError:
            return None
        except OSError as exc:  # unreadable, or a home that is a file
            raise ConfigurationError(
                f"cannot read the token store {self.path}: {exc.strerror or type(exc).__name__}"
                "; it must be a file this user can read (or set XERO_TOKEN_STORE)"
            ) from None
        except UnicodeDecodeError:
            raise ConfigurationError(
                f"the token store {self.path} is not readable (not UTF-8 text); "
                "delete it and run `xero-warehouse auth login`"
            ) from None

    def _unwritable(self, exc: OSError) -> ConfigurationError:
        return ConfigurationError(
            f"cannot write the token store in {self.path.parent}: "
            f"{exc.strerror or type(exc).__name__}; XERO_WAREHOUSE_HOME (or XERO_TOKEN_STORE) "
            "must name a directory this user can write"
        )

    def _write(self, tokens: dict[str, StoredToken]) -> None:
        body = json.dumps(
            {"version": 1, "tokens": {key: asdict(value) for key, value in tokens.items()}},
            indent=2,
            sort_keys=True,
        )
        try:
            fd, temp = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)  # mode 0600
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _from_row(row: dict) -> StoredToken:
    known = {f.name for f in fields(StoredToken)}
    return StoredToken(**{key: value for key, value in row.items() if key in known})


# --- PostgreSQL backend ----------------------------------------------------------------------

_COLUMNS = (
    "access_token",
    "refresh_token",
    "expires_at",
    "scope",
    "seed_fingerprint",
    "updated_at",
)


class PostgresTokenStore(TokenStore):
    """Table `xero_warehouse_tokens` (created on first use) in the URL's database. A
    `?schema=NAME` query parameter puts it in another schema."""

    def __init__(self, url: str):
        parsed = parse_postgres_url(url, what="XERO_TOKEN_STORE")
        self._schema = parsed.param("schema")
        self._dsn = parsed.dsn(drop=("schema",))
        self._redact = parsed.redact
        self.location = parsed.shown
        self._table = f'"{self._schema}".{TABLE}' if self._schema else TABLE
        self._ready = False

    def _connect(self):
        import psycopg2  # only for a token store on PostgreSQL

        try:
            connection = psycopg2.connect(self._dsn, connect_timeout=10)
        except psycopg2.OperationalError as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigurationError(
                f"cannot reach the token store {self.location}: {self._redact(message)}"
            ) from None
        if not self._ready:
            self._create_table(connection)
        return connection

    def check_writable(self) -> None:
        self._connect().close()  # creates the table

    def _create_table(self, connection) -> None:
        with connection, connection.cursor() as cursor:
            # an advisory lock: concurrent `create table if not exists` can collide
            cursor.execute("select pg_advisory_xact_lock(hashtext(%s))", (TABLE,))
            if self._schema:
                cursor.execute(f'create schema if not exists "{self._schema}"')
            cursor.execute(
                f"create table if not exists {self._table} ("
                " client_id text primary key, access_token text, refresh_token text,"
                " expires_at double precision, scope text not null default '',"
                " seed_fingerprint text, updated_at double precision not null)"
            )
        self._ready = True

    def load(self, client_id: str) -> StoredToken | None:
        connection = self._connect()
        try:
            with connection, connection.cursor() as cursor:
                return self._select(cursor, client_id, lock=False)
        finally:
            connection.close()

    def client_ids(self) -> list[str]:
        connection = self._connect()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(
                    f"select client_id from {self._table} where refresh_token is not null"
                    " or access_token is not null order by client_id"
                )
                return [row[0] for row in cursor.fetchall()]
        finally:
            connection.close()

    @contextlib.contextmanager
    def transaction(self, client_id: str) -> Iterator[TokenTransaction]:
        connection = self._connect()
        try:
            with connection, connection.cursor() as cursor:
                # the row must exist for `for update` to have something to lock
                cursor.execute(
                    f"insert into {self._table} (client_id, updated_at) values (%s, %s)"
                    " on conflict (client_id) do nothing",
                    (client_id, time.time()),
                )
                tx = TokenTransaction(self._select(cursor, client_id, lock=True))
                yield tx
                if tx.saved is not None:
                    values = [getattr(tx.saved, column) for column in _COLUMNS]
                    cursor.execute(
                        f"update {self._table} set "
                        + ", ".join(f"{column} = %s" for column in _COLUMNS)
                        + " where client_id = %s",
                        (*values, client_id),
                    )
                elif tx.deleted:
                    cursor.execute(f"delete from {self._table} where client_id = %s", (client_id,))
        finally:
            connection.close()

    def _select(self, cursor, client_id: str, lock: bool) -> StoredToken | None:
        cursor.execute(
            f"select {', '.join(_COLUMNS)} from {self._table} where client_id = %s"
            + (" for update" if lock else ""),
            (client_id,),
        )
        row = cursor.fetchone()
        if row is None or (row[0] is None and row[1] is None):
            return None
        token = StoredToken(client_id=client_id, **dict(zip(_COLUMNS, row, strict=True)))
        return replace(token, scope=token.scope or "")
