from django.urls import path

from channels_ingest.webform import views

app_name = "webform"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.start, name="start"),
    path("drafts/<uuid:draft_id>/", views.resume, name="resume"),
    path("drafts/<uuid:draft_id>/review/", views.review, name="review"),
    path("drafts/<uuid:draft_id>/answers/<str:name>/", views.check_field, name="check-field"),
    # Steps have a prefix of their own: a section may be named like any other page of a
    # draft (`review`, `answers`) without one shadowing the other.
    path("drafts/<uuid:draft_id>/steps/<slug:section>/", views.step, name="step"),
    path("applications/<uuid:application_id>/", views.status, name="status"),
]
