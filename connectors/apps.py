from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self):
        from connectors.services import DELIVERY_WORK, deliveries_process
        from notifications.outbox import outbox_work_register

        # Deliveries stored by the webhook endpoint are processed after it commits.
        outbox_work_register(DELIVERY_WORK, deliveries_process)
