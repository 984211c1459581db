from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _supervisor_permissions_sync(**kwargs):
    from cancellations.admin import supervisor_permissions_sync

    supervisor_permissions_sync(**kwargs)


class CancellationsConfig(AppConfig):
    name = "cancellations"
    verbose_name = "Cancellations"

    def ready(self):
        # Permissions of every app exist only once each app's post_migrate has run, so
        # this listens to all of them (the sync is idempotent and cheap).
        post_migrate.connect(_supervisor_permissions_sync, dispatch_uid="supervisor_permissions")
