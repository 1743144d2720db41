"""Charts for pages outside the monitoring dashboards, drawn by charts/__init__.py (the one
chart module): the review item's reasons as bars (issue #15)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

import charts

register = template.Library()


@register.simple_tag
def reasons_chart(reasons: list[dict[str, Any]] | None) -> SafeString | str:
    """What moved the risk, one bar per reason: right when it raised it, left when it lowered
    it. The page's reasons table beside it is the text alternative; the label sums it up."""
    if not reasons:
        return ""
    items: list[dict[str, Any]] = [
        {"name": str(r.get("label") or r.get("feature") or "?"), "value": float(r.get("contribution") or 0)}
        for r in reasons
    ]
    said = "; ".join(
        f"{i['name']} {'raises' if i['value'] > 0 else 'lowers'} {abs(i['value']):.2f}" for i in items
    )
    return charts.contributions(items, label=f"What moved the risk, largest first: {said}")
