"""Triggers as Dagster sensors: attach your own job to "invoice created", "contact
updated", ... (see `pipelines.actions.triggers.TRIGGERS`).

    from dagster_project.triggers import build_trigger_sensor

    defs = dg.Definitions(
        jobs=[chase_new_invoice],
        sensors=[build_trigger_sensor("invoice.created", chase_new_invoice)],
    )

Each run request carries the tags `xero/trigger`, `xero/tenant_id` and `xero/ids` (the
record ids, comma-separated); read them in an op with `context.run.tags`. The sensor's
cursor is the last webhook event it turned into a run, so each event fires once.
"""

from __future__ import annotations

import dagster as dg

from pipelines.actions.triggers import TRIGGERS, new_firings

TRIGGER_TAG = "xero/trigger"
TENANT_TAG = "xero/tenant_id"
IDS_TAG = "xero/ids"


def build_trigger_sensor(
    trigger: str,
    job: dg.JobDefinition | dg.UnresolvedAssetJobDefinition | str,
    *,
    name: str | None = None,
    minimum_interval_seconds: int = 30,
) -> dg.SensorDefinition:
    """A sensor launching `job` once per firing of `trigger` (e.g. "invoice.created")."""

    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    job_name = job if isinstance(job, str) else job.name

    @dg.sensor(
        name=name or f"xero_{trigger.replace('.', '_')}",
        job_name=job_name,
        minimum_interval_seconds=minimum_interval_seconds,
        description=f"Runs {job_name} when Xero reports: {trigger.replace('.', ' ')}",
    )
    def trigger_sensor(context: dg.SensorEvaluationContext):
        firings = new_firings(trigger, int(context.cursor or 0))
        if not firings:
            return dg.SkipReason(f"no new {trigger} events")
        requests = [
            dg.RunRequest(
                run_key=f"{trigger}:{f.tenant_id}:{f.last_event_id}",
                tags={TRIGGER_TAG: trigger, TENANT_TAG: f.tenant_id, IDS_TAG: ",".join(f.ids)},
            )
            for f in firings
        ]
        return dg.SensorResult(run_requests=requests, cursor=str(firings[-1].last_event_id))

    return trigger_sensor
