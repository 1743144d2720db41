"""Reading free text the way people write and say it, for one schema field at a time.

Numbers may come with currency signs, separators, `k`/`m` or in words ("forty five
thousand": text2num); dates in any common form (dateparser, in the order ANSWER_DATE_ORDER
says); yes and no in their usual variants; choices by number, by name or by a close match
(rapidfuzz). What is read here is handed to the one-field service as text it understands
(applicants.reading and applicants.validation then judge it); text nothing here can read is
passed on unchanged, so the service's own specific message is what the person hears.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import dateparser
from django.conf import settings
from rapidfuzz import fuzz, process
from text_to_num import alpha2digit

from applicants.schema import NUMERIC_TYPES, Field

YES = frozenset(
    {
        "yes",
        "y",
        "yeah",
        "yea",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "correct",
        "right",
        "true",
        "i do",
        "i agree",
        "agree",
        "agreed",
        "absolutely",
        "of course",
        "affirmative",
        "certainly",
        "definitely",
        "please do",
        "yes please",
        "go ahead",
        "that's right",
        "thats right",
        "1",
    }
)
NO = frozenset(
    {
        "no",
        "n",
        "nope",
        "nah",
        "false",
        "i don't",
        "i do not",
        "dont",
        "don't",
        "never",
        "negative",
        "not really",
        "no thanks",
        "no thank you",
        "i disagree",
        "disagree",
        "0",
    }
)
SKIP = frozenset(
    {
        "skip",
        "none",
        "n/a",
        "na",
        "not sure",
        "unsure",
        "don't know",
        "dont know",
        "i don't know",
        "no idea",
        "pass",
        "nothing",
        "not applicable",
        "i'm not sure",
        "im not sure",
    }
)

# Said of a count or an amount, these mean nought ("late payments? none").
ZERO_WORDS = frozenset(
    {
        "none",
        "never",
        "no",
        "nothing",
        "zero",
        "nil",
        "not once",
        "nope",
        "not any",
        "no payments",
        "none at all",
    }
)

_AMOUNT = re.compile(
    r"(?<![\w.])(?P<sign>-)?(?:[£$€¥₹]\s*)?(?P<num>\d{1,3}(?:[.,\s\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:\s*(?P<scale>k|m|bn|thousand|million|grand)\b)?",
    re.IGNORECASE,
)
_SCALES = {
    "k": 1000,
    "thousand": 1000,
    "grand": 1000,
    "m": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
}
_DIGIT_SCALE = re.compile(r"(\d)\s*(thousand|million|grand)\b", re.IGNORECASE)
_SCALE_LETTER = {"thousand": "k", "grand": "k", "million": "m"}
_YEARS = re.compile(r"\b(?P<n>\d+(?:\.\d+)?)\s*(?:years?|yrs?)\b", re.IGNORECASE)
_MONTHS = re.compile(r"\b(?P<n>\d+)\s*(?:months?|mths?|mos?)\b", re.IGNORECASE)
_LEAD_INS = re.compile(
    r"^(?:(?:it'?s|it is|that'?s|that is|i'?m|i am|my \w+(?: \w+)? is|i live at|i work (?:for|at)|"
    r"we live at|call me|you can reach me (?:at|on))\s+)",
    re.IGNORECASE,
)
_PUNCT = re.compile(r"[^\w\s'/-]")


def normalise(text: str) -> str:
    """Lower case, punctuation off, spaces squeezed: for matching phrases and commands."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def words_to_digits(text: str) -> str:
    """ "forty five thousand" -> "45000"; "one" stays "one" (text2num leaves lone small
    numbers as words in running text), so a text that is only a number word is converted too."""
    language = settings.CONVERSATION_LANGUAGE
    # "52 thousand": digits with a scale word are ours to read (text2num would make "52 1000")
    text = _DIGIT_SCALE.sub(lambda m: m.group(1) + _SCALE_LETTER[m.group(2).lower()], text)
    converted = alpha2digit(text, language)
    if converted == text and text.strip() and not any(ch.isdigit() for ch in text):
        converted = alpha2digit(text, language, threshold=0)
    return converted


def amounts(text: str) -> list[tuple[Decimal, int, int]]:
    """Every amount in the text with where it stands: (value, start, end)."""
    found = []
    for match in _AMOUNT.finditer(words_to_digits(text)):
        digits = re.sub(r"[\s\u00a0]", "", match.group("num"))
        if settings.ANSWER_DECIMAL_MARK == ",":
            digits = digits.replace(".", "").replace(",", ".")
        else:
            digits = digits.replace(",", "")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            continue
        if match.group("scale"):
            value *= _SCALES[match.group("scale").lower()]
        if match.group("sign"):
            value = -value
        found.append((value, match.start(), match.end()))
    return found


