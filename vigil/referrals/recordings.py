"""Recording something about a referral, declared once and served everywhere.

A recording is one thing a person records about a referral (an allocation, an action, a
household member, a strategy discussion held…). It is declared once, on the service function
that does the work::

    @recording("allocation", Can.REFERRAL_ALLOCATE, Audit.REFERRAL_ALLOCATED, AllocationIn,
               "Allocated.", section="actions")
    def allocate(change, officer, *, team="", allocated_at=None): ...

and from that one declaration Vigil serves a service (``allocate(actor, referral, officer,
as_of=…)``, run through the guarded change path), a page form handler, an API route and a
``vigil record`` command. The schema is the shape of what may be sent, for the page and the API
alike; the service holds the rules, and its docstring's first line is the one-line summary the
API and the command show.
"""

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import update_wrapper
from operator import attrgetter
from typing import get_args, get_origin

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from ninja import Router, Schema, Status
from pydantic import ValidationError as SchemaError

from vigil.core.schemas import Id

from .changes import Conflict, RecordError, changing
from .models import Referral


@dataclass(eq=False)
class Recording:
    """One thing recorded about a referral: its shape, permission, audit action and service."""

    name: str
    permission: str
    audit: str
    body: Callable
    schema: type[Schema]
    # What the page says once it is recorded, and the part of the referral page it returns to.
    done: str
    section: str
    # The API's and the command's one line about it (default: the service's docstring's first).
    summary: str = ""
    # The record it is about, when it completes one already made (a decision on a social care
    # referral): its id comes in the path of the API, or as ``item`` in a page's form.
    item: type | None = None
    api_path: str = ""
    api_method: str = "POST"
    # 201 for a new record; 200 for a change of one already held (an item's decision, a PUT or
    # PATCH of the referral). Set only where a recording differs.
    api_status: int | None = None
    # Reopening a closed referral and deleting its personal data at review act on closed ones.
    on_closed: bool = False
    # Accepting or rejecting a transfer is done by the force offered it, which does not hold it.
    answers_transfer: bool = False
    # Turns the schema's fields into the service's arguments, where they differ.
    arguments: Callable[[dict], dict] | None = None
    examples: dict = field(default_factory=dict)

    def __post_init__(self):
        update_wrapper(self, self.body)
        if not self.summary:
            paragraph = " ".join((self.body.__doc__ or self.name).strip().split("\n\n")[0].split())
            self.summary = paragraph.split(". ")[0].rstrip(".")
        if self.api_status is None:
            changes_one = self.item is not None or self.api_method in {"PUT", "PATCH"}
            self.api_status = 200 if changes_one else 201

    # The service ------------------------------------------------------------------------------

    def __call__(self, actor, target, *args, as_of, expected_version=None, **data):
        """Run the service: ``target`` is the referral (or its id), or the item it completes."""
        return self.perform(
            actor, target, *args, as_of=as_of, expected_version=expected_version, **data
        )[0]

    def perform(self, actor, target, *args, as_of, expected_version=None, **data):
        """Run the service; returns what it made and the finished ``Change``."""
        referral = self.referral_of(target)
        with changing(
            actor,
            referral,
            permission=self.permission,
            audit=self.audit,
            as_of=as_of,
            expected_version=expected_version,
            on_closed=self.on_closed,
            answers_transfer=self.answers_transfer,
        ) as change:
            if self.item is not None:
                # The item again, now that its referral is locked, and only if it is that
                # referral's.
                target = self._item_of(change.referral, target.pk)
                made = self.body(change, target, *args, **data)
            else:
                made = self.body(change, *args, **data)
        if isinstance(referral, Referral):
            # The caller's copy of the referral, as the change left it.
            referral.refresh_from_db()
        return made, change

    def referral_of(self, target):
        if self.item is None:
            return target
        return attrgetter(self.item.referral_path.replace("__", ".") + "_id")(target)

    def _item_of(self, referral: Referral, item_id):
        found = (
            self.item.objects.filter(**{self.item.referral_path: referral}).filter(pk=item_id)
        ).first()
        if found is None:
            raise Http404("Not found.")
        return found

    @property
    def path_args(self) -> list[str]:
        """Path parameters besides the referral or item (a person's ref), passed to the
        service in order; a page sends them as form fields."""
        names = re.findall(r"{(\w+)}", self.api_path)
        return [name for name in names if name not in {"referral_id", "item_id"}]

    def arguments_of(self, data: dict) -> dict:
        data = dict(data)
        data.pop("expected_version", None)
        return self.arguments(data) if self.arguments else data


def recording(
    name: str, permission: str, audit: str, schema: type[Schema], done: str, **declared
) -> Callable[[Callable], Recording]:
    """Declare a service function as a recording (see the module's docstring): its name, the
    permission it needs, the audit action it writes, the shape of what may be sent, and what
    the page says once it is recorded; ``section=`` and the rest by keyword."""

    def declare(body: Callable) -> Recording:
        return Recording(
            name=name,
            permission=permission,
            audit=audit,
            schema=schema,
            done=done,
            body=body,
            **declared,
        )

    return declare


