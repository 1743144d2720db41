from django.urls import path

from auditing.views import exports, quality, queue, trail

app_name = "auditing"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("next", queue.claim_next, name="claim-next"),
    path("items/<int:item_id>/", queue.item, name="item"),
    path("items/<int:item_id>/claim", queue.claim, name="claim"),
    path("items/<int:item_id>/renew", queue.renew, name="renew"),
    path("items/<int:item_id>/release", queue.release, name="release"),
    path("items/<int:item_id>/skip", queue.skip, name="skip"),
    path("items/<int:item_id>/review", queue.review, name="review"),
    path("items/<int:item_id>/second-opinion", queue.second_opinion, name="second-opinion"),
    path("items/<int:item_id>/unmask", queue.unmask, name="unmask"),
    path("quality/", quality.quality, name="quality"),
    path("trail/", trail.trail, name="trail"),
    path("trail/export.csv", trail.trail_export, name="trail-export"),
    path("exports/", exports.exports, name="exports"),
    path("exports/<int:job_id>/status", exports.export_status, name="export-status"),
    path("exports/<int:job_id>/download", exports.export_download, name="export-download"),
]
