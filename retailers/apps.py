from django.apps import AppConfig


class RetailersConfig(AppConfig):
    name = "retailers"
    verbose_name = "Retailers"

    def ready(self):
        from retailers.api import schema  # noqa: F401  (registers the OpenAPI extension)
