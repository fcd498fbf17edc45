from django import template

from vigil.core.labels import label_of
from vigil.risk.models import Grade

register = template.Library()


@register.filter
def grade_label(grade: str) -> str:
    return label_of(Grade, grade, otherwise="Not graded")
