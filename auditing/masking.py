"""Masking of personal answers for people whose role may not read them (pure functions)."""

from __future__ import annotations

from typing import Any

MASK = "•"


def mask_value(value: Any) -> str:
    """Enough shape to recognise a value's kind, nothing that identifies the person:
    'Jane Q. Example' → 'J••• Q• E••••••', 'jane@example.com' → 'j•••@e••••••.com',
    '+44 20 7946 0000' → '+•• •• •••• ••00', a date → '••••-••-••'."""
    if value is None or value == "":
        return ""
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        name, dot, tld = domain.rpartition(".")
        return (
            f"{_keep_first(local)}@{_keep_first(name)}{dot}{tld}"
            if dot
            else f"{_keep_first(local)}@{_keep_first(domain)}"
        )
    if any(ch.isdigit() for ch in text) and not any(ch.isalpha() for ch in text):
        # Numbers, phone numbers, dates: keep separators, show at most the last two digits.
        digits = sum(ch.isdigit() for ch in text)
        keep = 2 if digits >= 8 else 0
        out, seen = [], 0
        for ch in text:
            if ch.isdigit():
                seen += 1
                out.append(ch if seen > digits - keep else MASK)
            else:
                out.append(ch)
        return "".join(out)
    return " ".join(_keep_first(word) for word in text.split(" "))


def _keep_first(word: str) -> str:
    if not word:
        return word
    return word[0] + MASK * (len(word) - 1) if word[0].isalpha() else MASK * len(word)
