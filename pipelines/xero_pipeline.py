"""Load Xero into DuckDB with plain dlt, as any verified source runs.

Put the credentials in `.dlt/secrets.toml` of the directory you run this from:

    [sources.xero.credentials]
    client_id = "..."
    client_secret = "..."
    refresh_token = "..."  # seeds the token store; the rotated ones are kept there

then run `python pipelines/xero_pipeline.py`: the tables land in `xero_pipeline.duckdb`,
schema `xero`. The first run reads everything, the next ones what changed since (per tenant
and collection).
"""

from __future__ import annotations

import dlt

from pipelines.xero import xero_source


def load_all_tenants() -> None:
    """Every collection of every organisation the credentials reach."""
    # the DuckDB file is named after the pipeline; a file named like the schema (xero.duckdb
    # holding schema xero) makes DuckDB's names ambiguous
    pipeline = dlt.pipeline(
        pipeline_name="xero_pipeline", destination="duckdb", dataset_name="xero"
    )
    load_info = pipeline.run(xero_source(), loader_file_format="parquet")
    print(load_info)


def load_invoices_of_one_tenant(tenant_id: str) -> None:
    """Invoices and contacts of one organisation, in a pipeline of their own."""
    pipeline = dlt.pipeline(
        pipeline_name="xero_invoices", destination="duckdb", dataset_name="xero"
    )
    source = xero_source(tenant_id=tenant_id, resources=["invoices", "contacts"])
    print(pipeline.run(source, loader_file_format="parquet"))


if __name__ == "__main__":
    load_all_tenants()
