from django.apps import AppConfig


class InvestigationsConfig(AppConfig):
    name = "vigil.investigations"
    label = "investigations"
    verbose_name = "Investigations: allocation, actions and reviews"

    def ready(self):
        # Importing the services registers what meets the investigation's clocks.
        from . import services  # noqa: F401
