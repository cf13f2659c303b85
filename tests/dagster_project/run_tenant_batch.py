"""One run of some raw tables over a range of tenant partitions, executed on the Dagster
instance of $DAGSTER_HOME with the code location's executor, as a deployment's run process
executes a batch: `python run_tenant_batch.py FIRST LAST TABLE...`. Prints the run id; exit
code 0 when the run succeeded."""

import os
import sys

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from dagster_project.jobs import XERO_SYNC_JOB


def main(first: str, last: str, tables: list[str]) -> int:
    repository = ReconstructableRepository.for_module(
        "dagster_project.definitions", "defs", working_directory=os.getcwd()
    )
    job = repository.get_reconstructable_job(XERO_SYNC_JOB)
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            job,
            instance,
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
            asset_selection=[dg.AssetKey(["xero", table]) for table in tables],
        )
        print(result.run_id, flush=True)
        return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
