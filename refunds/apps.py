from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self):
        from notifications.outbox import outbox_work_register
        from refunds.services import REFUND_WORK
        from refunds.tasks import refunds_execute_now

        # Refunds a transaction creates run in the task that sends its messages.
        outbox_work_register(REFUND_WORK, refunds_execute_now)
