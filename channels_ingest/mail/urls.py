from django.urls import path

from channels_ingest.mail import pages, views

app_name = "mail"

urlpatterns = [
    path("", views.home, name="home"),
    path("batches/new/", views.batch_new, name="batch-new"),
    path("batches/<int:batch_id>/", views.batch, name="batch"),
    path("forms/<int:item_id>/scan/", views.scan, name="scan"),
    path("forms/<int:item_id>/scan/upload/", views.scan_upload_view, name="scan-upload"),
    path("forms/<int:item_id>/key/", views.pass_start_view, name="pass-start"),
    path("passes/<int:pass_id>/", views.key, name="key"),
    path("passes/<int:pass_id>/answers/<str:name>/", pages.check_field, name="check-field"),
    path("forms/<int:item_id>/unreadable/", pages.mark_unreadable, name="unreadable"),
    path("forms/<int:item_id>/decide/", pages.decide, name="decide"),
    path("forms/<int:item_id>/resolve/", views.resolve, name="resolve"),
    path("quality/", views.quality, name="quality"),
]
