"""What the benchmarks measure in a process: its peak resident memory. `PEAK_RSS` is the
function's source, pasted into the code of child processes."""

from __future__ import annotations

import inspect


def peak_rss_mb() -> float:
    """VmHWM, not ru_maxrss: the latter keeps the parent's size (the sandbox) across
    fork+exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


PEAK_RSS = inspect.getsource(peak_rss_mb)
