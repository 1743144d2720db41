from django.contrib import admin
from django.http import HttpRequest

from applicants.models import Applicant, Application


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "channel", "possible_duplicate", "created_at"]
    list_filter = ["status", "channel", "possible_duplicate"]
    search_fields = ["id"]
    date_hierarchy = "created_at"
    # Personal answers (`pii`) are not shown here: they are read through audited pages.
    readonly_fields = [
        "id",
        "applicant",
        "schema_name",
        "schema_hash",
        "answers",
        "channel",
        "submitted_by",
        "owner",
        "idempotency_scope",
        "idempotency_key",
        "status",
        "failure_reason",
        "possible_duplicate",
        "duplicate_of",
        "scoring_attempts",
        "final_tier",
        "labelled_at",
        "created_at",
        "updated_at",
    ]
    exclude = ["pii", "scoring_claim", "scoring_started_at", "request_fingerprint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # applications arrive through channels, never typed into the admin

    def has_delete_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False  # kept for audit (decisions cascade); erasure anonymises (privacy)


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at"]
    exclude = ["pii"]
    readonly_fields = ["id", "identity_hash", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Applicant | None = None) -> bool:
        return False  # erasure anonymises a person through the privacy app, recorded
