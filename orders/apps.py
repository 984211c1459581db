from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from kernel.timeline import timeline_writer_register
        from orders.timeline import timeline_entries_write

        # Every domain appends to the timeline through kernel.timeline; the rows are ours.
        timeline_writer_register(timeline_entries_write)

        from notifications.outbox import outbox_work_register
        from orders.fulfillment.services import WORK, fulfillment_requests_send

        # Stop/go-on requests a transaction writes are sent after it commits.
        outbox_work_register(WORK, fulfillment_requests_send)
