"""Values as people read them, for every staff and applicant page: `{% load readable %}`.

One place for it, so a page never shows `employed_full_time`, `0.514286`, `True` or a
Python dict: `value|answer:"field_name"` (the schema decides: choice label, money, percent,
Yes/No), `value|money`, `ratio|percent`, `flag|yes_no`, `code|channel`, `value|plain`, and
`record|pairs` for key: value lists. The formatting itself is applicants/display.py.
"""

from __future__ import annotations

import json
from typing import Any

from django import template

from applicants import display

register = template.Library()

register.filter("answer", display.answer)
register.filter("money", display.money)
register.filter("percent", display.percent)
register.filter("yes_no", display.yes_no)
register.filter("channel", display.channel)
register.filter("plain", display.plain)


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
        return [("", display.plain(record))]
    return [(display.humanize_key(k), display.plain(v)) for k, v in record.items()]


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping|get_item:key` (a dict looked up by a variable)."""
    try:
        return mapping.get(key) if mapping else None
    except AttributeError:
        return None
