"""Values as people read them, for every staff and applicant page: `{% load readable %}`.

One place for it, so a page never shows `employed_full_time`, `0.514286`, `True` or a
Python dict: choice codes as the schema's labels, money with the currency, ratios as
percentages, booleans as Yes/No, records as key: value lists.
"""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()

EMPTY = "—"


@register.filter
def yes_no(value: Any) -> str:
    """True → Yes, False → No, None → —."""
    if value is None or value == "":
        return EMPTY
    return "Yes" if value else "No"


@register.filter
def plain(value: Any) -> str:
    """Any stored value in words: booleans Yes/No, lists joined, records as key: value."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return "; ".join(f"{humanize_key(k)}: {plain(v)}" for k, v in value.items()) or EMPTY
    return str(value)


def humanize_key(key: Any) -> str:
    return str(key).replace("_", " ")


@register.filter
def pairs(record: Any) -> list[tuple[str, str]]:
    """A record (a dict, e.g. a trail entry's before/after) as (key, value) pairs in words,
    for a `<dl>`; anything else as one pair with an empty key."""
    if record in (None, "", {}):
        return []
    if isinstance(record, str):
        try:
            record = json.loads(record)
        except ValueError:
            return [("", record)]
    if not isinstance(record, dict):
        return [("", plain(record))]
    return [(humanize_key(k), plain(v)) for k, v in record.items()]


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping|get_item:key` (a dict looked up by a variable)."""
    try:
        return mapping.get(key) if mapping else None
    except AttributeError:
        return None
