"""The real URLconf plus two routes that fail the way an unexpected bug would, so the tests
can see what a client gets for an unhandled exception under /api/."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from config.urls import urlpatterns as real_urlpatterns


@api_view(["GET"])
@permission_classes([AllowAny])
def failing_api_view(request: Request) -> HttpResponse:
    raise ZeroDivisionError("a bug with a secret detail in its message")


def failing_plain_view(request: HttpRequest) -> HttpResponse:
    raise KeyError("a bug in a plain Django view")


urlpatterns = [
    path("api/v1/test-failure/drf/", failing_api_view),
    path("api/v1/test-failure/plain/", failing_plain_view),
    *real_urlpatterns,
]
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
