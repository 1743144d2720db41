"""Independent second labels (#13): a share of items, drawn per application, is labelled
again by another auditor who cannot see the first label; the second label is measurement
only (the decision stays), a disagreement is listed for the auditor lead, and the pair
gives Cohen's kappa on the monitoring page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from applicants.models import Status
from auditing.labels import LabelFilters
from auditing.models import ItemState, Outcome, Review, ReviewItem, ReviewStatus
from auditing.services.queue import (
    ClaimRefused,
    review_item_claim,
    review_item_claim_next,
    review_queue_sync,
)
from auditing.services.queue_items import _draw
from auditing.services.reviews import ReviewRefused, review_record, review_second_opinion
from monitoring.models import RaterPairDaily
from monitoring.services.labels import rollup_labels
from outbox.models import OutboxMessage
from scoring.models import TIERS
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def share(settings):
    """Every item in the share (the tests choose their items; the draw has its own test)."""
    settings.REVIEW_INDEPENDENT_SHARE = 1.0


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def labelled(item, auditor, final_tier=None, reason_code="", note=""):
    """`auditor` claims the item and records a tier (the model's unless told)."""
    review_item_claim(item_id=item.pk, user=auditor)
    tier = final_tier or item.model_tier
    return review_record(
        item_id=item.pk, auditor=auditor, final_tier=tier, reason_code=reason_code, note=note
    )


def other_tier(*tiers):
    return next(t for t in TIERS if t not in tiers)


def test_the_share_is_a_stable_draw_on_the_application_id(routed, answers, settings):
    item = routed(answers)
    assert item.independent is False  # the test settings' share is 0
    draw = _draw("independent", item.application_id)
    assert draw != _draw("blind", item.application_id)  # drawn apart from the blind share
    for share, expected in ((0.0, False), (draw, False), (draw + 1e-9, True), (1.0, True), (draw, False)):
        ReviewItem.objects.all().delete()
        settings.REVIEW_INDEPENDENT_SHARE = share
        review_queue_sync()
        assert ReviewItem.objects.get(application=item.application).independent is expected, share


def test_a_labelled_item_in_the_share_goes_to_another_auditor_not_the_first(
    share, routed, answers, dave, frank
):
    item = routed(answers)
    assert item.independent is True
    first = labelled(item, dave)
    assert first.status == ReviewStatus.EFFECTIVE and first.independent is False
    item.refresh_from_db()
    item.application.refresh_from_db()
    # The label took effect as usual; the item waits for a second, independent label.
    assert item.application.status == Status.CONFIRMED and item.application.final_tier == item.model_tier
    assert item.state == ItemState.INDEPENDENT and item.done_at is not None and item.claimed_by is None

    with pytest.raises(ClaimRefused, match="judged this application already"):
        review_item_claim(item_id=item.pk, user=dave)
    assert review_item_claim_next(user=dave) is None
    ReviewItem.objects.filter(pk=item.pk).update(claimed_by=dave, claim_expires_at=timezone.now())
    with pytest.raises(ReviewRefused, match="another auditor"):
        review_record(item_id=item.pk, auditor=dave, final_tier=item.model_tier)
    ReviewItem.objects.filter(pk=item.pk).update(claimed_by=None, claim_expires_at=None)

    # The queue shows it as an independent label to others only; claim-next hands it out.
    page = client_for(dave).get(reverse("auditing:queue")).content.decode()
    assert 'id="independent-count">1<' in page and 'id="independent-items"' not in page
    page = client_for(frank).get(reverse("auditing:queue")).content.decode()
    assert 'id="independent-items"' in page and f'data-item="{item.pk}"' in page
    assert review_item_claim_next(user=frank).pk == item.pk


def test_claim_next_hands_independent_labels_before_the_queue_but_after_second_opinions(
    share, routed, answers, risky, dave, frank
):
    labelled_item = routed(answers)
    labelled(labelled_item, dave)
    waiting = routed(risky)
    assert review_item_claim_next(user=frank).pk == labelled_item.pk
    ReviewItem.objects.filter(pk=labelled_item.pk).update(claimed_by=None, claim_expires_at=None)
    # A proposal waiting for four eyes comes first.
    labelled(waiting, dave, final_tier="low", reason_code="affordability")
    assert ReviewItem.objects.get(pk=waiting.pk).state == ItemState.AWAITING_SECOND
    assert review_item_claim_next(user=frank).pk == waiting.pk


def test_whoever_gave_the_four_eyes_opinion_or_keyed_it_is_not_independent(
    share, routed, risky, dave, frank, make_user
):
    item = routed(risky)
    assert item.model_tier == "high"
    proposal = labelled(item, dave, final_tier="low", reason_code="affordability")
    review_item_claim(item_id=item.pk, user=frank)
    review_second_opinion(item_id=item.pk, auditor=frank, agree=True)
    item.refresh_from_db()
    assert item.state == ItemState.INDEPENDENT
    for judged in (dave, frank):
        with pytest.raises(ClaimRefused, match="judged this application already"):
            review_item_claim(item_id=item.pk, user=judged)
        assert review_item_claim_next(user=judged) is None
    keyer = make_user("keyer", Role.AUDITOR)
    ReviewItem.objects.filter(pk=item.pk).update(submitted_by=keyer)
    with pytest.raises(ClaimRefused, match="segregation of duties"):
        review_item_claim(item_id=item.pk, user=keyer)
    assert review_item_claim_next(user=keyer) is None
    third = make_user("olga", Role.AUDITOR)
    assert review_item_claim_next(user=third).pk == item.pk
    # Measurement only: high → low from the independent auditor proposes nothing.
    second = review_record(item_id=item.pk, auditor=third, final_tier="low", reason_code="affordability")
    assert second.independent and second.status == ReviewStatus.EFFECTIVE and not second.disagrees
    assert Review.objects.get(pk=proposal.pk).status == ReviewStatus.EFFECTIVE


def test_the_second_auditor_does_not_see_the_first_label(share, routed, answers, dave, frank):
    item = routed(answers)
    overridden_to = other_tier(item.model_tier, "low" if item.model_tier == "high" else "")
    labelled(
        item, dave, final_tier=overridden_to, reason_code="credit_history", note="Payslips say otherwise"
    )
    client = client_for(frank)
    client.post(reverse("auditing:claim", args=[item.pk]))
    page = client.get(reverse("auditing:item", args=[item.pk])).content.decode()
    assert 'id="independent-note"' in page and 'id="override-form"' in page
    assert "independent second label wanted" in page and 'id="history-hidden"' in page
    for leak in ("dave", "Overridden", "Payslips say otherwise", "review.overridden", "Final tier"):
        assert leak not in page, leak

    # Frank's label (here: the model's tier) is recorded; the page then shows both.
    response = client.post(
        reverse("auditing:review", args=[item.pk]), {"final_tier": item.model_tier, "reason_code": ""}
    )
    assert response.status_code == 302
    second = Review.objects.get(item=item, independent=True)
    assert second.auditor == frank and second.outcome == Outcome.CONFIRMED and second.disagrees
    page = client.get(reverse("auditing:item", args=[item.pk])).content.decode()
    assert "dave" in page and "independent second label" in page and "disagrees with the label" in page


def test_the_second_label_never_changes_the_decision_and_a_disagreement_is_flagged(
    share, routed, answers, dave, frank, grace
):
    item = routed(answers)
    labelled(item, dave)
    application = item.application
    application.refresh_from_db()
    before = (application.status, application.final_tier, application.labelled_at)
    outbox_before = OutboxMessage.objects.filter(payload__event="review").count()

    second = labelled(item, frank, final_tier=other_tier(item.model_tier), reason_code="data_error")
    assert second.independent and second.disagrees and second.effective_at is None
    application.refresh_from_db()
    assert (application.status, application.final_tier, application.labelled_at) == before
    assert OutboxMessage.objects.filter(payload__event="review").count() == outbox_before
    item.refresh_from_db()
    assert item.state == ItemState.DONE
    entry = TrailEntry.objects.get(object_id=str(application.pk), action="review.independent")
    assert entry.actor == frank and entry.after["agrees"] is False
    assert entry.before["label_tier"] == item.model_tier
    # The labelled export carries the label only; the lead's page lists the disagreement.
    assert list(LabelFilters().reviews().values_list("auditor_label", flat=True)) == ["dave"]
    page = client_for(grace).get(reverse("auditing:quality")).content.decode()
    table = page[page.index('id="disagreements"') :]
    assert "frank" in table and "dave" in table and "data_error" in table
    with pytest.raises(ReviewRefused, match="already been reviewed"):
        review_record(item_id=item.pk, auditor=frank, final_tier=item.model_tier)


def test_both_labels_give_a_rater_pair_and_kappa_on_the_monitoring_page(
    share, routed, answers, risky, dave, frank, grace
):
    agreed, differed = routed(risky), routed(answers)
    assert agreed.model_tier != differed.model_tier
    for item in (agreed, differed):
        labelled(item, dave)
    labelled(agreed, frank)
    disagreeing = other_tier(agreed.model_tier, differed.model_tier)
    labelled(differed, frank, final_tier=disagreeing, reason_code="data_error")
    rollup_labels(timezone.localdate())

    (pair,) = RaterPairDaily.objects.filter(day=timezone.localdate())
    assert (pair.first_label, pair.second_label) == ("dave", "frank")
    assert sum(map(sum, pair.table)) == 2
    # observed 1/2, expected 1/4 (each auditor gave two different tiers) → kappa 1/3
    page = client_for(grace).get(reverse("monitoring:dashboard")).content.decode()
    labels = page[page.index('id="labels"') :]
    assert "kappa" in labels and "0.33" in labels and "dave and frank" in labels


def test_a_blind_item_stays_blind_for_the_independent_label(share, routed, answers, dave, frank):
    item = routed(answers)
    ReviewItem.objects.filter(pk=item.pk).update(blind=True)
    item.refresh_from_db()
    labelled(item, dave, reason_code="evidence_supports_tier")
    client = client_for(frank)
    client.post(reverse("auditing:claim", args=[item.pk]))
    page = client.get(reverse("auditing:item", args=[item.pk])).content.decode()
    assert 'id="blind-note"' in page and 'id="model-tier"' not in page and 'id="confirm-form"' not in page
    with pytest.raises(ReviewRefused, match="Pick a reason"):
        review_record(item_id=item.pk, auditor=frank, final_tier=item.model_tier)
    second = review_record(
        item_id=item.pk, auditor=frank, final_tier=item.model_tier, reason_code="evidence_supports_tier"
    )
    assert second.blind and not second.disagrees
    page = client.get(reverse("auditing:item", args=[item.pk])).content.decode()
    assert 'id="model-tier"' in page  # once labelled twice, the model's view is shown
