"""Under CI=true a skipped PostgreSQL test fails the run, in parallel workers too; outside CI
it stays a skip. Runs pytest on a scratch project that uses this folder's conftest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SKIPPING_TEST = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pytest.skip("no server here")

def test_plain():
    pass
"""
PYTEST_INI = "[pytest]\nmarkers =\n    postgres: x\n    slow: x\n"

pytestmark = pytest.mark.slow  # each test runs pytest with two workers


def run_pytest(project: Path, ci: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q"]
    return subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def project(tmp_path) -> Path:
    for name in ("conftest.py", "isolation.py", "sandbox_fixtures.py"):
        shutil.copy(TESTS / name, tmp_path / name)
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    (tmp_path / "test_skipping.py").write_text(SKIPPING_TEST)
    return tmp_path


def test_a_skipped_postgres_test_fails_the_ci_run(project):
    result = run_pytest(project, "true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 PostgreSQL test(s) skipped" in result.stdout
    assert "test_needs_postgres" in result.stdout


def test_outside_ci_it_is_a_skip(project):
    result = run_pytest(project, None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout
