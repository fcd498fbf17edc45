from django import forms

from vigil.safeguarding.models import ShareMethod

from .models import ActionKind

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
