from django import forms

from vigil.referrals.choices import ReferralStatus, Source


class ReferralFilterForm(forms.Form):
    force = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *Source.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *ReferralStatus.choices]
    )
