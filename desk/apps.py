from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = "Desk"

    def ready(self):
        # Each kind of case the queue holds (see desk/kinds.py), in the order its tabs show.
        from desk.cancellations import kind as cancellations
        from desk.warehouse import kind as warehouse

        cancellations.register()
        warehouse.register()
