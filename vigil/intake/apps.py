from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "vigil.intake"
    label = "intake"
    verbose_name = "Referral intake"

    def ready(self):
        # Importing the requests registers what meets their clocks.
        from . import requests  # noqa: F401
