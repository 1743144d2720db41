from django.urls import path
from rest_framework.routers import SimpleRouter

from channels_ingest.api import views

app_name = "api"

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="application")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("schema/", views.SchemaView.as_view(), name="application-schema"),
    *router.urls,
]
