"""Errors to Sentry when SENTRY_DSN is set: web requests (Django) and tasks (Celery)."""


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0, **options):
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        # Personal data (customers' e-mail addresses and names, staff users) is not sent:
        # the SDK's default, relied upon here.
        integrations=[DjangoIntegration(), CeleryIntegration()],
        **options,
    )
