"""The model lifecycle in the admin: versions (with their status history), imports, runs,
deployments; all read-only, the registry pages and commands change them."""

from django.contrib import admin

from modelops.models import HistoryImport, ModelDeployment, ModelStatusChange, RescoreRun, TrainingRun
from scoring.models import ModelVersion


class StatusHistoryInline(admin.TabularInline):
    model = ModelStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "status", "schema_name", "training_rows", "created_at", "activated_at"]
    list_filter = ["status", "schema_name"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    inlines = [StatusHistoryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the registry retires versions; decisions name them


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HistoryImport)
class HistoryImportAdmin(_ReadOnly):
    list_display = [
        "created_at",
        "file_name",
        "label_kind",
        "rows_read",
        "rows_imported",
        "rows_already_imported",
        "rows_rejected",
    ]


@admin.register(RescoreRun)
class RescoreRunAdmin(_ReadOnly):
    list_display = [
        "pk",
        "model_version",
        "mode",
        "status",
        "total",
        "processed",
        "changed",
        "routed_to_review",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "mode"]


@admin.register(TrainingRun)
class TrainingRunAdmin(_ReadOnly):
    list_display = ["pk", "status", "stage", "model_version", "requested_by", "created_at"]


@admin.register(ModelDeployment)
class ModelDeploymentAdmin(_ReadOnly):
    list_display = ["created_at", "model_version", "endpoint_name", "variant_name", "action"]
