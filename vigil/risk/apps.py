from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "vigil.risk"
    label = "risk"
    verbose_name = "Risk grading"

    def ready(self):
        from django.db.models.signals import post_migrate

        # Importing the services registers the re-grade that follows a change of facts.
        from . import services

        # A flushed or migrated database forgets its policy rows; so must the cache of them.
        post_migrate.connect(
            lambda **kwargs: services.forget_policy_versions(),
            weak=False,
            dispatch_uid="vigil_risk_forget_policy_versions",
        )
