"""Tests: fast hashing, mail kept in memory, static files without a manifest."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min"}}  # noqa: F405
# Tests decide themselves when a task runs in a real worker; by default they run in-process.
# The real worker of tests/celery_worker.py is started with CELERY_TASK_ALWAYS_EAGER=false.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # noqa: F405
# Set by tests/celery_worker.py so each test session's messages stay its own.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "global_keyprefix": env("CELERY_TEST_KEY_PREFIX", default=""),  # noqa: F405
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A fault test points a worker's cache at a Redis that is not there.
if env("TEST_CACHE_URL", default=""):  # noqa: F405
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("TEST_CACHE_URL"),  # noqa: F405
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
# Tests pin the retry schedule; a test that needs another (e.g. a real worker) sets it.
REFUND_RETRY_BASE_SECONDS = env.float("REFUND_RETRY_BASE_SECONDS", default=30.0)  # noqa: F405
# Several suites may run at once on one server (developers, helpers, CI): each pytest
# process gets its own PostgreSQL test database so none drops another's.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    import os as _os

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{_os.getpid()}"  # noqa: F405
    }
# The embedded scheduler thread runs only where a test starts it.
EMBEDDED_SCHEDULER = False
