"""After a password login, remember in the session whether a second factor is still due.

Django's user_logged_in signal is the one place every password login passes (the login page,
the admin site), so the flag is set here rather than in a view. The middleware then asks for
the code before any other page (accounts/middleware.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

SECOND_FACTOR_DUE = "accounts.second_factor_due"


@receiver(user_logged_in, dispatch_uid="accounts.second_factor_due")
def ask_for_second_factor_after_password(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from django_otp import user_has_device

    session = getattr(request, "session", None)
    if session is not None:
        session[SECOND_FACTOR_DUE] = user_has_device(user, confirmed=True)
