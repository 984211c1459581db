from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations (SPEC §13): health, readiness, metrics, invariants and the embedded
    scheduler. It reads every domain, so it sits at the top beside desk/."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self):
        from ops import metrics

        metrics.task_signals_connect()
