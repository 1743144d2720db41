"""Forms of the monitoring pages: the dashboard's period and channel, refused with a message
when tampered with (never silently read as the default)."""

from __future__ import annotations

from django import forms

from applicants.models import Channel

PERIODS = {"30": 30, "90": 90, "365": 365}
DEFAULT_PERIOD = "30"


class DashboardForm(forms.Form):
    days = forms.ChoiceField(
        choices=[(key, f"last {n} days") for key, n in PERIODS.items()],
        required=False,
        label="Period",
        error_messages={"invalid_choice": "The period is 30, 90 or 365 days, not %(value)s."},
    )
    channel = forms.ChoiceField(
        choices=[("", "all channels"), *Channel.choices],
        required=False,
        label="Drift for",
        error_messages={"invalid_choice": "%(value)s is not a channel."},
    )

    def period_days(self) -> int:
        key = self.cleaned_data.get("days") if self.is_bound and self.is_valid() else ""
        return PERIODS[key or DEFAULT_PERIOD]

    def channel_code(self) -> str:
        return (self.cleaned_data.get("channel") or "") if self.is_bound and self.is_valid() else ""
