"""The device queue page; the exhibits panel of the referral page posts to the recordings."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from vigil.core.asof import is_now, parse_as_of
from vigil.risk.choices import Grade

from . import queue


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
