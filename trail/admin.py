from django.contrib import admin
from django.http import HttpRequest

from trail.models import TrailEntry


@admin.register(TrailEntry)
class TrailEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "seq", "key_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label"]
    readonly_fields = [f.name for f in TrailEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TrailEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TrailEntry | None = None) -> bool:
        return False
