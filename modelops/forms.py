"""Forms of the model pages: they validate input (a tampered value is refused with a message,
never read as "all") and turn it into service arguments."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from applicants.models import Channel


class RescoreForm(forms.Form):
    """Start a rescoring run. Without `confirm` it is only a preview: the page shows how many
    open applications would be scored again and asks to confirm."""

    model_version = forms.TypedChoiceField(
        choices=(),
        coerce=int,
        required=False,
        empty_value=None,
        label="Model",
        error_messages={"invalid_choice": "Model %(value)s may not rescore; pick one from the list."},
    )
    channel = forms.ChoiceField(
        choices=[("", "all channels"), *Channel.choices],
        required=False,
        error_messages={"invalid_choice": "%(value)s is not a channel; pick one from the list."},
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, versions: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["model_version"]).choices = [("", "the active model")] + [
            (m.version, f"v{m.version} ({m.status})") for m in versions
        ]

    def filters(self) -> dict[str, Any]:
        channel = self.cleaned_data.get("channel")
        return {"channels": [channel] if channel else None}

    def describe(self) -> str:
        version = self.cleaned_data.get("model_version")
        channel = self.cleaned_data.get("channel")
        model = f"model v{version}" if version else "the active model"
        where = f"from the channel {Channel(channel).label}" if channel else "from every channel"
        return f"with {model}, {where}"
