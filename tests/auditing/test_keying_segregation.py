"""Segregation of duties through the review queue, for applications staff keyed for someone:
both mail clerks and the supervisor who resolved their differences, and every agent who keyed
a phone application (not only the one who submitted it), may neither claim it, be handed it
by "next", nor judge it, even once they hold the auditor role. A colleague who did none of it
may. Real PostgreSQL, the real queue and its claim service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.access import can_review_application, review_conflicts_q
from accounts.roles import Role
from accounts.services import user_create_with_roles, user_grant_role
from applicants.drafts import draft_answer_many
from auditing.models import ReviewItem
from auditing.services.queue import ClaimRefused, review_item_claim, review_item_claim_next
from channels_ingest.mail import services as mail
from channels_ingest.phone import services as phone
from tests.auditing.review_helpers import sent_to_review
from tests.channels_ingest.mail.conftest import PNG, paper_form
from tests.channels_ingest.phone.test_keying_and_handoffs import SECTIONS

pytestmark = pytest.mark.django_db


def person(name: str, *roles: Role) -> Any:
    return user_create_with_roles(username=f"seg_{name}", password="pw-for-tests", roles=list(roles))


def make_auditor(user: Any) -> Any:
    user_grant_role(user=user, role=Role.AUDITOR)
    user._role_names = None  # the per-object role cache
    return user


def assert_kept_from(review: ReviewItem, user: Any) -> None:
    make_auditor(user)
    assert not can_review_application(
        user,
        submitted_by_id=review.submitted_by_id,
        applicant_user_id=None,
        application_id=review.application_id,
    )
    assert not ReviewItem.objects.filter(pk=review.pk).exclude(review_conflicts_q(user)).exists()
    with pytest.raises(ClaimRefused, match="segregation"):
        review_item_claim(item_id=review.pk, user=user)
    assert review_item_claim_next(user=user) is None  # the only item, and not theirs to judge
    review.refresh_from_db()
    assert review.claimed_by_id is None


def test_mail_clerks_and_the_resolver_never_claim_the_form_they_worked_on(
    settings: Any, tmp_path: Any, active_model: Any
) -> None:
    settings.MAIL_SCAN_STORAGE_URL = f"file://{tmp_path / 'scans'}"
    clerk_a, clerk_b = person("clerk_a", Role.CLERK), person("clerk_b", Role.CLERK)
    supervisor, outsider = person("supervisor", Role.MAIL_SUPERVISOR), person("auditor", Role.AUDITOR)
    batch = mail.batch_open(number="SEG-1", received_on=dt.date.today(), forms_count=1, actor=supervisor)
    item = mail.scan_upload(item=batch.items.get(), data=PNG, actor=clerk_a)
    form = paper_form()
    for clerk, typed in ((clerk_a, form), (clerk_b, {**form, "postcode": "EX9 9ZZ"})):
        keying = mail.pass_start(item=item, clerk=clerk)
        assert mail.pass_finish(keying=keying, clerk=clerk, raw=typed) == {}
    mail.item_resolve(item=item, supervisor=supervisor, choices={"postcode": ("first", "")})
    item.refresh_from_db()
    review = sent_to_review(item.application_id)

    for worked_on_it in (clerk_a, clerk_b, supervisor):
        assert_kept_from(review, worked_on_it)
    assert review_item_claim(item_id=review.pk, user=outsider).claimed_by_id == outsider.pk


def test_every_agent_who_keyed_a_phone_application_is_kept_from_reviewing_it(
    settings: Any, active_model: Any
) -> None:
    first_agent, second_agent = person("agent_1", Role.AGENT), person("agent_2", Role.AGENT)
    outsider = person("auditor_2", Role.AUDITOR)
    # The first agent keys two sections, then the line drops.
    first_call = phone.call_start(agent=first_agent)
    draft = phone.call_draft_new(call=first_call, first_section="identity")
    for section in ("identity", "contact"):
        results = draft_answer_many(draft, SECTIONS[section], phone.call_capture(first_call))
        assert not any(r.error for r in results.values())
    # The caller rings again; a second agent finds that draft, checks them, keys the rest, submits.
    second_call = phone.call_start(agent=second_agent, candidate=f"draft:{draft.pk}")
    stated = {
        name: SECTIONS["identity"].get(name) or SECTIONS["contact"].get(name)
        for name in settings.PHONE_IDENTITY_CHECK_FIELDS
    }
    assert phone.call_verify(call=second_call, stated=stated)
    second_call.refresh_from_db()
    draft = phone.call_draft_continue(call=second_call, draft_id=draft.pk)
    for section in ("employment", "finances", "credit", "loan"):
        draft_answer_many(draft, SECTIONS[section], phone.call_capture(second_call))
    draft_answer_many(draft, {"consent": "yes"}, phone.call_capture(second_call))
    draft.refresh_from_db()
    submission = phone.call_submit(call=second_call, consent_attested=True)
    assert submission.application.submitted_by_id == second_agent.pk
    review = sent_to_review(submission.application.pk)

    assert_kept_from(review, second_agent)  # submitted it
    assert_kept_from(review, first_agent)  # keyed part of it, submitted nothing
    assert review_item_claim(item_id=review.pk, user=outsider).claimed_by_id == outsider.pk
