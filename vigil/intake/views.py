from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from vigil.core.permissions import require
from vigil.core.roles import Action

from . import services
from .forms import ImportForm


@login_required
@require_http_methods(["GET", "POST"])
def import_referrals(request):
    require(request.user, Action.REFERRAL_IMPORT)
    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [(upload.name, upload.read()) for upload in form.cleaned_data["files"]]
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
