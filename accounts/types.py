"""The user type, named for annotations instead of `Any`.

The project keeps Django's own user model (AUTH_USER_MODEL is not set), so `User` is
`django.contrib.auth.models.User`; code that takes a user imports it from here, so a custom
user model later changes one line. A request's user may also be anonymous: `AnyUser`. Who
did something, as services and the audit trail take it, is an `Actor`: a user (an anonymous
one counts as nobody), a system job's name, or nobody. A view that only runs for a signed-in
user (behind login_required or an access check) annotates its request as
`AuthenticatedHttpRequest`, django-stubs' pattern, so its `request.user` is a `User`; one that
reads `request.htmx` (django-htmx's middleware) annotates it as `HtmxHttpRequest`, the pattern
django-htmx documents.
Import these under `if TYPE_CHECKING:` in modules loaded before the app registry is ready.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

__all__ = ["Actor", "AnyUser", "AuthenticatedHttpRequest", "HtmxHttpRequest", "User"]

AnyUser = User | AnonymousUser
Actor = User | AnonymousUser | str | None


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
