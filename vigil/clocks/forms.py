from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.risk.choices import Grade

from .models import ClockKind
from .services import WORKLIST_SORTS, WorklistFilter

STATES = [("overdue", _("Overdue")), ("due_soon", _("Due soon")), ("due", _("Due"))]


class WorklistFilterForm(forms.Form):
    """The worklist's filters. Anything unknown in the address narrows nothing rather than
    failing: a link copied from an older page still opens."""

    grade = forms.ChoiceField(required=False, choices=[("", _("Any grade")), *Grade.choices])
    duty = forms.ChoiceField(required=False, choices=[("", _("Any duty")), *ClockKind.choices])
    state = forms.ChoiceField(required=False, choices=[("", _("Any state")), *STATES])
    owner = forms.ChoiceField(
        required=False, choices=[("", _("Anyone")), ("-", _("Nobody yet"))], label=_("Owner")
    )
    team = forms.ChoiceField(required=False, choices=[("", _("Any team"))])
    sort = forms.ChoiceField(required=False, choices=list(WORKLIST_SORTS.items()), label=_("Sort"))

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
