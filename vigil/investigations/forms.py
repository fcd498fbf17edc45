from django import forms

from vigil.intake.choices import Flag, ReferralStatus
from vigil.safeguarding.models import ShareMethod

from .models import ActionKind, ReleaseKind

WHEN_HELP = "When it happened, YYYY-MM-DD HH:MM (leave empty for now)"


class AllocationForm(forms.Form):
    officer = forms.IntegerField()
    team = forms.CharField(required=False, max_length=100)
    allocated_at = forms.DateTimeField(required=False, help_text=WHEN_HELP)


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices)
    occurred_at = forms.DateTimeField(required=False, help_text=WHEN_HELP)
    devices = forms.IntegerField(required=False, min_value=0, help_text="Devices seized")
    notes = forms.CharField(required=False, widget=forms.Textarea)


class ReviewForm(forms.Form):
    reviewed_at = forms.DateTimeField(required=False, help_text=WHEN_HELP)
    notes = forms.CharField(required=False, widget=forms.Textarea)
    standards_checked = forms.MultipleChoiceField(required=False, choices=[])

    def __init__(self, *args, **kwargs):
        from vigil.risk.services import active_policy

        super().__init__(*args, **kwargs)
        self.fields["standards_checked"].choices = [
            (item["code"], item["text"]) for item in active_policy().standards
        ]


class SocialCareForm(forms.Form):
    authority = forms.CharField(max_length=200)
    method = forms.ChoiceField(choices=ShareMethod.choices)
    what_was_shared = forms.CharField(widget=forms.Textarea)
    shared_at = forms.DateTimeField(required=False, help_text=WHEN_HELP)


class StrategyForm(forms.Form):
    requested_at = forms.DateTimeField(required=False, help_text=WHEN_HELP)


class LadoForm(forms.Form):
    authority = forms.CharField(max_length=200)
    referred_at = forms.DateTimeField(required=False, help_text=WHEN_HELP)


class VersionedForm(forms.Form):
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReleaseForm(VersionedForm):
    kind = forms.ChoiceField(choices=ReleaseKind.choices)
    address = forms.CharField(max_length=300)
    postcode = forms.CharField(required=False, max_length=16)
    released_at = forms.DateTimeField(required=False)
    conditions = forms.CharField(required=False, widget=forms.Textarea)
    return_at = forms.DateTimeField(required=False)
    supervisor_decision = forms.CharField(required=False, widget=forms.Textarea)
    safeguarding_plan = forms.CharField(required=False, widget=forms.Textarea)


class CloseForm(VersionedForm):
    outcome = forms.CharField(max_length=16)
    rationale = forms.CharField(widget=forms.Textarea)
    outstanding_reason = forms.CharField(required=False, widget=forms.Textarea)
    closed_at = forms.DateTimeField(required=False)


class TransferForm(VersionedForm):
    to_force = forms.CharField(max_length=16)
    reason = forms.CharField(widget=forms.Textarea)


class MoveForm(VersionedForm):
    status = forms.ChoiceField(choices=ReferralStatus.choices)
    reason = forms.CharField(required=False)


class FlagsForm(forms.Form):
    flags = forms.MultipleChoiceField(choices=Flag.choices, required=False)


class StandardForm(forms.Form):
    code = forms.CharField(max_length=40)
    note = forms.CharField(widget=forms.Textarea)
    met_at = forms.DateTimeField(required=False)


class DecisionForm(forms.Form):
    item = forms.IntegerField()
    decision = forms.CharField(widget=forms.Textarea)


class HeldForm(forms.Form):
    item = forms.IntegerField()
    held_at = forms.DateTimeField()
    police = forms.CharField(max_length=200)
    social_care = forms.CharField(max_length=200)
    health = forms.CharField(required=False, max_length=200)
    others = forms.CharField(required=False, max_length=300)
    decisions = forms.CharField(widget=forms.Textarea)
    record_circulated_at = forms.DateTimeField(required=False)


class WelfarePlanForm(forms.Form):
    reason = forms.CharField(max_length=200)
    plan = forms.CharField(widget=forms.Textarea)
    agreed_at = forms.DateTimeField(required=False)


class BulkAllocationForm(forms.Form):
    officer = forms.IntegerField()
    referrals = forms.TypedMultipleChoiceField(coerce=int, choices=[])
