"""The erasure form: one way to name the person, a ticket reference, and a confirmation."""

from __future__ import annotations

from typing import Any

from django import forms


class ErasureForm(forms.Form):
    application_id = forms.UUIDField(
        required=False, label="Application id", help_text="any application of the person"
    )
    national_id = forms.CharField(
        required=False,
        max_length=40,
        label="or identity number",
        # Not echoed back on an error, not kept by the browser.
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    reference = forms.RegexField(
        regex=r"^[A-Za-z0-9._:#/-]{1,64}$",
        required=False,
        label="Ticket reference",
        error_messages={"invalid": "A ticket number: letters, digits and . _ : # / - (never a name)."},
    )
    confirm = forms.BooleanField(label="I understand this cannot be undone")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if bool(data.get("application_id")) == bool((data.get("national_id") or "").strip()):
            raise forms.ValidationError(
                "Name the person by an application id or by an identity number (one of the two)."
            )
        return data
