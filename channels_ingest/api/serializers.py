from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.access import can_see_duplicate_flags
from applicants.models import Application
from scoring.selectors import current_decision


class SubmitApplicationSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text="Field name to value, as described by GET /api/v1/schema/.")


class ReasonSerializer(serializers.Serializer):
    feature = serializers.CharField()
    label = serializers.CharField()
    statement = serializers.CharField(help_text="The reason in plain language.")
    direction = serializers.ChoiceField(choices=["increases_risk", "decreases_risk"])
    contribution = serializers.FloatField(help_text="Effect on the risk log-odds.")
    value = serializers.JSONField(allow_null=True)


class DecisionSerializer(serializers.Serializer):
    tier = serializers.CharField()
    probabilities = serializers.DictField(child=serializers.FloatField())
    reasons = ReasonSerializer(many=True)
    model_version = serializers.IntegerField(source="model_version.version")
    in_review = serializers.BooleanField(source="routed_to_review")
    decided_at = serializers.DateTimeField(source="created_at")


class ApplicationSerializer(serializers.ModelSerializer):
    link = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    possible_duplicate = serializers.BooleanField(
        required=False, help_text="Staff only: the same person applied within the window."
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "status",
            "channel",
            "created_at",
            "updated_at",
            "possible_duplicate",
            "failure_reason",
            "decision",
            "link",
        ]
        read_only_fields = fields

    def to_representation(self, application: Application) -> dict[str, Any]:
        data = super().to_representation(application)
        request = self.context.get("request")
        if not can_see_duplicate_flags(getattr(request, "user", None)):
            data.pop("possible_duplicate", None)
        return data

    def get_link(self, application: Application) -> str:
        return reverse("api:application-detail", args=[application.pk], request=self.context.get("request"))

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, application: Application) -> dict[str, Any] | None:
        decision = current_decision(application)
        return DecisionSerializer(decision).data if decision else None


class AcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    link = serializers.URLField()
    possible_duplicate = serializers.BooleanField(
        required=False, help_text="Staff only: the same person applied within the window."
    )
