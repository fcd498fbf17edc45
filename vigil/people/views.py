"""The search page: what the header's search box finds."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from vigil.core.permissions import require
from vigil.core.roles import Action

from . import search as searching


@login_required
def search(request):
    require(request.user, Action.REFERRAL_VIEW)
    query = request.GET.get("q", "").strip()
    items = searching.search(request.user, query, as_of=timezone.now()) if query else []
    return render(
        request,
        "people/search.html",
        {"search_query": query, "items": items, "searched": bool(query)},
    )
