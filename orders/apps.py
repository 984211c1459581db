from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from kernel.timeline import timeline_writer_register
        from orders.timeline import timeline_entries_write

        # Every domain appends to the timeline through kernel.timeline; the rows are ours.
        timeline_writer_register(timeline_entries_write)
