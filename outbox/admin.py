from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import outbox_requeue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Dead letters are the rows to look at: filter on status "Dead letter", read the last
    error, fix the cause, then re-drive them with the action."""

    list_display = [
        "id",
        "topic",
        "key",
        "event",
        "status",
        "attempts",
        "short_error",
        "next_attempt_at",
        "created_at",
        "dead_at",
    ]
    list_filter = ["status", "topic"]
    search_fields = ["key", "last_error"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["redrive"]
    ordering = ["-id"]

    @admin.display(description="event")
    def event(self, message: OutboxMessage) -> str:
        event: str = (message.payload or {}).get("event", "")
        return event

    @admin.display(description="last error")
    def short_error(self, message: OutboxMessage) -> str:
        return Truncator(message.last_error).chars(120)

    @admin.action(description="Re-drive selected messages (send again from scratch)")
    def redrive(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = outbox_requeue(
            ids=queryset.exclude(status=OutboxStatus.DELIVERED).values_list("id", flat=True)
        )
        from outbox.registry import outbox_wake

        for topic in sorted(set(queryset.values_list("topic", flat=True))):
            outbox_wake(topic, force=True)
        self.message_user(request, f"{count} message(s) will be delivered again.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False
