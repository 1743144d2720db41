"""Navigation for the accounts' own pages: links are shown only to who may use them."""

from __future__ import annotations

import re
from typing import Any

from django import template

from accounts.access import can_use_admin_site
from accounts.types import AnyUser

register = template.Library()


@register.simple_tag
def admin_site_allowed(user: AnyUser) -> bool:
    """The Django admin ("Admin" in the navigation): platform administrators only."""
    return can_use_admin_site(user)


_BY_TOKEN = re.compile(r"user:(\d+)")


@register.filter
def by_people(by: Any) -> str:
    """A provenance `by` ("user:5+user:6;resolved_by:user:7") with each account named (full
    name, else username): "ann + bob; resolved by sue". Other actors (a conversation, a job)
    stay as they are."""
    text = str(by or "")
    ids = {int(pk) for pk in _BY_TOKEN.findall(text)}
    if not ids:
        return text
    from django.contrib.auth import get_user_model

    users = get_user_model()._default_manager.filter(pk__in=ids)
    names = {u.pk: (u.get_full_name().strip() or u.get_username()) for u in users}
    text = _BY_TOKEN.sub(lambda m: names.get(int(m.group(1)), m.group(0)), text)
    return text.replace("+", " + ").replace(";resolved_by:", "; resolved by ")
