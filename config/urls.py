from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.access import can_use_admin_site
from channels_ingest.registry import channel_urlpatterns
from config import health, views

# The admin site asks accounts.access too, not only Django's is_staff flag.
# (The stubs see a method; replacing it on this one instance is what is meant.)
admin.site.has_permission = lambda request: can_use_admin_site(request.user)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    *channel_urlpatterns(),  # api/v1/, apply/ and every other channel (channels_ingest/registry.py)
    path("review/", include("auditing.urls")),
    path("models/", include("modelops.urls")),
    path("privacy/", include("privacy.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("governance/", include("governance.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="openapi-schema"), name="api-docs"),
]

# Under /api/ Django's error pages answer application/problem+json (config/errors.py).
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
