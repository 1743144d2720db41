"""Forms of the model pages: they validate input (a tampered value is refused with a message,
never read as "all") and turn it into service arguments."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

from django import forms

from applicants.models import Channel
from applicants.schema import ApplicationSchema
from modelops.history import MISSING_VALUES


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


# --- history upload (the models page's way to import_history) -------------------------------

# The import runs in the request. Measured on the consumer-credit schema (2 shared cores,
# load 10): 2 MB is 9,000 rows with the personal columns in 7.5 s, 18,700 without in 15 s;
# most of it is the insert (modelops/history.py). Larger files: `manage.py import_history`.
HISTORY_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
HISTORY_UPLOAD_EXTENSIONS = (".csv", ".txt")
# What browsers send for a .csv: Windows says Excel, others text/csv or nothing useful. The
# content is judged below whatever the type says; these only refuse what is plainly not text.
HISTORY_UPLOAD_TYPES = (
    "text/csv",
    "text/plain",
    "text/x-csv",
    "application/csv",
    "application/x-csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
    "",
)
# Files that are not CSV text, known by their first bytes.
_BINARY_STARTS = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 100 * 1024 else f"{size:,} bytes"


def _names(header: list[str], shown: int = 30) -> str:
    """A file's columns for a message: the first `shown`, each cut to 40 characters."""
    names = ", ".join(repr(column[:40]) for column in header[:shown])
    return names + (f" and {len(header) - shown:,} more" if len(header) > shown else "")


_SAVE_AS_CSV = "Save it as “CSV UTF-8 (comma delimited)” and upload that."


