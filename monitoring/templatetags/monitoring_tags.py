from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.urls import reverse

from accounts.access import can_view_monitoring, can_view_queue_health

if TYPE_CHECKING:
    from accounts.types import AnyUser

register = template.Library()


@register.simple_tag
def monitoring_nav_links(user: AnyUser) -> list[dict[str, str]]:
    """The dashboard's and queue health's links, for those who may open them."""
    links = []
    if can_view_monitoring(user):
        links.append({"url": reverse("monitoring:dashboard"), "label": "Monitoring"})
    if can_view_queue_health(user):
        links.append({"url": reverse("monitoring:queues"), "label": "Queue health"})
    return links


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    # A missing variable reaches a filter as "" (string_if_invalid): n/a, not a 500.
    return "n/a" if value is None or isinstance(value, str) else f"{value:.{digits}%}"


@register.filter
def number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or isinstance(value, str) else f"{value:,.{digits}f}"


@register.filter
def age(seconds: float | None) -> str:
    """How long something has waited, as a person says it: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    if seconds is None or isinstance(seconds, str):
        return "none waiting"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"
