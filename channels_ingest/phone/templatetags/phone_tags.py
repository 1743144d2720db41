from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from accounts.access import can_use_agent_screen

if TYPE_CHECKING:
    from accounts.types import AnyUser

register = template.Library()


@register.simple_tag
def agent_screen_allowed(user: AnyUser) -> bool:
    return can_use_agent_screen(user)


@register.filter
def person(user: AnyUser) -> str:
    """A colleague by name (full name, else username), as the mail and review pages show staff."""
    if user is None:
        return ""
    return (user.get_full_name() or "").strip() or user.get_username()
