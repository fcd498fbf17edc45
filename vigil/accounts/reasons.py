"""Why someone is refused a sign-in, in whichever language it is read: the page shows it in
the reader's language, the audit trail keeps it in English (it is read there with English
active). The mapping of claims is pure and gives its reasons as ``claims.Reason``; here they
become text that translates itself when read."""

from django.utils.functional import lazy
from django.utils.translation import gettext

from .claims import Reason


def _said(message: str, params: dict) -> str:
    return gettext(message) % params if params else gettext(message)


_said_lazily = lazy(_said, str)


def reason(message: str, **params) -> str:
    """``message`` (marked with ``gettext_noop``, with named placeholders for ``params``),
    translated when it is read."""
    return _said_lazily(message, params)


def said(why) -> str:
    """A pure module's ``Reason`` (or a reason already made here), translated when read."""
    if isinstance(why, Reason):
        return _said_lazily(why.message, why.params)
    return why
