from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "vigil.safeguarding"
    label = "safeguarding"
    verbose_name = "Safeguarding: social care, strategy discussions and the LADO"

    def ready(self):
        # Importing the services registers what meets the safeguarding clocks.
        from . import services  # noqa: F401
