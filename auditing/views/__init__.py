"""Pages of the review queue, the audit trail search and labelled exports.

Every view asks accounts.access (through `allowed`); none decides access itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def allowed(check: Callable[[Any], bool]) -> Callable[..., Any]:
    """Log in first (a redirect), then the access function decides (403 when it says no)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied("your role does not allow this page")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
