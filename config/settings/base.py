"""Settings shared by every environment, read from the environment with django-environ.

With no environment at all this is the embedded mode a newcomer gets from `make run`:
SQLite, an in-process cache, and Celery tasks run in-process. `DATABASE_URL` and
`REDIS_URL` switch to PostgreSQL and to a real broker with separate worker processes.
"""

from datetime import timedelta
from pathlib import Path

import environ

from config.sentry import sentry_init
from kernel.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The product's own apps, one per domain; admin permissions and test fixtures follow it.
PRODUCT_APPS = (
    "retailers",
    "orders",
    "cancellations",
    "refunds",
    "inventory",
    "notifications",
    "returns",
    "disputes",
    "reporting",
    "desk",
    "portal",
    "connectors",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    *PRODUCT_APPS,
    "demo",
    "ops",
]

MIDDLEWARE = [
    "kernel.middleware.RequestIdMiddleware",
    "ops.middleware.RequestMetricsMiddleware",
    "kernel.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two concurrent
    # writers queue up instead of failing half-way with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Parameters bound by the server, and statements a connection runs repeatedly
    # prepared once (psycopg prepares one on its `prepare_threshold`-th run): PostgreSQL
    # stops parsing and planning the same few dozen statements on every request.
    # Measured on a submission: 5.6 -> 3.0 ms of database CPU, Python no slower.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": env.bool("DATABASE_SERVER_SIDE_BINDING", default=True),
            "prepare_threshold": env.int("DATABASE_PREPARE_THRESHOLD", default=2),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The queue's covering index (cancellations) lists non-key columns that only PostgreSQL
# stores; SQLite builds the same index without them, which is fine for the embedded mode.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Short timeouts: when Redis is down or unreachable every cache use degrades at once
    # (kernel.cache) instead of holding the request for the OS's connect timeout.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("CACHE_TIMEOUT", default=0.5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/queue/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 10)  # one shift
# Sessions are kept in the database and read through the cache: an agent's every page
# saves the session query (0.5-0.9 ms of CPU per page, measured on the queue). When the
# cache is down they are read from the database alone (kernel.sessions).
SESSION_ENGINE = "kernel.sessions"

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# account, or from one address, sign-in is refused for AXES_COOLOFF_MINUTES. Kept in
# the database, so a cache outage neither lifts nor breaks it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): scripts and styles only from our own static
# files (htmx is vendored, no CDN). Style attributes stay allowed: the agent screens'
# htmx fragments carry a few, and an attribute cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Rescind <no-reply@rescind.example>")

# --- REST API -------------------------------------------------------------------------
# A JSON body larger than this is refused with a problem+json 413 before it is read.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# A URL (path and query) longer than this is refused with 414 (kernel.middleware);
# gunicorn's own limit is lifted (config/gunicorn.py) so that the answer is ours.
MAX_URL_BYTES = env.int("MAX_URL_BYTES", default=8192)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["retailers.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["retailers.api.authentication.HasApiKey"],
    "DEFAULT_PARSER_CLASSES": ["kernel.api.DecimalJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["kernel.api.ProblemAwareJSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["retailers.api.authentication.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env("API_RATE_LIMIT", default="6000/min")},
    "DEFAULT_PAGINATION_CLASS": "kernel.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kernel.api.problem_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Rescind API",
    "DESCRIPTION": (
        "Storefront API of Rescind, the cancellation back office. Authenticate with "
        "`Authorization: Bearer <api key>`. Errors are RFC 9457 problem details with a "
        "stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CancellationReasonEnum": "cancellations.models.Reason",
        "ReturnReasonEnum": "returns.models.Reason",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kernel.schema.problem_media_type_hook",
    ],
}

# --- Celery ---------------------------------------------------------------------------
# Without a broker, tasks run in-process (eagerly) so a laptop needs nothing else.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message to be redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses the broker reconnects by itself, for as long as it takes (None:
# no limit), instead of exiting; what it was running is redelivered (acks_late) rather
# than finished against a connection that is gone. A supervisor restarts it anyway if
# it ever exits (docs/deploy.md).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=4.0)
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing must not hang a web request when the broker is down: the row stays pending
# and the sweep sends it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Redis: probe idle connections, so a broker restart is noticed within seconds.
    "health_check_interval": 10,
    "retry_on_timeout": True,
}
CELERY_BEAT_SCHEDULE = {
    "cancellations-expire-confirmations": {
        "task": "cancellations.tasks.expire_awaiting_confirmations",
        "schedule": timedelta(minutes=5),
    },
    "retailers-purge-idempotency-keys": {
        "task": "retailers.tasks.purge_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "refunds-sweep-pending": {
        "task": "refunds.tasks.sweep_pending_refunds",
        "schedule": timedelta(minutes=1),
    },
    "refunds-sweep-store-credits": {
        "task": "refunds.tasks.sweep_pending_store_credits",
        "schedule": timedelta(minutes=1),
    },
    "returns-expire": {
        "task": "returns.tasks.expire_returns",
        "schedule": timedelta(minutes=15),
    },
    "notifications-sweep-pending": {
        "task": "notifications.tasks.sweep_pending_messages",
        "schedule": timedelta(minutes=1),
    },
    "cancellations-warehouse-no-answer": {
        "task": "cancellations.tasks.warehouse_no_answer",
        "schedule": timedelta(minutes=5),
    },
    "orders-send-fulfillment-requests": {
        "task": "orders.tasks.sweep_fulfillment_requests",
        "schedule": timedelta(minutes=1),
    },
    "connectors-process-shopify-deliveries": {
        "task": "connectors.tasks.sweep_shopify_deliveries",
        "schedule": timedelta(minutes=1),
    },
    "notifications-sweep-webhooks": {
        "task": "notifications.tasks.sweep_pending_webhooks",
        "schedule": timedelta(minutes=1),
    },
}

# --- Product --------------------------------------------------------------------------
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))
# Refunds retry transient gateway failures with capped exponential backoff, then fail for
# good (needs attention). In the embedded mode nothing runs later, so retries are at once.
REFUND_MAX_ATTEMPTS = env.int("REFUND_MAX_ATTEMPTS", default=12)
REFUND_RETRY_BASE_SECONDS = env.float(
    "REFUND_RETRY_BASE_SECONDS", default=0.0 if CELERY_TASK_ALWAYS_EAGER else 2.0
)
REFUND_RETRY_CAP_SECONDS = env.float("REFUND_RETRY_CAP_SECONDS", default=3600.0)
# Seconds the agent queue's tab counts are kept per user and filter (0: counted on every
# view, as in development and tests); production keeps them briefly, see production.py.
QUEUE_COUNTS_CACHE_SECONDS = env.int("QUEUE_COUNTS_CACHE_SECONDS", default=0)
# A worker's claim on an outbox row (a message, a webhook delivery) holds this long before
# the sweep may send the row again: a worker that died mid-send delays it this much.
OUTBOX_CLAIM_LEASE_SECONDS = env.int("OUTBOX_CLAIM_LEASE_SECONDS", default=600)
# Where links in customer messages point (the confirmation page lives here).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Connectors (SPEC §12) --------------------------------------------------------------
# Fernet keys sealing connector secrets at rest (retailers.secrets): the first seals,
# every one opens. Empty: one key derived from SECRET_KEY.
CONNECTOR_SECRET_KEYS = env.list("CONNECTOR_SECRET_KEYS", default=[])
# Where a connected shop's Admin API answers; {shop} and {version} are filled in.
SHOPIFY_ADMIN_URL = env(
    "SHOPIFY_ADMIN_URL", default="https://{shop}/admin/api/{version}/graphql.json"
)
# Raw webhook bodies above this are refused (413) before they are read; under Django's
# own DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which would answer its HTML 400 instead.
SHOPIFY_WEBHOOK_MAX_BYTES = env.int("SHOPIFY_WEBHOOK_MAX_BYTES", default=2 * 1024 * 1024)

LOG_FORMAT = env("LOG_FORMAT", default="plain")  # "json" in production: one object a line
LOGGING = logging_config(log_format=LOG_FORMAT, level=env("LOG_LEVEL", default="INFO"))

# --- Operations (SPEC §13, the ops app) -----------------------------------------------
# /metrics answers these addresses, or a request with `Authorization: Bearer <token>`;
# anyone else gets 403. Neither is set by default: nobody reads the metrics.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# The embedded default (no broker) runs CELERY_BEAT_SCHEDULE in a thread of the web
# process (ops.scheduler); under a real broker `celery beat` does it.
EMBEDDED_SCHEDULER = env.bool("EMBEDDED_SCHEDULER", default=CELERY_TASK_ALWAYS_EAGER)
# Rows of the outbox (messages, webhooks, refunds) due longer than this mean the
# workers are not keeping up or not running: /readyz says "stalled".
OUTBOX_STALL_SECONDS = env.int("OUTBOX_STALL_SECONDS", default=600)
# seed_demo creates known passwords and API keys: production settings refuse it.
DEMO_DATA_ALLOWED = True

SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
