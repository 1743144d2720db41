from django.urls import path

from modelops import views, views_history

app_name = "modelops"

urlpatterns = [
    path("", views.model_list, name="model-list"),
    path("rollback/", views.model_rollback, name="model-rollback"),
    path("train/", views.training_start, name="training-start"),
    path("training/<int:pk>/", views.training_detail, name="training-detail"),
    path("rescoring/", views.rescoring, name="rescoring"),
    path("history/", views_history.history_upload, name="history-upload"),
    path("history/<int:pk>/rejects.csv", views_history.history_rejects, name="history-rejects"),
    path("<int:version>/", views.model_detail, name="model-detail"),
    path("<int:version>/approve/", views.model_approve, name="model-approve"),
    path("<int:version>/activate/", views.model_activate, name="model-activate"),
    path("<int:version>/retire/", views.model_retire, name="model-retire"),
    path("<int:version>/shadow/", views.model_shadow, name="model-shadow"),
]
