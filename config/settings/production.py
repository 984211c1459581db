"""Production: everything from the environment, secure by default (`check --deploy`)."""

from .base import *  # noqa: F403
from .base import env, logging_config

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers and Prometheus probe the process directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# Counting every open case on each queue view costs 50 ms of database time at 100k open
# cases; counts ten seconds old are as good to an agent.
QUEUE_COUNTS_CACHE_SECONDS = env.int("QUEUE_COUNTS_CACHE_SECONDS", default=10)
# One JSON object per log line, each with its request id (SPEC §13).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env("LOG_LEVEL", default="INFO"))
DEMO_DATA_ALLOWED = False
