"""What a transcript keeps of a question or command: the words, with anything that could be
personal blanked (digits, email addresses, anything after 'my name is')."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\S+@\S+")
_DIGITS = re.compile(r"\d")
_NAMED = re.compile(r"\b(?:my name is|i am|i'm|call me|i live at|my address is)\b.*$", re.IGNORECASE)


def redact(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _NAMED.sub("[...]", text)
    return _DIGITS.sub("#", text)[:300]
