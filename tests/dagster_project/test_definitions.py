"""The code location loads, with the assets, checks, jobs, schedules and sensors we expect."""

import json
from pathlib import Path

import dagster as dg
import pytest
import yaml

from dagster_project.definitions import build_definitions, defs
from dagster_project.executors import DEFAULT_CELERY_BACKEND, DEFAULT_CELERY_BROKER
from dagster_project.ui import prepare_dagster_home
from pipelines.errors import ConfigurationError
from pipelines.models import project_dir, project_manifest
from pipelines.xero.reports import REPORT_NAMES
from pipelines.xero.settings import COLLECTIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return build_definitions()


def test_definitions_validate():
    dg.Definitions.validate_loadable(defs())


def test_one_raw_asset_per_collection_and_report_and_one_reporting_asset_per_model(definitions):
    keys = set(definitions.resolve_asset_graph().get_all_asset_keys())
    raw = {key for key in keys if key.path[0] == "xero"}
    reporting = {key for key in keys if key.path[0] == "reporting"}
    names = [c.name for c in COLLECTIONS] + list(REPORT_NAMES)
    assert raw == {dg.AssetKey(["xero", name]) for name in names}
    assert len(raw) == 36
    models = {path.stem for path in project_dir().glob("models/*/*.sql")}
    assert reporting == {dg.AssetKey(["reporting", name]) for name in models}
    assert keys == raw | reporting


def test_raw_assets_are_partitioned_by_tenant(definitions):
    graph = definitions.resolve_asset_graph()
    invoices = graph.get(dg.AssetKey(["xero", "invoices"]))
    assert invoices.partitions_def == dg.DynamicPartitionsDefinition(name="tenants")
    assert graph.get(next(iter(_reporting_keys(definitions)))).partitions_def is None


def test_model_lineage_follows_refs_and_sources(definitions):
    """Each model's parents are its dbt refs and, for sources, the raw asset that loads the
    table (a child table like invoices__line_items is loaded with its parent)."""
    manifest = json.loads(project_manifest().read_text())
    graph = definitions.resolve_asset_graph()
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert len(models) == 57
    for model in models:
        expected = set()
        for parent in model["depends_on"]["nodes"]:
            kind, _, *_, name = parent.split(".")
            expected.add(
                dg.AssetKey(["xero", name.split("__", 1)[0]])
                if kind == "source"
                else dg.AssetKey(["reporting", name])
            )
        assert graph.get(dg.AssetKey(["reporting", model["name"]])).parent_keys == expected


def test_checks_cover_every_raw_table(definitions):
    checks = definitions.resolve_asset_graph().asset_check_keys
    for collection in COLLECTIONS:
        key = dg.AssetKey(["xero", collection.name])
        for name in ("no_duplicate_keys", "row_count_not_dropped", "fresh"):
            assert dg.AssetCheckKey(key, name) in checks


def test_jobs_schedules_and_sensors(definitions):
    jobs = {job.name for job in definitions.get_repository_def().get_all_jobs()}
    assert {
        "xero_sync_job",
        "xero_full_refresh_job",
        "xero_webhook_job",
        "reporting_job",
        "xero_freshness_job",
        "xero_reports_job",
    } <= jobs
    schedules = {s.name: s for s in definitions.schedules}
    assert schedules["xero_incremental_schedule"].cron_schedule == "0 * * * *"
    assert schedules["xero_reconcile_schedule"].cron_schedule == "0 3 * * 0"
    assert schedules["xero_reconcile_schedule"].job_name == "xero_full_refresh_job"
    assert schedules["xero_reports_schedule"].job_name == "xero_reports_job"
    assert {s.name for s in definitions.sensors} == {
        "xero_tenants_sensor",
        "xero_webhook_sensor",
        "reporting_automation_sensor",
    }


def test_full_refresh_job_sets_full_refresh(definitions):
    job = definitions.resolve_job_def("xero_full_refresh_job")
    assert job.tags["xero/full_refresh"] == "true"
    assert job.get_run_config_for_partition_key("any")["ops"]["xero_raw"]["config"]["full_refresh"]
    webhook = definitions.resolve_job_def("xero_webhook_job")
    assert webhook.get_run_config_for_partition_key("any")["ops"]["xero_raw"]["config"] == {
        "from_webhooks": True
    }