def parse_amount(text: str) -> Decimal | None:
    """The first amount in the text ("£45k" -> 45000, "forty five thousand" -> 45000)."""
    found = amounts(text)
    return found[0][0] if found else None


def parse_date(text: str) -> dt.date | None:
    """A whole date in any common form, in the configured order for numbers-only dates."""
    cleaned = text.strip()
    if not cleaned:
        return None
    parsed = dateparser.parse(
        cleaned,
        languages=[settings.CONVERSATION_LANGUAGE],
        settings={
            "DATE_ORDER": settings.ANSWER_DATE_ORDER,
            "REQUIRE_PARTS": ["day", "month", "year"],
            "PREFER_DATES_FROM": "past",
            "STRICT_PARSING": False,
        },
    )
    return parsed.date() if parsed else None


def parse_yes_no(text: str) -> bool | None:
    said = normalise(text)
    if said in YES:
        return True
    if said in NO:
        return False
    words = said.split()
    if words and words[0] in {"yes", "yeah", "yep", "sure", "ok", "okay", "absolutely"}:
        return True
    if words and words[0] in {"no", "nope", "nah", "never"}:
        return False
    return None


def is_skip(text: str) -> bool:
    return normalise(text) in SKIP


def parse_choice(field: Field, text: str, *, unit: str = "") -> Any:
    """A choice by its value, by its number in the list, by its label or by a close match.
    `unit` "months" lets "3 years" mean 36 for a field counted in months."""
    said = normalise(text)
    if not said:
        return None
    values = {str(c.value).lower(): c.value for c in field.choices}
    labels = {normalise(c.label): c.value for c in field.choices}
    if said in values:
        return values[said]
    if said in labels:
        return labels[said]
    numeric = all(isinstance(c.value, int) for c in field.choices)
    if numeric:
        digits = words_to_digits(text)
        if unit == "months" and (years := _YEARS.search(digits)):
            return int(Decimal(years.group("n")) * 12)
        if months_match := _MONTHS.search(digits):
            return int(months_match.group("n"))
        found = amounts(text)
        if found:
            number = found[0][0]
            return int(number) if number == int(number) else None
        return None
    # "2", "number 2", "the second" -> the second option
    found = amounts(text)
    if found and len(said.split()) <= 3:
        index = int(found[0][0]) if found[0][0] == int(found[0][0]) else 0
        if 1 <= index <= len(field.choices):
            return field.choices[index - 1].value
    candidates = {
        **{normalise(c.label): c.value for c in field.choices},
        **{str(c.value).replace("_", " "): c.value for c in field.choices},
    }
    best = process.extractOne(
        said, list(candidates), scorer=fuzz.WRatio, score_cutoff=settings.CONVERSATION_CHOICE_MIN_SCORE
    )
    return candidates[best[0]] if best else None


def strip_lead_in(text: str) -> str:
    """ "my name is Jane Example" -> "Jane Example"; "it's 1 Example Street" -> the street."""
    return _LEAD_INS.sub("", text.strip(), count=1).strip().rstrip(".!")


def raw_for_field(field: Field, text: str, *, unit: str = "") -> Any:
    """The answer as the one-field service reads it, or the text as said when nothing here
    can read it (the service then says precisely what is wrong)."""
    cleaned = text.strip()
    if field.type in NUMERIC_TYPES:
        if normalise(cleaned) in ZERO_WORDS:
            return "0"
        if unit == "months" and (years := _YEARS.search(words_to_digits(cleaned))):
            return str(Decimal(years.group("n")) * 12)
        value = parse_amount(cleaned)
        return str(value) if value is not None else cleaned
    if field.type == "date":
        day = parse_date(strip_lead_in(cleaned))
        return day.isoformat() if day else cleaned
    if field.type == "boolean":
        answer = parse_yes_no(cleaned)
        return cleaned if answer is None else ("yes" if answer else "no")
    if field.type == "choice":
        value = parse_choice(field, strip_lead_in(cleaned), unit=unit)
        return cleaned if value is None else value
    if field.type == "phone":
        return strip_lead_in(cleaned)
    return strip_lead_in(cleaned)
