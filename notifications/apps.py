from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from kernel.journal import after_commit_dispatcher_set
        from notifications.tasks import outbox_dispatch

        # Every commit's outbox rows and after-commit work reach workers through here.
        after_commit_dispatcher_set(outbox_dispatch)
