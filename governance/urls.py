from django.urls import path

from governance import views

app_name = "governance"

urlpatterns = [
    path("replays/", views.replays, name="replays"),
    path("replays/<int:pk>/", views.replay_detail, name="replay-detail"),
    path("replays/<int:pk>/movers.csv", views.replay_download, name="replay-download"),
    path("models/<int:version>/evidence/", views.evidence, name="evidence"),
    path("models/<int:version>/evidence/replay/", views.evidence_replay, name="evidence-replay"),
    path("models/<int:version>/evidence/assemble/", views.evidence_assemble, name="evidence-assemble"),
    path("models/<int:version>/approve/", views.approve, name="approve"),
    path("models/<int:version>/card/", views.card, name="card"),
    path("models/<int:version>/card/download/", views.card_download, name="card-download"),
]
