"""The Xero Accounting API: the dlt source (`source.py`, described there) and the client,
auth, token store and settings it reads with.

    from pipelines.xero import xero_source
"""

from __future__ import annotations

__all__ = ["XeroCredentials", "resource_name", "xero_source"]


def __getattr__(name: str):
    # The source imports dlt (about half a second); the auth and tenants commands import this
    # package's client modules only, so the source is loaded on first use of its names.
    if name in __all__:
        from pipelines.xero import source

        return getattr(source, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
