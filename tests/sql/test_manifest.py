"""The dbt manifest Dagster loads: processes that load the definitions at the same time (a
run and its workers) each get a whole manifest, however many parse it."""

from __future__ import annotations

import json
import os
import sys

import pytest
from processes import run_at_once

pytestmark = pytest.mark.slow

READ_MANIFEST = (
    "import json; from pipelines.models import project_manifest;"
    " print(len(json.loads(project_manifest().read_text())['nodes']))"
)


def test_processes_parsing_at_once_each_read_a_whole_manifest(tmp_path):
    env = {**os.environ, "XERO_WAREHOUSE_HOME": str(tmp_path / "home")}
    outputs = run_at_once([[sys.executable, "-c", READ_MANIFEST]] * 3, env=env, timeout=300)
    counts = {int(stdout.strip().splitlines()[-1]) for stdout, _ in outputs}
    assert len(counts) == 1 and counts.pop() > 50  # every model, test and source
    manifest = tmp_path / "home" / "dbt" / "manifest" / "manifest.json"
    assert json.loads(manifest.read_text())["nodes"]
