from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("erasures/", views.erasures, name="erasures"),
]
