from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "vigil.clocks"
    label = "clocks"
    verbose_name = "Clocks, worklists and escalation"
