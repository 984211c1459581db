"""The checks behind /readyz: can this process serve, and is the work flowing?"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from ops.metrics import outbox_backlog

_migrations_applied = False


def database_check() -> str | None:
    """None when the database answers, else what went wrong."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return f"database: {error.__class__.__name__}: {error}".strip()
    return None


def migrations_check() -> str | None:
    """None when every migration is applied. Once they are, they stay applied for the
    life of the process (a deploy restarts it), so the plan is read only until then."""
    global _migrations_applied
    if _migrations_applied:
        return None
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return f"migrations: {error.__class__.__name__}: {error}"
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        return f"migrations: {len(plan)} not applied ({names})"
    _migrations_applied = True
    return None


def broker_check() -> str | None:
    """None when the broker answers, or when there is none (tasks run in-process)."""
    from celery import current_app as app  # config.celery's, set as current at start-up

    if app.conf.task_always_eager:
        return None
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as error:
        return f"broker: {error.__class__.__name__}: {error}"
    return None


def outbox_state() -> dict:
    """Not a readiness condition (this process can serve), but what an operator looks
    at first: work due longer than OUTBOX_STALL_SECONDS means workers are not taking
    it (stopped, or cut off from the broker)."""
    backlog = outbox_backlog()
    stalled = [
        kind
        for kind, row in backlog.items()
        if row["overdue_seconds"] > settings.OUTBOX_STALL_SECONDS
    ]
    return {"status": "stalled" if stalled else "ok", "stalled": stalled, "kinds": backlog}
