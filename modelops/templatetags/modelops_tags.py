from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.urls import reverse

from accounts.access import can_view_models

if TYPE_CHECKING:
    from accounts.types import AnyUser

register = template.Library()


@register.simple_tag
def model_nav_links(user: AnyUser) -> list[dict[str, str]]:
    """The registry's links, for those who may open it."""
    if not can_view_models(user):
        return []
    return [
        {"url": reverse("modelops:model-list"), "label": "Models"},
        {"url": reverse("modelops:rescoring"), "label": "Rescoring"},
    ]
