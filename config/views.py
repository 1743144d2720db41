from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import can_use_admin_site, roles_of
from accounts.roles import ROLE_DESCRIPTIONS
from scoring.selectors import model_version_active


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {
            "roles": sorted(roles_of(request.user)),
            "role_descriptions": ROLE_DESCRIPTIONS,
            "active_model": model_version_active(),
            "can_use_admin": can_use_admin_site(request.user),
        },
    )
