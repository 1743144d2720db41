from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.access import can_see_duplicate_flags, can_see_model_figures
from applicants.models import Application
from applicants.outcome import applicant_view
from scoring.selectors import current_decision


class SubmitApplicationSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text="Field name to value, as described by GET /api/v1/schema/.")


def submitted_answers(data: Any) -> dict[str, Any]:
    """The answers of a submission's body, as SubmitApplicationSerializer validates them (it
    only checks their shape: applicants.validation judges the answers themselves). The usual
    body, a JSON object whose `answers` is an object, gives the same result without the
    serializer's field machinery; any other body goes through the serializer, so its errors
    read as they always did."""
    if type(data) is dict and type(answers := data.get("answers")) is dict:
        return {str(name): value for name, value in answers.items()}
    body = SubmitApplicationSerializer(data=data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data["answers"])


class ReasonSerializer(serializers.Serializer):
    feature = serializers.CharField()
    # A declared field: the serializer's metaclass takes it out of the class attributes, so it
    # does not replace Field.label (the stubs cannot see that).
    label = serializers.CharField()  # type: ignore[assignment]
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


class OutcomeSerializer(serializers.Serializer):
    """What the applicant is told (applicants.outcome): never a probability."""

    stage = serializers.ChoiceField(choices=["received", "assessing", "review", "decided", "failed"])
    headline = serializers.CharField()
    text = serializers.CharField()
    final = serializers.BooleanField(help_text="Nothing will change any more.")
    next_steps = serializers.CharField(help_text="What happens next, in plain words.")
    tier = serializers.CharField(
        allow_blank=True,
        help_text="The final tier once decided: the one a reviewer settled on, else the model's "
        "(blank before, and where the lender does not show outcomes).",
    )
    outcome = serializers.CharField(allow_blank=True, help_text="The tier in the lender's words.")
    reviewed = serializers.BooleanField(help_text="A member of staff checked this outcome.")
    decided_at = serializers.DateTimeField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField(), help_text="The main reasons, in words.")


class ApplicationSerializer(serializers.ModelSerializer):
    link = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField(
        help_text="Staff only: the model's decision with its probabilities and reason weights."
    )
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
            "final_tier",
            "outcome",
            "decision",
            "link",
        ]
        read_only_fields = fields

    def to_representation(self, application: Application) -> dict[str, Any]:
        data = super().to_representation(application)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not can_see_duplicate_flags(user):
            data.pop("possible_duplicate", None)
        if not can_see_model_figures(user):
            for staff_only in ("decision", "failure_reason", "final_tier"):
                data.pop(staff_only, None)
        return data

    def get_link(self, application: Application) -> str:
        return reverse("api:application-detail", args=[application.pk], request=self.context.get("request"))

    @extend_schema_field(OutcomeSerializer)
    def get_outcome(self, application: Application) -> dict[str, Any]:
        return dict(OutcomeSerializer(applicant_view(application, current_decision(application))).data)

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, application: Application) -> dict[str, Any] | None:
        request = self.context.get("request")
        if not can_see_model_figures(getattr(request, "user", None)):
            return None  # dropped in to_representation: no model figures for applicants
        decision = current_decision(application)
        return DecisionSerializer(decision).data if decision else None


class AcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    link = serializers.URLField()
    possible_duplicate = serializers.BooleanField(
        required=False, help_text="Staff only: the same person applied within the window."
    )
