"""What every part of the benchmark shares: its paths, its tenants and its console output."""

import secrets
import socket
import sys
import time
import urllib.parse
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
PY = sys.executable
BIN = Path(PY).parent
RETAILERS = ["acme", "globex"]
AGENT_PASSWORD = "bench-" + secrets.token_hex(8)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


_bars: dict[str, tqdm] = {}


def bar(label: str, done: float, total: float, extra: str = "") -> None:
    """Progress of `label`, `done` of `total`, redrawn in place on a terminal (tqdm).

    Off a terminal (a CI log, `make bench > file`) only the finished line is written.
    """
    progress = _bars.get(label)
    if progress is None:
        progress = _bars[label] = tqdm(
            total=total,
            desc=f"  {label}",
            disable=None,
            ncols=100,
            file=sys.stdout,
            bar_format="{desc:<30} {bar} {postfix}",
        )
    progress.n = min(done, total)
    progress.set_postfix_str(extra, refresh=False)
    progress.refresh()
    if done >= total:
        progress.close()
        del _bars[label]
        if progress.disable:
            print(f"  {label:<28} {extra}", flush=True)


def fail(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def with_path(url: str, path: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=path))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
