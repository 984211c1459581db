import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()

# The embedded default (no broker) runs the beat schedule in this process; with a
# broker, or under tests, this does nothing (EMBEDDED_SCHEDULER).
from ops.scheduler import scheduler_start_embedded  # noqa: E402

scheduler_start_embedded()
