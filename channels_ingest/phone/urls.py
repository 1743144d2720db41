from django.urls import path

from channels_ingest.phone import keying, views

app_name = "phone"

urlpatterns = [
    path("", views.home, name="home"),
    path("calls/", views.call_new, name="call-new"),
    path("calls/<uuid:call_id>/verify/", views.verify, name="verify"),
    path("calls/<uuid:call_id>/", views.caller, name="caller"),
    path("calls/<uuid:call_id>/draft/", views.key_draft, name="key-draft"),
    path("calls/<uuid:call_id>/review/", keying.review, name="review"),
    path("calls/<uuid:call_id>/done/", keying.done, name="done"),
    path("calls/<uuid:call_id>/answers/<str:name>/", keying.check_field, name="check-field"),
    path("calls/<uuid:call_id>/key/<slug:section>/", keying.key, name="key"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("handoffs/<uuid:handoff_id>/take/", views.handoff_take, name="handoff-take"),
    path("handoffs/<uuid:handoff_id>/release/", views.handoff_giveback, name="handoff-release"),
]
