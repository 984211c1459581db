"""The machine the benchmark runs on: what it needs, what it is, and who else is busy."""

import contextlib
import os
import platform
import shutil
import time
from pathlib import Path

from bench.common import fail


def preflight():
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        fail(
            "the benchmark runs on PostgreSQL only; SQLite (the default) would measure "
            "SQLite's single writer, not Rescind. Set DATABASE_URL=postgres://user@host:port/db "
            "(the bench creates and drops its own database on that server) and "
            "REDIS_URL=redis://host:port/0, then run `make bench` again."
        )
    if not redis_url.startswith("redis://"):
        fail("the benchmark needs Redis for the broker and workers: set REDIS_URL=redis://...")
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            fail(f"{tool} is not installed (apt-get install {tool}).")
    return database_url, redis_url


def machine_info() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cores": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gb": memory_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def busy_neighbours(own: set[int]) -> list[str]:
    """Processes not started by the benchmark that used CPU in the last second."""

    def ticks():
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2 :].split()
                found[int(entry.name)] = (name, int(fields[11]) + int(fields[12]))
        return found

    before = ticks()
    time.sleep(1)
    after = ticks()
    busy = []
    for pid, (name, total) in after.items():
        if pid in own or pid == os.getpid():
            continue
        used = total - before.get(pid, (name, total))[1]
        if used > 5:  # >5% of one core
            busy.append(f"{name}({used}%)")
    return sorted(busy)[:12]