def _lines(text: str, name: str) -> list[tuple[str, str]]:
    """`name=value` lines as pairs; a line that is not one is a ValidationError."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(f"Line {number} ({line.strip()!r}) is not {name}.")
        pairs.append((key.strip(), value.strip()))
    return pairs


class HistoryUploadForm(forms.Form):
    """A history CSV and the options of `import_history`. The file is judged by its content
    (text, UTF-8, CSV with a header and rows, columns that match the schema) before anything
    is stored; cleaned_data["text"] is its text."""

    file = forms.FileField(
        label="History file (CSV)",
        help_text=f"UTF-8 CSV with a header row, at most {HISTORY_UPLOAD_MAX_BYTES // (1024 * 1024)} MB. "
        "Columns named as the schema's fields (any letter case), a label column and a date column.",
        error_messages={"required": "Choose the CSV file to upload.", "empty": "The file is empty."},
    )
    label_column = forms.CharField(
        label="Label column", initial="label", required=False, max_length=100, help_text="blank: label"
    )
    label_kind = forms.ChoiceField(
        label="The label is",
        choices=[
            ("auto", "automatic: binary when an adverse value is given, else tiers"),
            ("tiers", "a tier: low, medium or high"),
            ("binary", "a binary outcome (give the adverse value)"),
        ],
        initial="auto",
        required=False,
        error_messages={"invalid_choice": "%(value)s is not a kind of label; pick one from the list."},
    )
    adverse_value = forms.CharField(
        label="Adverse value", required=False, max_length=100, help_text="e.g. defaulted, rejected, bad"
    )
    good_value = forms.CharField(
        label="Good value",
        required=False,
        max_length=100,
        help_text="needed when the label column holds more than two outcomes",
    )
    date_column = forms.CharField(
        label="Date column",
        required=False,
        max_length=100,
        help_text="YYYY-MM-DD or ISO 8601; blank: decided_at when the file has it. Without dates "
        "training cannot check the model on the newest rows.",
    )
    id_column = forms.CharField(
        label="Id column", required=False, max_length=100, help_text="your row id: re-imports match on it"
    )
    columns = forms.CharField(
        label="Column mapping",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "annual_income=Income"}),
        help_text="One schema_field=csv_column per line, for columns not named as their field.",
    )
    missing_values = forms.CharField(
        label="Missing values",
        required=False,
        max_length=500,
        initial=", ".join(v for v in MISSING_VALUES if v),
        help_text="Cell values that mean missing, separated by commas (an empty cell always does).",
    )

    def __init__(self, *args: Any, schema: ApplicationSchema, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.schema = schema

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name or ""
        if upload.size > HISTORY_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {size_text(upload.size)}; the limit here is "
                f"{size_text(HISTORY_UPLOAD_MAX_BYTES)}. Split it, or import it with "
                "`python manage.py import_history FILE.csv`."
            )
        if not name.lower().endswith(HISTORY_UPLOAD_EXTENSIONS):
            raise forms.ValidationError(f"{name!r} is not a .csv file. {_SAVE_AS_CSV}")
        content_type = (upload.content_type or "").split(";")[0].strip().lower()
        if content_type not in HISTORY_UPLOAD_TYPES:
            raise forms.ValidationError(f"The file was sent as {content_type!r}, not CSV. {_SAVE_AS_CSV}")
        data = upload.read()
        if not data.strip():
            raise forms.ValidationError("The file is empty.")
        for start, what in _BINARY_STARTS.items():
            if data.startswith(start):
                raise forms.ValidationError(f"The file is {what}, not CSV. {_SAVE_AS_CSV}")
        if b"\x00" in data:
            raise forms.ValidationError(f"The file is not text (it holds NUL bytes). {_SAVE_AS_CSV}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise forms.ValidationError(
                f"The file is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} is not "
                f"UTF-8 (a file saved as Windows-1252 or Latin-1?). {_SAVE_AS_CSV}"
            ) from exc
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise forms.ValidationError(f"The file cannot be read as CSV: {exc}.") from exc
        header = [cell.strip() for cell in rows[0]] if rows else []
        if not any(header):
            raise forms.ValidationError("The first line of the file is empty: it must name the columns.")
        if not any(any(cell.strip() for cell in row) for row in rows[1:]):
            raise forms.ValidationError("The file has a header but no rows.")
        if len(header) == 1:
            for separator, name_of in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
                if separator in header[0]:
                    raise forms.ValidationError(
                        f"The columns are separated by {name_of}, not commas. {_SAVE_AS_CSV}"
                    )
        self.cleaned_data["text"], self.cleaned_data["header"] = text, header
        return upload

    def clean_columns(self) -> dict[str, str]:
        mapping = dict(_lines(self.cleaned_data["columns"], "schema_field=csv_column"))
        unknown = sorted(set(mapping) - set(self.schema.by_name))
        if unknown:
            raise forms.ValidationError(
                f"{', '.join(unknown)}: not fields of {self.schema.name}; its fields are "
                f"{', '.join(self.schema.by_name)}."
            )
        return mapping

    def clean_missing_values(self) -> tuple[str, ...]:
        spellings = [v.strip() for v in self.cleaned_data["missing_values"].split(",")]
        return ("", *(v for v in spellings if v))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        header: list[str] | None = data.get("header")
        mapping: dict[str, str] | None = data.get("columns")
        if header is None or mapping is None:
            return data
        present = {column.lower() for column in header}
        matched = [name for name in self.schema.by_name if mapping.get(name, name).strip().lower() in present]
        if not matched:
            raise forms.ValidationError(
                f"No column of the file matches a field of {self.schema.name}. The file's columns: "
                f"{_names(header)}. The fields: {', '.join(self.schema.by_name)}. Rename the "
                "columns, or map them under “Column mapping”."
            )
        label = (data.get("label_column") or "").strip() or "label"
        if label.lower() not in present:
            self.add_error(
                "label_column",
                f"The file has no column {label!r}; its columns are: {_names(header)}.",
            )
        if data.get("label_kind") == "binary" and not (data.get("adverse_value") or "").strip():
            self.add_error("adverse_value", "A binary outcome needs its adverse value (e.g. defaulted).")
        return data

    def import_options(self) -> dict[str, Any]:
        """Keyword arguments of history.history_import (besides schema, path and who)."""
        data = self.cleaned_data

        def text(name: str) -> str | None:
            return (data.get(name) or "").strip() or None

        return {
            "label_column": text("label_column") or "label",
            "date_column": text("date_column"),
            "label_kind": data.get("label_kind") or "auto",
            "adverse_value": text("adverse_value"),
            "good_value": text("good_value"),
            "id_column": text("id_column"),
            "columns": data["columns"],
            "missing_values": data["missing_values"],
        }
