from django.apps import AppConfig


class ExhibitsConfig(AppConfig):
    name = "vigil.exhibits"
    label = "exhibits"
    verbose_name = "Exhibits: seized devices, known-image hash sets and triage"

    def ready(self):
        # Importing the queue registers what meets and ends the devices' clocks.
        from . import queue  # noqa: F401
