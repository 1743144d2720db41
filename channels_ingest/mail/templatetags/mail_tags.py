from typing import Any

from django import template

from accounts.access import can_use_mail_entry
from channels_ingest.mail.selectors import person_name

register = template.Library()


@register.simple_tag
def mail_entry_allowed(user: Any) -> bool:
    # A page rendered without a request (no user in its context) shows no link.
    return hasattr(user, "is_authenticated") and can_use_mail_entry(user)


@register.filter
def person(user: Any) -> str:
    """A colleague by name (full name, else username), never `user:<id>`."""
    return person_name(user)
