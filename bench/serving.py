"""Helpers of the benchmarks that run a live explorer: a free loopback port, a process's RSS
and CPU time."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


# A change made from inside the page (a <select> set and its change event), timed in the
# page: t0 at the change event, t1 when the component has redrawn with data of a new
# serial (its redraw is synchronous); NaN after 60 s.
CHANGE_JS = """async ([sel, root, value]) => {
  const before = root.__spacewarp.serial;
  const done = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      if (root.__spacewarp.serial !== before) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(root, {attributes: true, attributeFilter: ['data-sw-version']});
  });
  const t0 = performance.now();
  sel.value = value;
  sel.dispatchEvent(new Event('change'));
  const t1 = await Promise.race([done, new Promise(r => setTimeout(() => r(NaN), 60000))]);
  return t1 - t0;
}"""
