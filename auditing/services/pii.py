"""Reading personal answers: masked for most, unmasked for a few roles, each time audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.access import can_see_pii
from applicants.models import Application
from applicants.schema import get_schema
from auditing.masking import mask_value
from trail.services import trail_record

if TYPE_CHECKING:
    from accounts.types import User


@dataclass(frozen=True)
class Answer:
    name: str
    label: str
    value: Any
    personal: bool
    masked: bool


def application_answers(application: Application, *, unmasked: bool = False) -> list[Answer]:
    """Every answer in the schema's order; personal ones masked unless `unmasked` (which
    only pii_unmask's caller may ask for, after recording it)."""
    schema = get_schema()
    personal = application.pii or {}
    answers = []
    for field in schema.fields:
        if field.pii:
            raw = personal.get(field.name)
            value = raw if unmasked else mask_value(raw)
            answers.append(Answer(field.name, field.label, value, True, not unmasked))
        else:
            answers.append(Answer(field.name, field.label, application.answers.get(field.name), False, False))
    return answers


def pii_unmask(*, application: Application, user: User, purpose: str) -> list[Answer]:
    """Unmask an application's personal answers for a user whose role allows it, recording
    who, when, which fields and why in the audit trail before anything is shown."""
    if not can_see_pii(user):
        raise PermissionDenied("your role may not read personal data")
    fields = sorted((application.pii or {}).keys())
    with transaction.atomic():
        trail_record(
            action="pii.unmasked",
            object_type="application",
            object_id=application.pk,
            actor=user,
            after={"fields": fields},
            note=purpose[:500],
        )
    return application_answers(application, unmasked=True)
