"""The header's count of unread notifications, on every page for the signed-in person."""

from .services import unread_count


def unread_notifications(request) -> dict:
    return {"unread_notifications": unread_count(getattr(request, "user", None))}
