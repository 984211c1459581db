from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world of `make run`: it uses every domain, so it sits above them all."""

    name = "demo"
    verbose_name = "Demo data"
