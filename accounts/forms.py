from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator


class CodeField(forms.CharField):
    """Spaces removed first: apps show codes as "123 456"."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.replace(" ", "") if text is not None else text


class CodeForm(forms.Form):
    """A six-digit code from an authenticator app."""

    code = CodeField(
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        validators=[RegexValidator(r"^\d{6}$", "Enter the six digits your app shows.")],
    )
