"""The device queue page and an exhibit's page (its examination path and its last triage); the
exhibits panel of the referral page posts to the recordings."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from vigil.core.asof import is_now, parse_as_of
from vigil.risk.choices import Grade

from . import queue, services
from .choices import ExaminationPath


@login_required
def device_queue(request):
    as_of = parse_as_of(request.GET.get("as_of"))
    return render(
        request,
        "exhibits/queue.html",
        {
            "items": queue.device_queue(request.user, as_of=as_of),
            "grades": dict(Grade.choices),
            "as_of": as_of,
            "as_of_is_now": is_now(as_of),
        },
    )


@login_required
def exhibit(request, exhibit_id: int):
    """One exhibit: where it is on its examination path, and its last triage's counts, unknown
    images, victim identification list and a page of its matches (hashes and paths only)."""
    page = request.GET.get("page", "")
    results = services.triage_results(
        request.user, f"#{exhibit_id}", page=int(page) if page.isdigit() else 1
    )
    item = queue.exhibit_detail(request.user, exhibit_id, as_of=timezone.now())
    return render(
        request,
        "exhibits/exhibit.html",
        {
            "item": item,
            "results": results,
            "matches": results["matches"],
            "paths": ExaminationPath.choices,
            "grades": dict(Grade.choices),
        },
    )
