from django import template

from vigil.investigations.services import outcome_text

register = template.Library()


@register.filter
def outcome_words(outcome_type: dict) -> str:
    """A Home Office outcome type's words in the reader's language."""
    return outcome_text(outcome_type)
