from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from vigil.core.asof import AsOfError, parse_as_of

from . import services
from .choices import AuditAction


@login_required
def search(request):
    """For auditors: who looked at a referral, what a user looked at or did."""
    query = request.GET
    error = ""
    since = until = None
    try:
        since = parse_as_of(query.get("since")) if query.get("since") else None
        until = parse_as_of(query.get("until")) if query.get("until") else None
    except AsOfError as problem:
        error = str(problem)
    page_number = int(query.get("page", 1)) if str(query.get("page", "1")).isdigit() else 1
    total, events = services.search(
        request.user,
        referral=query.get("referral", ""),
        username=query.get("username", ""),
        action=query.get("action", ""),
        since=since,
        until=until,
        limit=100,
        offset=(page_number - 1) * 100,
    )
    pages = Paginator(range(total), 100).get_page(page_number)
    return render(
        request,
        "audit/search.html",
        {
            "events": events,
            "total": total,
            "pages": pages,
            "actions": AuditAction.choices,
            "query": query,
            "error": error,
        },
    )
