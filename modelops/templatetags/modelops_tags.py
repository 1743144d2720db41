from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from accounts.access import can_view_models

register = template.Library()


@register.simple_tag
def model_nav_links(user: Any) -> list[dict[str, str]]:
    """The registry's links, for those who may open it."""
    if not can_view_models(user):
        return []
    return [
        {"url": reverse("modelops:model-list"), "label": "Models"},
        {"url": reverse("modelops:rescoring"), "label": "Rescoring"},
    ]
