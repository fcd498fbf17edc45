from django import template

from vigil.risk.models import Grade

register = template.Library()


@register.filter
def grade_label(grade: str) -> str:
    try:
        return Grade(grade).label
    except ValueError:
        return "Not graded"
