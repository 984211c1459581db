from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "cancellations"
    verbose_name = "Cancellations"

    def ready(self):
        from cancellations import messages
        from cancellations.representation import cancellation_data
        from cancellations.services import (
            cancellation_refund_settled,
            cancellation_store_credit_settled,
        )
        from cancellations.warehouse import warehouse_answered_by_adapter
        from notifications.subjects import subject_register
        from orders.fulfillment.services import fulfillment_answer_register
        from refunds.sources import refund_source_register, store_credit_source_register

        subject_register(
            model="cancellations.CancellationRequest",
            data=cancellation_data,
            context=messages.cancellation_message_context,
            related=("policy",),
            sample=messages.SAMPLE,
            events="cancellation.",
        )

        # An approval's refunds are the request's: it completes when they have all
        # succeeded, and goes back to the queue when one fails for good.
        refund_source_register(
            model="cancellations.CancellationRequest",
            field="cancellation",
            settled=cancellation_refund_settled,
        )
        # A warehouse that answers a stop request at once decides the request waiting on it.
        fulfillment_answer_register(warehouse_answered_by_adapter)
        store_credit_source_register(
            model="cancellations.CancellationRequest",
            field="cancellation",
            settled=cancellation_store_credit_settled,
        )
