from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

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


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return html.escape(str(value))


@register.filter
def table_rows(rows: Iterable[Sequence[Any]] | None) -> SafeString:
    """Rows of plain cells (dates as Y-m-d, numbers as they are, text escaped) as <tr>s: a
    year of daily rows is thousands of cells, too many for nested template loops."""
    return mark_safe(  # noqa: S308 (every cell is escaped or a date)
        "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows or ())
    )