def test_cron_comes_from_the_environment_when_the_location_loads(monkeypatch):
    monkeypatch.setenv("XERO_SYNC_CRON", "*/15 * * * *")
    monkeypatch.setenv("XERO_RECONCILE_CRON", "0 2 * * 6")
    schedules = {s.name: s for s in defs().schedules}
    assert schedules["xero_incremental_schedule"].cron_schedule == "*/15 * * * *"
    assert schedules["xero_reconcile_schedule"].cron_schedule == "0 2 * * 6"


def test_warehouse_steps_share_one_pool(definitions):
    graph = definitions.resolve_asset_graph()
    pools = {graph.get(key).assets_def.op.pool for key in graph.get_all_asset_keys()}
    assert pools == {"xero_warehouse"}


def test_instance_template_turns_telemetry_off_and_limits_concurrency(tmp_path):
    template = ROOT / "dagster_project" / "dagster.yaml"
    assert (ROOT / "dagster_home" / "dagster.yaml").read_text() == template.read_text()
    settings = yaml.safe_load(template.read_text())
    assert settings["telemetry"]["enabled"] is False
    assert settings["concurrency"]["pools"]["default_limit"] == 1
    (tmp_path / "dagster.yaml").write_text(template.read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        concurrency = instance.get_concurrency_config()
    assert concurrency.run_queue_config.tag_concurrency_limits == [
        {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    assert concurrency.pool_config.default_pool_limit == 1
    assert concurrency.pool_config.pool_granularity.value == "run"


def _reporting_keys(definitions):
    return [
        key
        for key in definitions.resolve_asset_graph().get_all_asset_keys()
        if key.path[0] == "reporting"
    ]


def test_a_prepared_dagster_home_limits_the_warehouse_pool(tmp_path):
    home = prepare_dagster_home(tmp_path / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        limits = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
        assert limits == {"xero_warehouse": 1}
        instance.event_log_storage.set_concurrency_slots("xero_warehouse", 8)
    prepare_dagster_home(home)  # a limit set by the operator (PostgreSQL) is kept
    with dg.DagsterInstance.from_config(str(home)) as instance:
        limits = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
        assert limits == {"xero_warehouse": 8}


@pytest.mark.slow
def test_freshness_job_checks_every_raw_table(definitions):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenants", ["tenant-a"])
        result = definitions.resolve_job_def("xero_freshness_job").execute_in_process(
            instance=instance
        )
    evaluations = result.get_asset_check_evaluations()
    assert result.success
    assert {e.asset_key.path[-1] for e in evaluations} == {c.name for c in COLLECTIONS}
    assert not any(e.passed for e in evaluations)  # nothing synced yet


def test_the_executor_is_chosen_by_the_environment(monkeypatch):
    assert defs().executor == dg.in_process_executor
    monkeypatch.setenv("XERO_DAGSTER_EXECUTOR", "celery")
    monkeypatch.setenv("XERO_CELERY_QUEUE", "xero")
    executor = defs().executor
    assert executor.name == "celery"
    config = executor.config_schema.resolve_config({}).value["config"]
    assert config["config_source"] == {"task_default_queue": "xero"}
    assert config["broker"] == "amqp://guest:guest@127.0.0.1:5672//"
    assert config["backend"] == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("XERO_DAGSTER_EXECUTOR", "threads")
    with pytest.raises(ConfigurationError, match="XERO_DAGSTER_EXECUTOR must be one of"):
        defs()


def test_the_celery_deployment_instance_config_is_valid():
    from dagster._core.instance.config import dagster_instance_config

    config, _ = dagster_instance_config(str(ROOT / "deploy" / "celery"))
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_POSTGRES_URL"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["pools"]["default_limit"] > 1
    # the workers' broker and backend are the ones the runs use by default
    worker = yaml.safe_load((ROOT / "deploy" / "celery" / "celery.yaml").read_text())
    assert worker["execution"]["config"] == {
        "broker": DEFAULT_CELERY_BROKER,
        "backend": DEFAULT_CELERY_BACKEND,
    }
