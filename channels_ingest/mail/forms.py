"""The small forms of mail entry (keying itself is drawn from the schema, not a Django form)."""

from __future__ import annotations

from django import forms


class BatchForm(forms.Form):
    number = forms.CharField(
        label="Batch number", max_length=40, help_text="As written on the batch's cover sheet."
    )
    received_on = forms.DateField(
        label="Date received",
        help_text="For example 2026-11-28.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    forms_count = forms.IntegerField(label="Number of forms", min_value=1, max_value=500)


class ScanForm(forms.Form):
    scan = forms.FileField(label="Scan of the form", help_text="PDF, PNG, JPEG or TIFF.")
