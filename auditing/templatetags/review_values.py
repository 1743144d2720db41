"""Review-queue values in words (`{% load review_values %}`), through applicants.display."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from applicants.display import answer

register = template.Library()


@register.filter
def impact(value: Any) -> str:
    """The impact answer (REVIEW_IMPACT_FIELD, e.g. the amount asked for) as the schema says
    to read it: £12,000 rather than 12000."""
    return answer(value, settings.REVIEW_IMPACT_FIELD)
