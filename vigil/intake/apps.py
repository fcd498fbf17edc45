from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "vigil.intake"
    label = "intake"
    verbose_name = "Referral intake"
