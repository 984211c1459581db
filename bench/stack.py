"""The processes the benchmark starts: the sink, gunicorn and the Celery workers."""

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import BIN, PY, ROOT, fail, say


class Stack:
    """The processes the benchmark starts; stopped in reverse order, by their own ids."""

    def __init__(self, env, data: Path):
        self.env = env
        self.data = data
        self.procs: dict[str, subprocess.Popen] = {}
        data.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        log = open(self.data / f"{name}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=kwargs.pop("env", self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopping it stops its children
            **kwargs,
        )
        self.procs[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)

    def pids(self) -> set[int]:
        """Our processes and their children (for telling our load from the neighbours')."""
        own = set()
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = (entry / "stat").read_text()
                    ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
                    children.setdefault(ppid, []).append(int(entry.name))
        todo = [os.getpid(), *(p.pid for p in self.procs.values())]
        while todo:
            pid = todo.pop()
            if pid not in own:
                own.add(pid)
                todo.extend(children.get(pid, []))
        return own

    def check(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is not None:
            log = self.data / f"{name}.log"
            tail = log.read_text()[-3000:]
            fail(f"{name} exited ({proc.returncode}); end of {log.relative_to(ROOT)}:\n{tail}")


def django(env, *args, check=True, capture=False, **kwargs):
    return subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        text=True,
        capture_output=capture,
        **kwargs,
    )


def wait_http(url: str, headers: dict, timeout: float, what: str, stack: Stack, name: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check(name)
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2):
                return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    fail(f"{what} did not answer within {timeout:.0f}s")


def start_web(bench) -> None:
    """The sink, then gunicorn as the README deploys it; returns once it answers."""
    cfg = bench.cfg
    bench.stack.start(
        "sink",
        [
            PY,
            "-m",
            "bench.sink",
            "--smtp-port",
            str(bench.smtp_port),
            "--http-port",
            str(bench.sink_port),
        ],
    )
    # The README's production command; the worker count is the one knob we choose.
    bench.stack.start(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(cfg.web_workers),
            "--bind",
            f"127.0.0.1:{bench.web_port}",
        ],
    )
    key = bench.keys()[0]
    wait_http(
        f"{bench.base}/bench/orders/1",
        {"Authorization": f"Bearer {key}"},
        60,
        "gunicorn",
        bench.stack,
        "gunicorn",
    )
    say(f"gunicorn up on :{bench.web_port} ({cfg.web_workers} workers, production settings)")


def start_workers(bench) -> None:
    """The Celery worker on an empty queue; returns once it is ready."""
    import redis

    redis.Redis.from_url(bench.redis_url).flushdb()  # tasks left by the submit phase
    bench.stack.start(
        "celery",
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(bench.cfg.celery_concurrency),
        ],
    )
    deadline = time.monotonic() + 60
    log = bench.data / "celery.log"
    while "ready." not in log.read_text():
        bench.stack.check("celery")
        if time.monotonic() > deadline:
            fail(f"the Celery worker did not start within 60s ({log.relative_to(ROOT)})")
        time.sleep(0.3)
    say(f"celery worker ready ({bench.cfg.celery_concurrency} processes)")
