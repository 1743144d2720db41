from django.contrib import admin

from scoring.models import Decision


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = [
        "application",
        "tier",
        "prob_high",
        "model_version",
        "routed_to_review",
        "is_current",
        "created_at",
    ]
    list_filter = ["tier", "routed_to_review", "is_current"]
    readonly_fields = [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a decision is kept for audit; nothing records a deletion here
