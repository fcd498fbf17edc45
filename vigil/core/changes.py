"""The one way a page records a change on a referral: validate the form, call the service,
say what happened, and go back to the part of the referral page it came from."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from vigil.intake.drafts import IntakeError
from vigil.intake.services import Conflict, find_referral


def form_problems(form) -> str:
    return "; ".join(
        f"{field.replace('_', ' ')}: {' '.join(errors)}" for field, errors in form.errors.items()
    )


def refusal_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return getattr(error, "message", str(error))


def apply_change(request, referral_id: int, form_class, change, done: str, *, section: str):
    """``change(referral, cleaned_data)`` runs the service; its refusal is shown, not raised."""
    referral = find_referral(request.user, referral_id)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not recorded. {form_problems(form)}")
    else:
        try:
            change(referral, form.cleaned_data)
        except (ValidationError, IntakeError, Conflict) as error:
            messages.error(request, f"Not recorded: {refusal_text(error)}")
        else:
            messages.success(request, done)
    return redirect(f"/referrals/{referral.pk}/#{section}")
