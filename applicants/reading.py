"""Reading answers the way people write them, before the schema's own checks.

A person types "£54,000", "12 000" or "23/04/1986"; the schema's coercion accepts plain
numbers and ISO dates. Every channel that takes free text (the web form, the chatbot, SMS,
an agent's screen) reads the raw text here first, so each accepts the same forms. The API
sends typed JSON and does not come through here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings

from applicants.schema import NUMERIC_TYPES, Field

_CURRENCY_CODE = re.compile(
    r"^(?:GBP|USD|EUR|CHF|CAD|AUD|NZD|JPY|INR|SEK|NOK|DKK|PLN|ZAR)\s*"
    r"|\s*(?:GBP|USD|EUR|CHF|CAD|AUD|NZD|JPY|INR|SEK|NOK|DKK|PLN|ZAR)$",
    re.IGNORECASE,
)
_CURRENCY_SIGNS = "£$€¥₹₩₽¢ "
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.\-\s](\d{1,2})[/.\-\s](\d{1,4})$")
_WORDY_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_WORDY_DATE_US = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")


class Unreadable(Exception):
    """The text cannot be read as the field's type; the message says what to write."""


def date_example() -> str:
    return {"DMY": "23/04/1986", "MDY": "04/23/1986", "YMD": "1986-04-23"}[settings.ANSWER_DATE_ORDER]


def read_answer(field: Field, raw: Any) -> Any:
    """The raw text normalised to what the schema's coercion reads (numbers without
    currency or grouping, dates as ISO). Anything that is not text passes unchanged."""
    if not isinstance(raw, str) or not raw.strip():
        return raw
    if field.type in NUMERIC_TYPES:
        return read_number(raw)
    if field.type == "date":
        return read_date(field, raw)
    return raw


def read_number(text: str) -> str:
    value = _CURRENCY_CODE.sub("", text.strip()).strip(_CURRENCY_SIGNS)
    value = _SPACES.sub("", value).replace("\u2212", "-")
    if settings.ANSWER_DECIMAL_MARK == ",":
        value = value.replace(".", "").replace(",", ".")
    else:
        value = value.replace(",", "")
    return value or text


def read_date(field: Field, text: str) -> str:
    value = text.strip()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    parts = _date_parts(value)
    if parts is None:
        raise Unreadable(f"{field.label} must be a date, for example {date_example()}.")
    year, month, day = parts
    if year < 1000:
        raise Unreadable(f"{field.label}: please write the year in full, for example {date_example()}.")
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError as exc:
        raise Unreadable(f"{field.label} is not a real date; please check the day and month.") from exc


def _date_parts(value: str) -> tuple[int, int, int] | None:
    if match := _NUMERIC_DATE.match(value):
        a, b, c = (int(part) for part in match.groups())
        if len(match.group(1)) == 4:  # 1986/04/23 reads the same everywhere
            return a, b, c
        if settings.ANSWER_DATE_ORDER == "MDY":
            return c, a, b
        return c, b, a
    if match := _WORDY_DATE.match(value):
        day, month_name, year = match.groups()
    elif match := _WORDY_DATE_US.match(value):
        month_name, day, year = match.groups()
    else:
        return None
    month = _MONTHS.get(month_name.lower())
    return (int(year), month, int(day)) if month else None
