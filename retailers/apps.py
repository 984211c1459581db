from django.apps import AppConfig


class RetailersConfig(AppConfig):
    name = "retailers"
    verbose_name = "Retailers"

    def ready(self):
        from django.db.models.signals import post_migrate

        from retailers.api import schema  # noqa: F401  (registers the OpenAPI extension)

        post_migrate.connect(_sync_supervisors, dispatch_uid="retailers.sync_supervisors")


def _sync_supervisors(sender, using="default", **kwargs):
    # Permissions are created by contrib.auth's own post_migrate handler; ours may run
    # before it for some apps, so it syncs on every app's signal (a cheap statement).
    from retailers.services import supervisor_permissions_sync

    supervisor_permissions_sync()
