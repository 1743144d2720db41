"""The real URLconf plus a page that fails the way an unexpected bug would (the 500 page)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as real_urlpatterns


def failing_page(request: HttpRequest) -> HttpResponse:
    raise KeyError("a bug in a page")


urlpatterns = [path("test-failure/page/", failing_page), *real_urlpatterns]
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
