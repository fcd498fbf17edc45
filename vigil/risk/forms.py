from django import forms

from vigil.intake.choices import Indicator
from vigil.people.choices import AccessKind, HistoryOutcome, HistoryType

from .models import Grade, QualityCheck

SOURCE_HELP = 'How you learned it, e.g. "intelligence check", "household visit"'


class FactForm(forms.Form):
    source = forms.CharField(max_length=200, help_text=SOURCE_HELP)
    learned_at = forms.DateTimeField(
        required=False, help_text="When it was learned (leave empty for now)"
    )


class HouseholdMemberForm(FactForm):
    first_name = forms.CharField(required=False, max_length=120)
    last_name = forms.CharField(required=False, max_length=120)
    date_of_birth = forms.DateField(required=False, help_text="YYYY-MM-DD")
    age = forms.IntegerField(required=False, min_value=0, max_value=130)


class AccessForm(FactForm):
    kind = forms.ChoiceField(choices=AccessKind.choices)
    child_first_name = forms.CharField(required=False, max_length=120)
    child_age = forms.IntegerField(required=False, min_value=0, max_value=17)


class HistoryForm(FactForm):
    type = forms.ChoiceField(choices=HistoryType.choices)
    outcome = forms.ChoiceField(
        choices=[("", "Not known"), *HistoryOutcome.choices], required=False
    )
    date = forms.DateField(required=False, help_text="YYYY-MM-DD")
    description = forms.CharField(required=False, widget=forms.Textarea)


class IndicatorForm(FactForm):
    indicator = forms.ChoiceField(choices=Indicator.choices)


TRI_STATE = [("", "Not known"), ("yes", "Yes"), ("no", "No")]


class SuspectForm(FactForm):
    occupation = forms.CharField(required=False, max_length=200)
    works_with_children = forms.ChoiceField(choices=TRI_STATE, required=False)
    household_established = forms.BooleanField(required=False)
    access_established = forms.BooleanField(required=False)
    history_established = forms.BooleanField(required=False)

    @staticmethod
    def changes_of(data: dict) -> dict:
        return {
            "occupation": data["occupation"],
            "works_with_children": {"yes": True, "no": False}.get(data["works_with_children"]),
            "household_established": data["household_established"],
            "access_established": data["access_established"],
            "history_established": data["history_established"],
        }


class OverrideForm(forms.Form):
    grade = forms.ChoiceField(choices=Grade.choices)
    reason = forms.CharField(widget=forms.Textarea, min_length=10)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("refuse", "Refuse")])
    reason = forms.CharField(widget=forms.Textarea, required=False)


class QualityCheckForm(forms.Form):
    outcome = forms.ChoiceField(choices=QualityCheck.Outcome.choices)
    notes = forms.CharField(widget=forms.Textarea, required=False)
