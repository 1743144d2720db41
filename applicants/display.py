"""Values as people read them: choice codes as the schema's labels, money in the schema's
currency, ratios as percentages, booleans as Yes/No, records as key: value.

Plain functions, so presenters use them as well as templates (the template filters in
applicants/templatetags/readable.py are these functions).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

EMPTY = "—"
# Symbols for the common currencies; any other ISO code is written before the amount
# ("CHF 1,200"). (Babel's format_currency would cover every locale: a dependency to weigh.)
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def yes_no(value: Any) -> str:
    """True → Yes, False → No, None → —."""
    if value is None or value == "":
        return EMPTY
    return "Yes" if value else "No"


def money(value: Any, currency: str = "") -> str:
    """1234.5 → £1,234.50, 54000 → £54,000, in the schema's currency unless one is named."""
    amount = _number(value)
    if amount is None:
        return EMPTY if value in (None, "") else str(value)
    if not currency:
        from applicants.schema import get_schema

        currency = get_schema().currency
    text = f"{abs(amount):,.0f}" if amount == amount.to_integral_value() else f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{currency} {text}".strip()


def percent(value: Any, digits: Any = None) -> str:
    """A ratio as a percentage: 0.514286 → 51.4%, 0.05 → 5%, None → —."""
    ratio = _number(value)
    if ratio is None:
        return EMPTY if value in (None, "") else str(value)
    share = ratio * 100
    if digits is None or digits == "":
        digits = 0 if share == share.to_integral_value() or abs(share) >= 100 else 1
    return f"{share:,.{int(digits)}f}%"


def channel(code: Any) -> str:
    """A channel code as its name: phone_agent → Call-centre agent."""
    from applicants.models import Channel

    try:
        return str(Channel(code).label)
    except ValueError:
        return str(code or EMPTY)


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


def answer(value: Any, name: str) -> str:
    """An answer (or derived value) named `name` as the schema says to read it: a choice code
    as its label (employed_full_time → Employed full-time), money in the schema's currency,
    ratios as percentages, booleans as Yes/No, numbers with thousands separators."""
    from applicants.schema import get_schema

    schema = get_schema()
    spec: Any = schema.by_name.get(name) or next((d for d in schema.derived if d.name == name), None)
    if value is None or value == "":
        return EMPTY
    if spec is None:
        return plain(value)
    display = getattr(spec, "display", "")
    if display == "money":
        return money(value, schema.currency)
    if display == "percent":
        return percent(value)
    kind = getattr(spec, "type", "number")
    if kind == "choice":
        labels: dict[str, str] = {str(c.value): c.label for c in spec.choices}
        return labels.get(str(value), str(value))
    if kind == "boolean" or isinstance(value, bool):
        return yes_no(value)
    number = _number(value)
    if kind in ("integer", "number") and number is not None:
        return f"{number:,.0f}" if number == number.to_integral_value() else plain(float(number))
    return str(value)
