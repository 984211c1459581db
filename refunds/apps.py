from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self):
        from notifications.outbox import outbox_work_register
        from notifications.subjects import subject_register
        from refunds import messages
        from refunds.representation import refund_data
        from refunds.services import REFUND_WORK
        from refunds.tasks import refunds_execute_now

        subject_register(
            model="refunds.Refund",
            data=refund_data,
            context=messages.refund_message_context,
            related=("payment", "cancellation__policy"),
            sample=messages.SAMPLE,
            events="refund.",
        )

        # Refunds a transaction creates run in the task that sends its messages.
        outbox_work_register(REFUND_WORK, refunds_execute_now)
