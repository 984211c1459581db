"""The embedded default's scheduler: CELERY_BEAT_SCHEDULE run by a thread of the web
process when there is no broker (SPEC §13).

Under `make run` tasks run in-process (CELERY_TASK_ALWAYS_EAGER) and no `celery beat`
runs, so without this nothing lapses: confirmations never expire, sweeps never retry.
`scheduler_start_embedded()` is called once from config/wsgi.py, i.e. by the process
that serves (runserver's serving child, gunicorn's workers), never by management
commands or tests; it starts only when EMBEDDED_SCHEDULER is on, which it is by default
exactly when there is no broker. Under a real broker `celery beat` does the work.

Every scheduled task is safe to run twice, so a second web process running its own
scheduler (gunicorn with several workers and no broker) does no harm, only more work.
"""

import logging
import threading
from datetime import datetime

from celery.schedules import maybe_schedule
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

_started: "EmbeddedScheduler | None" = None
_lock = threading.Lock()


class EmbeddedScheduler:
    """Runs each entry of `schedule` (CELERY_BEAT_SCHEDULE's shape) when it is due,
    in its own thread, one task after the other."""

    def __init__(self, schedule: dict, *, tick: float = 1.0, run_at_start: bool = True):
        self.entries = {name: maybe_schedule(entry["schedule"]) for name, entry in schedule.items()}
        self.tasks = {name: entry["task"] for name, entry in schedule.items()}
        self.tick = tick
        now = timezone.now()
        # Never run before: due at once (a sweep after a restart is what is wanted).
        self.last_run: dict[str, datetime | None] = {
            name: None if run_at_start else now for name in self.entries
        }
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="embedded-scheduler", daemon=True)

    def start(self) -> "EmbeddedScheduler":
        self.thread.start()
        logger.info("embedded scheduler: %d task(s) on their schedule", len(self.entries))
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.thread.join(timeout)

    def run_due(self, now: datetime | None = None) -> list[str]:
        """Run every entry that is due; return their names."""
        now = now or timezone.now()
        ran = []
        for name, schedule in self.entries.items():
            last = self.last_run[name]
            if last is not None and not schedule.is_due(last).is_due:
                continue
            self.last_run[name] = now
            try:
                # In-process, as an eager .delay() would; by path, since the task
                # modules are imported lazily.
                import_string(self.tasks[name]).apply()
            except Exception:
                logger.exception("embedded scheduler: %s failed", name)
            ran.append(name)
        return ran

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                close_old_connections()
                self.run_due()
                self._stop.wait(self.tick)
        finally:
            connection.close()


def scheduler_start_embedded() -> EmbeddedScheduler | None:
    """Start the scheduler once per process, if this deployment wants one."""
    global _started
    if not settings.EMBEDDED_SCHEDULER:
        return None
    with _lock:
        if _started is None:
            _started = EmbeddedScheduler(settings.CELERY_BEAT_SCHEDULE).start()
    return _started
