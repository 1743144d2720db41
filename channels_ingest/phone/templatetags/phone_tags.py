from typing import Any

from django import template

from accounts.access import can_use_agent_screen

register = template.Library()


@register.simple_tag
def agent_screen_allowed(user: Any) -> bool:
    return can_use_agent_screen(user)
