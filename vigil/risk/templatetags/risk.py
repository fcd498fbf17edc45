from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.core.labels import label_of
from vigil.risk.choices import OverrideStatus
from vigil.risk.models import Grade

register = template.Library()

# A question's answer as stored (``engine.Answer``), in words.
ANSWERS = {
    "yes": gettext_lazy("Yes"),
    "no": gettext_lazy("No"),
    "unknown": gettext_lazy("Not known"),
}


@register.filter
def grade_label(grade: str) -> str:
    return label_of(Grade, grade, otherwise=_("Not graded"))


@register.filter
def answer_label(answer: str) -> str:
    return str(ANSWERS.get(answer, answer))


@register.filter
def override_status_label(status: str) -> str:
    return label_of(OverrideStatus, status)
