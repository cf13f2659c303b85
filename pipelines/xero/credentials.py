"""What the source is configured with, resolved by dlt like every verified source.

Credentials come from `[sources.xero.credentials]` in `.dlt/secrets.toml` (or
`SOURCES__XERO__CREDENTIALS__CLIENT_ID`, ...): `client_id` and `client_secret` with a
`refresh_token`, or `client_id` and `client_secret` alone (client credentials), or an
`access_token` for a short run. When none are configured there, the `XERO_*` variables are read
(`auth.auth_from_env`). A refresh token from secrets.toml only seeds the token store: Xero
rotates it on every use and the rotated one is written to the store (`XERO_TOKEN_STORE`, by
default `$XERO_WAREHOUSE_HOME/tokens.json`) before it is used, so it is never lost; the
seed is remembered by its fingerprint and not sent again once rotated.

`cursor_lookback` is where `XERO_CURSOR_LOOKBACK_SECONDS` is read.
"""

from __future__ import annotations

from datetime import timedelta

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue

from pipelines.environment import setting
from pipelines.errors import ConfigurationError
from pipelines.xero.auth import XeroAuth, auth_from_env, build_auth

DEFAULT_CURSOR_LOOKBACK = timedelta(minutes=5)
LOOKBACK_VARIABLE = "XERO_CURSOR_LOOKBACK_SECONDS"


@configspec
class XeroCredentials(CredentialsConfiguration):
    client_id: str | None = None
    client_secret: TSecretStrValue | None = None
    refresh_token: TSecretStrValue | None = None
    access_token: TSecretStrValue | None = None

    def is_configured(self) -> bool:
        return bool(self.client_id or self.access_token)

    def __str__(self) -> str:
        return f"XeroCredentials(client_id={self.client_id!r})"

    __repr__ = __str__


def xero_auth(credentials: XeroCredentials | None, identity_url: str | None = None) -> XeroAuth:
    """The auth for the configured credentials, or for the `XERO_*` variables when none are."""
    if credentials is None or not credentials.is_configured():
        return auth_from_env(identity_url)
    return build_auth(
        access_token=credentials.access_token,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        refresh_token=credentials.refresh_token,
        identity_url=identity_url,
    )


def cursor_lookback(configured: int | None = None) -> timedelta:
    """How far before the saved cursor each incremental read starts: the configured seconds,
    else `XERO_CURSOR_LOOKBACK_SECONDS`, else five minutes. Xero can make a write visible with
    an UpdatedDateUTC older than a cursor already taken; the lookback reads it next time."""
    if configured is not None:
        return _lookback(configured, "cursor_lookback_seconds")
    raw = setting(LOOKBACK_VARIABLE)
    if not raw:
        return DEFAULT_CURSOR_LOOKBACK
    try:
        seconds = int(raw)
    except ValueError:
        raise ConfigurationError(
            f"{LOOKBACK_VARIABLE} must be a whole number of seconds, not {raw!r}"
        ) from None
    return _lookback(seconds, LOOKBACK_VARIABLE)


def _lookback(seconds: int, name: str) -> timedelta:
    if seconds < 0:
        raise ConfigurationError(f"{name} must be 0 or more seconds, not {seconds}")
    return timedelta(seconds=seconds)
