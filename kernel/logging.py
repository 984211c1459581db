"""Log lines that carry the request (or task) they belong to.

`RequestIdMiddleware` binds the request id for the request's duration; the
`RequestIdFilter` puts it on every record as `request_id` ("-" outside a request), and
`logging_config()` builds the LOGGING setting: plain lines by default, one JSON object
per line with `LOG_FORMAT=json` (python-json-logger), which a log shipper reads without
a parsing rule.
"""

import contextvars
import logging

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def request_id_bind(request_id: str) -> None:
    _request_id.set(request_id)


def request_id_clear() -> None:
    _request_id.set("-")


def request_id_current() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


def logging_config(*, log_format: str = "plain", level: str = "INFO") -> dict:
    """The LOGGING dict for `settings`; `log_format` is "plain" or "json"."""
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "kernel.logging.RequestIdFilter"}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "plain",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }
