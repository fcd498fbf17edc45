from django.apps import AppConfig


class ExhibitsConfig(AppConfig):
    name = "vigil.exhibits"
    label = "exhibits"
    verbose_name = "Exhibits: seized devices, known-image hash sets and triage"
