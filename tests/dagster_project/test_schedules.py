"""The sync schedules fan out one run per tenant partition; without tenants they skip."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from dagster_project.definitions import build_definitions

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


@pytest.mark.parametrize(
    "name, job", [("xero_incremental_schedule", "xero_sync_job"),
                  ("xero_reconcile_schedule", "xero_full_refresh_job")],
)  # fmt: skip
def test_one_run_request_per_tenant(definitions, name, job):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenants", ["tenant-a", "tenant-b", "tenant-c"])
        schedule, result = evaluate(definitions, name, instance)
    assert schedule.job_name == job
    assert sorted(r.partition_key for r in result.run_requests) == [
        "tenant-a",
        "tenant-b",
        "tenant-c",
    ]
    assert len({r.run_key for r in result.run_requests}) == 3


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
