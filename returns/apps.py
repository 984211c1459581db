from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        from notifications.subjects import subject_register
        from refunds.sources import refund_source_register, store_credit_source_register
        from returns import messages
        from returns.representation import return_data
        from returns.settlement import return_refund_settled, return_store_credit_settled

        subject_register(
            model="returns.Return",
            data=return_data,
            context=messages.return_message_context,
            related=("order", "policy", "exchange_order"),
            sample=messages.SAMPLE,
            events="return.",
        )
        # A return's refunds and store credit are the return's: it closes when they
        # have all gone through, and goes back to the queue when one fails for good.
        refund_source_register(
            model="returns.Return", field="return_request", settled=return_refund_settled
        )
        store_credit_source_register(
            model="returns.Return", field="return_request", settled=return_store_credit_settled
        )
