"""The phone simulator (DEBUG only; every request answers 404 otherwise)."""

from django.urls import path

from channels_ingest.conversation.simulator import views

app_name = "simulator"

urlpatterns = [path("", views.phone, name="phone")]
