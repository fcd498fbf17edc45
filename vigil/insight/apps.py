from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "vigil.insight"
    label = "insight"
    verbose_name = "Insight: demand, timeliness, safeguarding, grading and outcomes"
