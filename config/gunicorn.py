"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi` (docs/deploy.md).

Values come from the environment so one file serves every host.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# No limit of gunicorn's own on the request line: a URL over MAX_URL_BYTES is refused by
# the application (kernel.middleware) with a problem+json 414 instead of gunicorn's HTML
# page. The proxy in front still bounds what it forwards (docs/deploy.md).
limit_request_line = 0
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
