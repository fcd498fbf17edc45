from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.referrals.changes import RecordError

from . import services, tasks, unknown_values
from .forms import ImportForm


@login_required
@require_http_methods(["GET", "POST"])
def import_referrals(request):
    require(request.user, Action.REFERRAL_IMPORT)
    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [(upload.name, upload.read()) for upload in form.cleaned_data["files"]]
        if form.cleaned_data["in_background"]:
            batch = tasks.start_import(
                files,
                actor=request.user,
                as_of=timezone.now(),
                source_reference=form.cleaned_data["source_reference"],
            )
            return redirect("intake:import-batch", batch_id=batch.pk)
        report = services.import_uploads(
            files,
            actor=request.user,
            as_of=timezone.now(),
            options=services.ImportOptions(
                source_reference=form.cleaned_data["source_reference"],
            ),
        )
        form = ImportForm()
    return render(request, "intake/import.html", {"form": form, "report": report})


@login_required
def import_batch(request, batch_id: int):
    """A batch imported in the background: waiting, or what became of each file."""
    require(request.user, Action.REFERRAL_IMPORT)
    batch, report = services.import_batch_for(request.user, batch_id)
    context = {"batch": batch, "report": report, "state": services.batch_state(batch)}
    # The page asks for its progress again every few seconds (htmx) until the import is done;
    # a reload shows the same, read from the batch.
    if request.headers.get("HX-Request"):
        return render(request, "intake/_batch_progress.html", context)
    return render(request, "intake/import_batch.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def unknown_words(request):
    """The words documents used that Vigil did not know, for an administrator to map."""
    error = ""
    if request.method == "POST":
        try:
            mapped = unknown_values.map_unknown_value(
                request.user,
                request.POST.get("field", ""),
                request.POST.get("value", ""),
                request.POST.get("mapped_to", ""),
                as_of=timezone.now(),
            )
        except RecordError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(
                request,
                ngettext(
                    "%(field)s “%(value)s” is now read as “%(meaning)s”: %(count)s referral "
                    "re-read and re-graded.",
                    "%(field)s “%(value)s” is now read as “%(meaning)s”: %(count)s referrals "
                    "re-read and re-graded.",
                    mapped.referrals,
                )
                % {
                    "field": unknown_values.field_label(mapped.field),
                    "value": mapped.value,
                    "meaning": unknown_values.meaning_label(mapped.field, mapped.mapped_to),
                    "count": mapped.referrals,
                },
            )
            return redirect("intake:unknown-values")
    meanings = unknown_values.choices()
    rows = [
        {
            "word": row,
            "field": unknown_values.field_label(row.field),
            "mapped_to": unknown_values.meaning_label(row.field, row.mapped_to),
            "meanings": [
                (meaning, unknown_values.meaning_label(row.field, meaning))
                for meaning in meanings.get(row.field, [])
            ],
        }
        for row in unknown_values.unknown_values(request.user)
    ]
    return render(request, "intake/unknown_values.html", {"rows": rows, "error": error})
