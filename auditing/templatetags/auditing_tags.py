from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from accounts.access import can_export_labels, can_search_trail, can_work_review_queue

if TYPE_CHECKING:
    from accounts.types import AnyUser

register = template.Library()


@register.simple_tag
def review_nav_links(user: AnyUser) -> list[dict[str, str]]:
    """The auditing pages this user may open (the access functions decide)."""
    links = []
    if can_work_review_queue(user):
        links.append({"url": reverse("auditing:queue"), "label": "Review queue", "key": "q"})
    if can_search_trail(user):
        links.append({"url": reverse("auditing:trail"), "label": "Audit trail", "key": ""})
        links.append({"url": reverse("auditing:quality"), "label": "Label quality", "key": ""})
    if can_export_labels(user):
        links.append({"url": reverse("auditing:exports"), "label": "Exports", "key": ""})
    return links


@register.filter
def age(delta: dt.timedelta | None) -> str:
    """A waiting time people read at a glance: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


@register.simple_tag
def holder(item: Any, now: dt.datetime) -> str:
    if item.claimed_by_id and item.claim_expires_at and item.claim_expires_at > now:
        return format_html('<span class="held">{}</span>', item.claimed_by.get_username())
    return ""


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
