"""The routing rule on provenance: a decision whose top reason rests on a speech answer heard
with low confidence goes to review, and the auditor is told which answer. The rule alone, then
end to end: a voice application (signed Twilio webhooks) with a low-confidence income."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from applicants.schema import get_schema
from scoring.policy import answers_behind, doubtful_speech_answers, route_with_provenance

NOT_SAMPLED = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.0}


def spoken(confidence: float | None, method: str = "speech") -> list[dict[str, Any]]:
    entry: dict[str, Any] = {"channel": "voice", "method": method, "by": "conversation:x", "at": "2026-01-01"}
    if confidence is not None:
        entry["confidence"] = confidence
    return [entry]


INCOME_REASON = {"feature": "debt_to_income", "label": "Debt-to-income ratio", "statement": "..."}
AGE_REASON = {"feature": "years_employed", "label": "Years employed", "statement": "..."}


def test_a_derived_feature_rests_on_its_inputs() -> None:
    schema = get_schema()
    assert answers_behind(schema, "debt_to_income") == {"monthly_debt_payments", "annual_income"}
    assert answers_behind(schema, "years_employed") == {"years_employed"}
    assert answers_behind(schema, "no_such_feature") == frozenset()


@pytest.mark.parametrize(
    ("provenance", "routed"),
    [
        ({"annual_income": spoken(0.45)}, True),  # behind a top reason, unsure
        ({"annual_income": spoken(0.95)}, False),  # behind a top reason, sure
        ({"annual_income": spoken(None, "typed")}, False),  # typed: no doubt about hearing
        ({"annual_income": spoken(0.45, "keypad")}, False),  # keyed on the keypad
        ({"postcode": spoken(0.2)}, False),  # unsure, but behind no top reason
        ({"annual_income": [*spoken(0.3), *spoken(None, "keyed")]}, False),  # corrected by an agent
        ({}, False),
    ],
)
def test_the_rule_sends_to_review_only_a_top_reason_on_unsure_speech(
    provenance: dict[str, Any], routed: bool
) -> None:
    to_review, why, probability = route_with_provenance(
        "app-1",
        "low",
        NOT_SAMPLED,
        schema=get_schema(),
        reasons=[INCOME_REASON, AGE_REASON],
        provenance=provenance,
        speech_below=0.7,
    )
    assert to_review is routed
    assert ("annual income (45%)" in why or "annual income (30%)" in why) is routed
    # Sent by the rule, the decision was certain to be reviewed: its label weighs 1, not
    # 1 / the low tier's sampling share (here 0, which would drop the label altogether).
    assert probability == (1.0 if routed else 0.0)


def test_the_reason_adds_to_the_tier_reason_and_fits_the_column() -> None:
    schema = get_schema()
    provenance = {name: spoken(0.41) for name in schema.by_name}
    reasons = [{"feature": f.name, "label": f.label} for f in schema.features]
    to_review, why, _ = route_with_provenance(
        "app-1", "high", NOT_SAMPLED, schema=schema, reasons=reasons, provenance=provenance, speech_below=0.7
    )
    assert to_review and why.startswith("high risk; top reason rests on unsure speech: ")
    assert len(why) <= 100
    assert doubtful_speech_answers(schema, reasons[:1], provenance, below=0.4) == []


@pytest.mark.django_db
def test_a_voice_application_with_an_unsure_income_is_reviewed_with_the_reason_shown(
    client: Client, trained_default: Any, dave: Any, settings: Any
) -> None:
    from applicants.models import Application
    from auditing.models import ReviewItem
    from auditing.services.queue import review_queue_sync
    from modelops.registry import model_version_bootstrap, model_version_register
    from scoring.models import Decision
    from scoring.services import score_waiting_applications
    from tests.channels_ingest.conversation.test_engine import SAID
    from tests.channels_ingest.conversation.test_handoffs_and_retries import Call, said

    settings.REVIEW_BLIND_SHARE = 0.0
    settings.REVIEW_SPEECH_CONFIDENCE_BELOW = 0.7
    assert settings.CONVERSATION_SPEECH_CONFIRM_BELOW < 0.65  # kept without a read-back
    model_version_bootstrap(
        model=model_version_register(
            trained=trained_default, schema=get_schema(), training_source="tests", review_policy=NOT_SAMPLED
        ),
        note="speech routing",
    )
    call = Call(client)
    call.start()
    for name, answer in SAID.items():
        root = call.say(answer, confidence="0.65" if name == "annual_income" else "0.95")
    assert "Shall I send" in said(root)
    assert "application is sent" in said(call.say("yes"))
    application = Application.objects.get(channel="voice")
    assert application.provenance["annual_income"][-1]["confidence"] == 0.65

    score_waiting_applications()
    decision = Decision.objects.get(application=application)
    behind = set().union(*(answers_behind(get_schema(), r["feature"]) for r in decision.reasons))
    assert "annual_income" in behind  # the income moved this decision (a precondition)
    assert decision.routed_to_review
    assert "top reason rests on unsure speech: annual income (65%)" in decision.routing_reason

    review_queue_sync()
    item = ReviewItem.objects.get(application=application)
    auditor = Client()
    auditor.force_login(dave)
    page = auditor.get(reverse("auditing:item", args=[item.pk])).content.decode()
    assert 'id="routing-reason"' in page
    assert "annual income (65%)" in page
