"""People and steps the privacy tests share."""

from __future__ import annotations

from typing import Any

from applicants.models import Application, Channel, Status
from applicants.services import application_submit, application_transition
from auditing.models import Review, ReviewItem
from auditing.services.queue import review_item_claim, review_queue_sync
from auditing.services.reviews import review_record
from scoring.services import score_waiting_applications

ZELDA = {
    "full_name": "Zelda Quartermaine",
    "national_id": "ZQ-998877-X",
    "email": "zelda.quartermaine@example.org",
    "phone": "+44 20 7946 0123",
    "date_of_birth": "1979-03-14",
    "address": "7 Quartermaine Mews, Oxbridge",
    "postcode": "OX9 4QZ",
    "employer": "Quartermaine Haulage",
}
OTTO = {
    "full_name": "Otto Control",
    "national_id": "OC-123123-C",
    "email": "otto@example.org",
    "employer": "Control Works",
}


def submit_scored(answers: dict[str, Any], person: dict[str, Any], *, owner: Any = None) -> Application:
    submitted = application_submit(
        answers={**answers, **person},
        channel=Channel.API,
        actor=owner,
        applicant_user=owner,
        idempotency_key=None,
    )
    score_waiting_applications(first_id=submitted.application.pk)
    return Application.objects.get(pk=submitted.application.pk)


def reviewed_with_a_note(application: Application, auditor: Any, note: str) -> Review:
    if application.status == Status.SCORED:
        application_transition(
            application_ids=[application.pk],
            from_status=Status.SCORED,
            to_status=Status.IN_REVIEW,
            note="test: sent to review",
        )
    review_queue_sync()
    item = ReviewItem.objects.get(application=application)
    review_item_claim(item_id=item.pk, user=auditor)
    return review_record(item_id=item.pk, auditor=auditor, final_tier=item.model_tier, note=note)
