from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        from inventory.representation import stock_level_data
        from notifications.subjects import subject_register

        subject_register(model="inventory.StockLevel", data=stock_level_data)
