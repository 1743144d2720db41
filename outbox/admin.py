from django.contrib import admin

from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "key", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["topic", "status"]
    search_fields = ["key"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
