from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vigil.accounts"
    label = "accounts"
    verbose_name = "Users, roles and forces"

    def ready(self):
        from . import checks, signals  # noqa: F401 - registers the check, connects receivers
