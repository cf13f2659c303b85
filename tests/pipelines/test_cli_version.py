"""`xero-warehouse --version` prints the version pyproject.toml declares."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_version_is_the_projects():
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("xero-warehouse")), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"xero-warehouse {declared}"
