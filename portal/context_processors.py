from django.http import HttpRequest

from .navigation import nav_items
from .notifications import unread_count


def portal(request: HttpRequest) -> dict:
    """Navigation context: the current store, the user's stores and the unread count (lazy)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/admin/"):
        return {}
    return {
        "current_store": getattr(request, "store", None),
        "current_membership": getattr(request, "membership", None),
        "unread_notifications": lambda: unread_count(user),
        "nav_items": lambda: nav_items(request.path, getattr(request, "store", None), staged=True),
    }
