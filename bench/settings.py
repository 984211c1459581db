"""The benchmark's stack: production settings, plus the bench-only read endpoint and the
loopback mail server of the benchmark's sink. Everything else comes from the
environment exactly as in production (see bench/run.py for the values it sets)."""

from config.settings.production import *  # noqa: F403
from config.settings.production import env

# The product's URLs plus /bench/, so the baseline runs in the very same stack.
ROOT_URLCONF = "bench.urls"

# Customer e-mail goes over real SMTP to the benchmark's sink on loopback.
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = env.int("BENCH_SMTP_PORT", default=25)
