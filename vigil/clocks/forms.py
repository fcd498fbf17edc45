from django import forms

from vigil.risk.choices import Grade

from .models import ClockKind
from .services import WORKLIST_SORTS, WorklistFilter

STATES = [("overdue", "Overdue"), ("due_soon", "Due soon"), ("due", "Due")]


class WorklistFilterForm(forms.Form):
    """The worklist's filters. Anything unknown in the address narrows nothing rather than
    failing: a link copied from an older page still opens."""

    grade = forms.ChoiceField(required=False, choices=[("", "Any grade"), *Grade.choices])
    duty = forms.ChoiceField(required=False, choices=[("", "Any duty"), *ClockKind.choices])
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *STATES])
    owner = forms.ChoiceField(
        required=False, choices=[("", "Anyone"), ("-", "Nobody yet")], label="Owner"
    )
    team = forms.ChoiceField(required=False, choices=[("", "Any team")])
    sort = forms.ChoiceField(required=False, choices=list(WORKLIST_SORTS.items()), label="Sort")

    def chosen(self) -> tuple[WorklistFilter, str]:
        if not self.is_bound:
            return WorklistFilter(), "urgency"
        self.is_valid()
        data = self.cleaned_data
        return (
            WorklistFilter(
                grade=data.get("grade", ""),
                duty=data.get("duty", ""),
                state=data.get("state", ""),
                owner=data.get("owner", ""),
                team=data.get("team", ""),
            ),
            data.get("sort") or "urgency",
        )
