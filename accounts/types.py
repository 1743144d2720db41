"""The user type, named for annotations instead of `Any`.

The project keeps Django's own user model (AUTH_USER_MODEL is not set), so `User` is
`django.contrib.auth.models.User`; code that takes a user imports it from here, so a custom
user model later changes one line. A request's user may also be anonymous: `AnyUser`.
Import these under `if TYPE_CHECKING:` in modules loaded before the app registry is ready.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

__all__ = ["AnyUser", "User"]

AnyUser = User | AnonymousUser
