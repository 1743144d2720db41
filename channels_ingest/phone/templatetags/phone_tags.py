from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from accounts.access import can_use_agent_screen

if TYPE_CHECKING:
    from accounts.types import AnyUser

register = template.Library()


@register.simple_tag
def agent_screen_allowed(user: AnyUser) -> bool:
    return can_use_agent_screen(user)


@register.filter
def person(user: Any) -> str:
    """A colleague by name (full name, else username), as the mail and review pages show staff."""
    if user is None:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return str(full or "").strip() or str(user.get_username())