# ---------------------------------------------------------------------------------------------
# Pages: each recording's form posts to /…/<referral id>/<name>/ and returns to the referral.


REFUSALS = (ValidationError, Conflict, SchemaError)


def refusal_text(error: Exception) -> str:
    if isinstance(error, SchemaError):
        return "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']).replace('_', ' ')}: "
            f"{problem['msg'].lower()}"
            for problem in error.errors()
        )
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return getattr(error, "message", str(error))


def form_data(schema: type[Schema], posted) -> dict:
    """The posted form as the schema's fields: an empty box means "not given", a list field
    takes every value, any other field its last (so a hidden ``false`` before a checkbox is
    the value when the box is not ticked)."""
    data = {}
    for name, spec in schema.model_fields.items():
        values = [value for value in posted.getlist(name) if value != ""]
        if any("\x00" in value for value in values):
            raise RecordError(
                _("%(field)s: text may not contain NUL characters")
                % {"field": name.replace("_", " ")}
            )
        if not values:
            continue
        is_list = get_origin(spec.annotation) is list or any(
            get_origin(arg) is list for arg in get_args(spec.annotation)
        )
        data[name] = values if is_list else values[-1]
    return data


def page_view(entry: Recording):
    @login_required
    @require_POST
    def record_from_page(request, referral_id: int):
        referral = Referral.objects.restrict(request.user).filter(pk=referral_id).first()
        if referral is None:
            raise Http404("No referral found.")
        try:
            data = entry.schema.model_validate(form_data(entry.schema, request.POST)).dict()
            target = referral
            if entry.item is not None:
                item_id = request.POST.get("item", "")
                target = (
                    entry.item.objects.restrict(request.user)
                    .filter(**{entry.item.referral_path: referral})
                    .filter(pk=int(item_id) if item_id.isdigit() else 0)
                    .first()
                )
                if target is None:
                    raise Http404("Not found.")
            missing = [name for name in entry.path_args if not request.POST.get(name)]
            if missing:
                raise RecordError(_("say which: %(values)s") % {"values": ", ".join(missing)})
            entry.perform(
                request.user,
                target,
                *[request.POST[name] for name in entry.path_args],
                as_of=timezone.now(),
                expected_version=data.get("expected_version"),
                **entry.arguments_of(data),
            )
        except REFUSALS as error:
            messages.error(request, _("Not recorded: %(reason)s") % {"reason": refusal_text(error)})
        else:
            messages.success(request, entry.done)
        return redirect(f"/referrals/{referral.pk}/#{entry.section}")

    record_from_page.__name__ = f"record_{entry.name.replace('-', '_')}"
    return record_from_page


def page_urls(entries: list[Recording]) -> list:
    return [
        path(f"<int:referral_id>/{entry.name}/", page_view(entry), name=entry.name)
        for entry in entries
    ]


# ---------------------------------------------------------------------------------------------
# The API: POST /referrals/{referral_id}/<name> (or the item's own path), answered the same way.


class Recorded(Schema):
    """The referral after the change, and what was recorded."""

    referral_id: int
    version: int
    status: str
    grade: str
    grade_provisional: bool
    id: int | None = None
    recorded: dict


def answer(made, change) -> dict:
    referral = change.referral
    return {
        "referral_id": referral.pk,
        "version": referral.version,
        "status": referral.status,
        "grade": referral.grade,
        "grade_provisional": referral.grade_provisional,
        "id": getattr(made, "pk", None),
        "recorded": json.loads(json.dumps(change.after or {}, default=str)),
    }


def add_api_routes(router: Router, entries: list[Recording]) -> None:
    for entry in entries:
        _add_api_route(router, entry)


def _add_api_route(router: Router, entry: Recording) -> None:
    status = entry.api_status
    api_path = entry.api_path or f"/referrals/{{referral_id}}/{entry.name}"

    def route(request, **params):
        body = params.pop("body")
        if entry.item is not None:
            target = entry.item.objects.restrict(request.user).filter(pk=params.pop("item_id"))
            target = target.first()
            if target is None:
                raise Http404("Not found.")
        else:
            target = params.pop("referral_id")
        data = body.dict()
        made, change = entry.perform(
            request.user,
            target,
            *[params[name] for name in entry.path_args],
            as_of=timezone.now(),
            expected_version=data.get("expected_version"),
            **entry.arguments_of(data),
        )
        return Status(status, answer(made, change))

    first = "item_id" if entry.item is not None else "referral_id"
    keyword = inspect.Parameter.KEYWORD_ONLY
    route.__signature__ = inspect.Signature(
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(first, keyword, annotation=Id),
            *[inspect.Parameter(name, keyword, annotation=str) for name in entry.path_args],
            inspect.Parameter("body", keyword, annotation=entry.schema),
        ]
    )
    route.__name__ = f"record_{entry.name.replace('-', '_')}"
    router.add_api_operation(
        api_path,
        [entry.api_method],
        route,
        response={status: Recorded},
        summary=entry.summary,
        operation_id=f"record_{entry.name.replace('-', '_')}",
    )
