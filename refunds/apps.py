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
        from refunds.store_credit import messages as credit_messages
        from refunds.store_credit.representation import store_credit_data
        from refunds.store_credit.services import STORE_CREDIT_WORK
        from refunds.tasks import refunds_execute_now, store_credits_issue_now

        subject_register(
            model="refunds.Refund",
            data=refund_data,
            context=messages.refund_message_context,
            related=("payment", "cancellation__policy"),
            sample=messages.SAMPLE,
            events="refund.",
        )

        subject_register(
            model="refunds.StoreCredit",
            data=store_credit_data,
            context=credit_messages.store_credit_message_context,
            related=("customer",),
            sample=credit_messages.SAMPLE,
            events="store_credit.",
        )

        # Refunds (and store credit) a transaction creates run in the task that sends
        # its messages.
        outbox_work_register(REFUND_WORK, refunds_execute_now)
        outbox_work_register(STORE_CREDIT_WORK, store_credits_issue_now)
