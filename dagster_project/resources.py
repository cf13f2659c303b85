"""Resource instances for the code location: values resolve from the environment when a
run launches (`dg.EnvVar`), never when this module is imported."""

from __future__ import annotations

import dagster as dg

from assets.resources import XeroApiResource, XeroWarehouseResource


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        # duckdb:///path/file.duckdb or postgresql://user:pass@host/db
        "warehouse": XeroWarehouseResource(destination=dg.EnvVar("XERO_WAREHOUSE_DESTINATION")),
        # credentials and URLs come from the XERO_* variables of the run's environment
        "xero_api": XeroApiResource(),
    }
