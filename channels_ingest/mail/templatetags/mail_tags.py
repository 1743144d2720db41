from typing import Any

from django import template

from accounts.access import can_use_mail_entry

register = template.Library()


@register.simple_tag
def mail_entry_allowed(user: Any) -> bool:
    return can_use_mail_entry(user)
