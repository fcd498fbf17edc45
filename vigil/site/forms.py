from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.referrals.choices import ReferralStatus, Source


class ReferralFilterForm(forms.Form):
    force = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False, choices=[("", _("Any source")), *Source.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", _("Any status")), *ReferralStatus.choices]
    )
