"""Cache uses that degrade instead of failing when the cache (Redis) is down.

Everything the product keeps in the cache can be done without it: a throttle that
lets the request through, a session read from the database, a count computed again, a
double-submit guard that lets the submit through (the services refuse an illegal
transition anyway). So a cache error is logged, counted
(`rescind_cache_errors_total{use}`) and answered with the fallback, never a 500.

After an error the cache is left alone for `QUIET_SECONDS`: a Redis that is down
answers connection refused at once, but one that is unreachable would cost every use
its socket timeout.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from prometheus_client import Counter

logger = logging.getLogger("rescind.cache")

CACHE_ERRORS = Counter(
    "rescind_cache_errors_total",
    "Cache calls that failed (or were skipped after a failure) and fell back.",
    ["use"],
)
QUIET_SECONDS = 5.0

_lock = threading.Lock()
_quiet_until = 0.0


def cache_available() -> bool:
    return time.monotonic() >= _quiet_until


def cache_failed(use: str, error: BaseException | None) -> None:
    """Record a failed cache call and keep the cache quiet for a few seconds."""
    global _quiet_until
    CACHE_ERRORS.labels(use).inc()
    if error is None:
        return
    with _lock:
        first = cache_available()
        _quiet_until = time.monotonic() + QUIET_SECONDS
    if first:
        logger.warning("cache unavailable (%s): %s; degrading for %ss", use, error, QUIET_SECONDS)


def cache_reset() -> None:
    """Forget a past failure (tests, and a configuration change)."""
    global _quiet_until
    _quiet_until = 0.0


def cache_call(use: str, call: Callable[[], Any], *, fallback: Any = None) -> Any:
    """`call()` (which uses the cache), or `fallback` when the cache fails."""
    if not cache_available():
        cache_failed(use, None)
        return fallback
    try:
        return call()
    except Exception as error:
        cache_failed(use, error)
        return fallback


def cache_get_or_set(
    use: str, key: str, compute: Callable[[], Any], timeout: float, *, alias: str = "default"
) -> Any:
    """Like `cache.get_or_set`, computing the value (and not keeping it) when the cache
    fails; an error of `compute` itself is not the cache's and propagates."""
    cache = caches[alias]
    missing = object()
    value = cache_call(use, lambda: cache.get(key, missing), fallback=missing)
    if value is not missing:
        return value
    value = compute()
    cache_call(use, lambda: cache.set(key, value, timeout))
    return value


def cache_add(
    use: str, key: str, value: Any, timeout: float, *, fallback: bool = True, alias: str = "default"
) -> bool:
    """`cache.add`: True when the key was not there; `fallback` when the cache fails."""
    cache = caches[alias]
    return cache_call(use, lambda: cache.add(key, value, timeout), fallback=fallback)
