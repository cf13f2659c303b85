"""Processes started together: what races between processes need."""

from __future__ import annotations

import subprocess


def run_at_once(
    commands: list[list[str]], *, env: dict | None = None, timeout: float = 600, label: str = ""
) -> list[tuple[str, str]]:
    """Start every command at once and wait for all; fail with the stderr of one that did not
    exit 0. Returns each command's (stdout, stderr), in order."""
    processes = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for command in commands
    ]
    outcomes = [process.communicate(timeout=timeout) for process in processes]
    for process, (_, stderr) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, f"{label}{stderr[-2000:]}"
    return outcomes
