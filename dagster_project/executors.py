"""Where a run's steps execute, chosen by `XERO_DAGSTER_EXECUTOR`:

- `in_process` (the default): in the run's own process. DuckDB allows one writing process per
  file, and a run of the raw tables is one step anyway.
- `multiprocess`: each step in a child process of the run, on the run's machine.
- `celery`: each step on a dagster-celery worker, on any machine listening on the broker
  (`XERO_CELERY_BROKER`, default RabbitMQ on localhost) and queue (`XERO_CELERY_QUEUE`,
  default `dagster`), results through `XERO_CELERY_BACKEND` (default Redis on localhost).
  For a PostgreSQL warehouse: see deploy/celery.
"""

from __future__ import annotations

import dagster as dg

from pipelines.environment import setting
from pipelines.errors import ConfigurationError

EXECUTORS = ("in_process", "multiprocess", "celery")
DEFAULT_CELERY_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_CELERY_BACKEND = "redis://127.0.0.1:6379/0"
DEFAULT_CELERY_QUEUE = "dagster"


def executor_from_settings() -> dg.ExecutorDefinition:
    """The executor `XERO_DAGSTER_EXECUTOR` names, configured from the environment."""
    kind = setting("XERO_DAGSTER_EXECUTOR") or "in_process"
    if kind not in EXECUTORS:
        raise ConfigurationError(
            f"XERO_DAGSTER_EXECUTOR must be one of {', '.join(EXECUTORS)}, not {kind!r}"
        )
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "multiprocess":
        return dg.multiprocess_executor
    return celery_executor(
        broker=setting("XERO_CELERY_BROKER") or DEFAULT_CELERY_BROKER,
        backend=setting("XERO_CELERY_BACKEND") or DEFAULT_CELERY_BACKEND,
        queue=setting("XERO_CELERY_QUEUE") or DEFAULT_CELERY_QUEUE,
    )


def celery_executor(broker: str, backend: str, queue: str) -> dg.ExecutorDefinition:
    """dagster-celery's executor sending steps to `queue`; its workers must listen there
    (`dagster-celery worker start -q <queue>`)."""
    from dagster_celery import celery_executor as dagster_celery_executor

    return dagster_celery_executor.configured(
        {"broker": broker, "backend": backend, "config_source": {"task_default_queue": queue}},
        name="celery",
    )
