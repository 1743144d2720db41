"""Logins of staff are audit trail entries ("login", "login.failed").

Django's auth signals are the one place every login passes (the login page, the admin, any
future single sign-on backend), which is why this is a receiver and not a view's job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts.access import is_staff_member
from accounts.client_ip import client_ip
from trail.services import trail_record

if TYPE_CHECKING:
    from accounts.types import AnyUser


def _client(request: Any) -> dict[str, str]:
    if request is None:
        return {}
    # Behind a proxy REMOTE_ADDR is the proxy's; client_ip trusts only the configured hops.
    return {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200]}


@receiver(user_logged_in, dispatch_uid="auditing.staff_login")
def record_staff_login(sender: Any, request: Any, user: AnyUser, **kwargs: Any) -> None:
    if is_staff_member(user):
        trail_record(
            action="login", object_type="user", object_id=user.pk, actor=user, after=_client(request)
        )


@receiver(user_login_failed, dispatch_uid="auditing.staff_login_failed")
def record_staff_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    """A failed login to a staff account (wrong password): a sign of guessing worth keeping."""
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first() if username else None
    if user is not None and is_staff_member(user):
        trail_record(
            action="login.failed",
            object_type="user",
            object_id=user.pk,
            actor=f"attempt:{username}",
            after=_client(request),
        )
