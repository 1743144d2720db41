from django.urls import path

from accounts import views

urlpatterns = [
    path("two-factor/", views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/enrol/", views.two_factor_enrol, name="two-factor-enrol"),
]
