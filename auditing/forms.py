"""Forms of the review pages: they validate input and turn it into service arguments."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings

from applicants.models import Channel
from auditing.models import ExportFormat
from auditing.selectors import TrailFilters
from auditing.services.queue import QueueFilters
from scoring.models import TIERS

_TIER_CHOICES = [("", "any tier")] + [(t, t) for t in TIERS]
_CHANNEL_CHOICES = [("", "any channel"), *Channel.choices]


class QueueFilterForm(forms.Form):
    tier = forms.ChoiceField(choices=_TIER_CHOICES, required=False)
    channel = forms.ChoiceField(choices=_CHANNEL_CHOICES, required=False)
    model_version = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, label="Model version"
    )
    # At most ten years: a larger number of hours overflowed the date arithmetic (a 500).
    older_than_hours = forms.FloatField(
        required=False, min_value=0, max_value=24 * 3650, label="Waiting over (hours)"
    )
    duplicates = forms.BooleanField(required=False, label="Possible duplicates only")

    def __init__(self, *args: Any, versions: list[int] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if versions is not None:
            self.fields["model_version"] = forms.TypedChoiceField(
                choices=[("", "any model")] + [(v, f"v{v}") for v in versions],
                coerce=int,
                required=False,
                empty_value=None,
                label="Model version",
            )

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            tier=data.get("tier") or "",
            channel=data.get("channel") or "",
            model_version=data.get("model_version"),
            older_than_hours=data.get("older_than_hours"),
            duplicates_only=bool(data.get("duplicates")),
        )


def reason_choices() -> list[tuple[str, str]]:
    return [("", "— choose a reason —"), *settings.REVIEW_REASON_CODES.items()]


class ReviewForm(forms.Form):
    final_tier = forms.ChoiceField(choices=[(t, t) for t in TIERS], label="Tier")
    reason_code = forms.ChoiceField(choices=(), required=False, label="Reason")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason_code"]).choices = reason_choices()


class SecondOpinionForm(forms.Form):
    agree = forms.TypedChoiceField(
        choices=[("yes", "agree"), ("no", "disagree")], coerce=lambda v: v == "yes"
    )
    note = forms.CharField(required=False, max_length=2000)


class TrailSearchForm(forms.Form):
    application = forms.UUIDField(required=False, label="Application id")
    user = forms.CharField(required=False, max_length=150, label="User")
    action = forms.CharField(required=False, max_length=60)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end of the period is before its start.")
        return data

    def filters(self) -> TrailFilters:
        data = self.cleaned_data
        return TrailFilters(
            application=str(data["application"]) if data.get("application") else "",
            username=(data.get("user") or "").strip(),
            action=(data.get("action") or "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )


class QualityForm(forms.Form):
    """The label-quality period: 1 day to 10 years (a date cannot go back much further)."""

    days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        label="Days",
        error_messages={
            "invalid": "Enter the period as a whole number of days, e.g. 30.",
            "min_value": "The period is at least 1 day.",
            "max_value": "The period is at most 3650 days (10 years).",
        },
    )

    auditor = forms.CharField(
        required=False,
        max_length=150,
        label="Auditor",
        error_messages={"max_length": "No auditor has a name that long (150 characters at most)."},
    )

    DEFAULT_DAYS = 30

    def period_days(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("days"):
            return int(self.cleaned_data["days"])
        return self.DEFAULT_DAYS

    def auditor_label(self) -> str:
        """The auditor whose charts to draw; everyone ("") when none or a refused name."""
        if not self.is_bound:
            return ""
        self.is_valid()  # cleaned_data keeps the fields that passed (a refused period keeps the auditor)
        return str(self.cleaned_data.get("auditor") or "").strip()


class TrailPageForm(forms.Form):
    """Which page of the trail: entries older than `before` (the link "Older entries")."""

    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.CSV)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(choices=_CHANNEL_CHOICES, required=False)
    tier = forms.ChoiceField(choices=_TIER_CHOICES, required=False, label="Final tier")
    model_version = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, label="Model version"
    )
