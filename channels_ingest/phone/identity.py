"""The identity check's comparisons: which fields are checked and whether a record carries
the verified person's values. Reads only; used by the call's services and its selectors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from applicants.crypto import normalise_identifier
from applicants.reading import Unreadable, read_answer
from applicants.schema import get_schema
from applicants.validation import FieldInvalid, clean_field


def identity_fields() -> list[Any]:
    schema = get_schema()
    return [schema.by_name[n] for n in settings.PHONE_IDENTITY_CHECK_FIELDS if n in schema.by_name]


def comparable(spec: Any, raw: Any) -> str | None:
    """A stated or recorded value of an identity field, normalised for comparison (None when
    empty or unreadable)."""
    if raw is None or str(raw).strip() == "":
        return None
    if spec.type == "date":
        try:
            return str(clean_field(spec, read_answer(spec, raw)))
        except (Unreadable, FieldInvalid):
            return None
    return normalise_identifier(str(raw))


def agrees_with_check_fields(record: Mapping[str, Any], verified: Mapping[str, Any]) -> bool:
    """Whether a record carries the identity check's values of the verified person (so it is
    theirs, not someone else's who typed the same identity number)."""
    return all(
        comparable(spec, record.get(spec.name)) is not None
        and comparable(spec, record.get(spec.name)) == comparable(spec, verified.get(spec.name))
        for spec in identity_fields()
    )
