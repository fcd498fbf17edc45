from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "vigil.clocks"
    label = "clocks"
    verbose_name = "Clocks, worklists and escalation"

    def ready(self):
        # Importing the services registers what follows every change (the clocks).
        from . import services  # noqa: F401
