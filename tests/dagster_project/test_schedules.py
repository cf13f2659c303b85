"""The sync schedules fan out one run per batch of tenant partitions (a batch of one is a
plain partition run); without tenants they skip."""

from datetime import UTC, datetime

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from dagster_project.definitions import build_definitions, defs

TICK = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return build_definitions()


def evaluate(definitions, name: str, instance: dg.DagsterInstance):
    repository = definitions.get_repository_def()
    schedule = repository.get_schedule_def(name)
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=TICK, repository_def=repository
    )
    return schedule, schedule.evaluate_tick(context)


def batch(request: dg.RunRequest) -> tuple[str, str]:
    """The first and last tenant partition a run request covers."""
    if request.partition_key:
        return request.partition_key, request.partition_key
    tags = request.tags
    return tags[ASSET_PARTITION_RANGE_START_TAG], tags[ASSET_PARTITION_RANGE_END_TAG]


@pytest.mark.parametrize(
    "name, job", [("xero_incremental_schedule", "xero_sync_job"),
                  ("xero_reconcile_schedule", "xero_full_refresh_job"),
                  ("xero_reports_schedule", "xero_reports_job")],
)  # fmt: skip
def test_one_run_request_per_batch_of_tenants(name, job):
    tenants = [f"tenant-{i:02}" for i in range(5)]
    definitions = build_definitions(tenants_per_run=2)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenants", tenants)
        schedule, result = evaluate(definitions, name, instance)
    assert schedule.job_name == job
    assert [batch(r) for r in result.run_requests] == [
        ("tenant-00", "tenant-01"),
        ("tenant-02", "tenant-03"),
        ("tenant-04", "tenant-04"),
    ]
    assert result.run_requests[-1].partition_key == "tenant-04"
    assert len({r.run_key for r in result.run_requests}) == 3


def test_the_batch_size_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("XERO_TENANTS_PER_RUN", "3")
    definitions = defs()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenants", [f"tenant-{i}" for i in range(7)])
        _, result = evaluate(definitions, "xero_incremental_schedule", instance)
    assert len(result.run_requests) == 3
    raw = definitions.resolve_assets_def(dg.AssetKey(["xero", "invoices"]))
    assert raw.backfill_policy == dg.BackfillPolicy.multi_run(3)


def test_a_few_tenants_share_one_run_by_default(definitions):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenants", ["tenant-a", "tenant-b"])
        _, result = evaluate(definitions, "xero_incremental_schedule", instance)
    assert [batch(r) for r in result.run_requests] == [("tenant-a", "tenant-b")]


def test_run_keys_differ_between_ticks_and_schedules(definitions):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenants", ["tenant-a"])
        _, incremental = evaluate(definitions, "xero_incremental_schedule", instance)
        _, reconcile = evaluate(definitions, "xero_reconcile_schedule", instance)
    assert incremental.run_requests[0].run_key != reconcile.run_requests[0].run_key
    assert TICK.isoformat() in incremental.run_requests[0].run_key


def test_skips_until_the_tenants_sensor_has_added_tenants(definitions):
    with dg.instance_for_test() as instance:
        _, result = evaluate(definitions, "xero_incremental_schedule", instance)
    assert not result.run_requests
    assert "xero_tenants_sensor" in result.skip_message


def test_default_crons_hourly_and_weekly(definitions):
    schedules = {s.name: s for s in definitions.schedules}
    incremental = schedules["xero_incremental_schedule"]
    reconcile = schedules["xero_reconcile_schedule"]
    ticks = incremental.cron_schedule, reconcile.cron_schedule
    assert ticks == ("0 * * * *", "0 3 * * 0")
    assert incremental.execution_timezone == reconcile.execution_timezone == "UTC"
