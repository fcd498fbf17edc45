from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "vigil.site"
    label = "site"
    verbose_name = "The referral page, the lists and the commands that run Vigil"
