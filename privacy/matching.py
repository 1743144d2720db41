"""Finding a person's values in free text (notes, log lines) in the forms people write them.

A national ID or phone number is found with any separators between its characters and in
any letter case; a date in ISO, day-first and month-first orders; a phone number also
without its country code; an email also by its local part; a name also by each of its
words of three letters or more. Used to scrub notes during an erasure and, in the tests,
to prove no log line carries a submitted value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[erased]"
_SEPARATORS = r"[\s\-./,()_+]*"


def _spaced(chars: str) -> str:
    """Each character in turn, any separators between them."""
    return _SEPARATORS.join(re.escape(ch) for ch in chars)


def _date_forms(text: str) -> list[str]:
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return []
    d, m, y = f"{day.day:02d}", f"{day.month:02d}", f"{day.year:04d}"
    return [y + m + d, d + m + y, m + d + y]


def value_patterns(name: str, value: Any) -> list[str]:
    """Regular expressions (case-insensitive) that find `value` of the field `name`."""
    if value is None or isinstance(value, bool):
        return []
    text = str(value).strip()
    alnum = re.sub(r"[^0-9A-Za-z]", "", text)
    if len(alnum) < 4:  # shorter values would match everywhere
        return []
    patterns = []
    if any(ch.isdigit() for ch in text):
        patterns.append((r"\+?" if text.startswith("+") else "") + _spaced(alnum))
        for form in _date_forms(text):
            patterns.append(_spaced(form))
        digits = re.sub(r"\D", "", text)
        if text.startswith("+") and len(digits) >= 9:
            patterns.append(_spaced(digits[-9:]))  # the number without its country code
    else:
        patterns.append(r"\s+".join(re.escape(word) for word in text.split()))
    if "@" in text:
        local = text.split("@", 1)[0]
        if len(local) >= 3:
            patterns.append(re.escape(local))
    if "name" in name:
        patterns += [rf"\b{re.escape(word)}\b" for word in re.findall(r"[^\W\d_]{3,}", text)]
    return patterns


class PersonalValues:
    """Everything that would point at one or more people, as one compiled pattern."""

    def __init__(self, answers: Iterable[Mapping[str, Any]]):
        patterns: list[str] = []
        for mapping in answers:
            for name, value in (mapping or {}).items():
                patterns += value_patterns(name, value)
        unique = sorted(set(patterns), key=len, reverse=True)  # longest first: scrub whole values
        self.pattern = re.compile("|".join(unique), re.IGNORECASE) if unique else None

    def __bool__(self) -> bool:
        return self.pattern is not None

    def found_in(self, text: str) -> list[str]:
        return self.pattern.findall(text) if self.pattern and text else []

    def scrub(self, text: str) -> str:
        return self.pattern.sub(REDACTED, text) if self.pattern and text else text
