from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.urls import reverse

from accounts.access import can_view_monitoring

if TYPE_CHECKING:
    from accounts.types import AnyUser

register = template.Library()


@register.simple_tag
def monitoring_nav_links(user: AnyUser) -> list[dict[str, str]]:
    """The dashboard's link, for those who may open it."""
    if not can_view_monitoring(user):
        return []
    return [{"url": reverse("monitoring:dashboard"), "label": "Monitoring"}]


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    # A missing variable reaches a filter as "" (string_if_invalid): n/a, not a 500.
    return "n/a" if value is None or isinstance(value, str) else f"{value:.{digits}%}"


@register.filter
def number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or isinstance(value, str) else f"{value:,.{digits}f}"
