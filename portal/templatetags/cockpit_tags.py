"""Template helpers of the cockpit: the staff overview on the admin index."""

from django import template

from portal.dashboard import TodoItem, staff_overview

register = template.Library()


@register.simple_tag
def staff_overview_items() -> list[TodoItem]:
    return staff_overview()
