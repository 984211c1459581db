"""What every part of the benchmark shares: its paths, its tenants and its console output."""

import secrets
import socket
import sys
import time
import urllib.parse
from pathlib import Path

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


def bar(label: str, done: float, total: float, extra: str = "") -> None:
    width = 30
    filled = int(width * min(1.0, done / total)) if total else width
    end = "\n" if done >= total else ""
    print(
        f"\r  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {extra}",
        end=end,
        flush=True,
    )


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
