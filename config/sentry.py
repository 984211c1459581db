"""Errors to Sentry when SENTRY_DSN is set: web requests (Django) and tasks (Celery)."""


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0, **options):
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        # Customers' e-mail addresses and names stay here: no request bodies, no users.
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        **options,
    )
