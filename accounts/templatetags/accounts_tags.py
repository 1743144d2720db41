"""Navigation for the accounts' own pages: links are shown only to who may use them."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.access import can_use_admin_site

register = template.Library()


@register.simple_tag
def admin_site_allowed(user: Any) -> bool:
    """The Django admin ("Admin" in the navigation): platform administrators only."""
    return can_use_admin_site(user)
