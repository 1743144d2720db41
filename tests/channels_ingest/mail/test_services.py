"""Mail entry's services: batches, scan checks, blind double keying (agree, differ, resolve),
segregation of duties, and the review queue's exclusion of the clerks and the resolver."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.access import can_review_application, review_conflicts_q, worked_on_application
from accounts.roles import Role
from applicants.models import Application, Channel
from channels_ingest.mail import services
from channels_ingest.mail.models import FieldResolution, ItemState, MailItem
from channels_ingest.mail.selectors import clerk_quality
from tests.channels_ingest.mail.conftest import PNG, paper_form

pytestmark = pytest.mark.django_db


def key_both(item: Any, people: dict[str, Any], first: dict[str, str], second: dict[str, str]) -> Any:
    one = services.pass_start(item=item, clerk=people["clerk_a"])
    assert services.pass_finish(keying=one, clerk=people["clerk_a"], raw=first) == {}
    two = services.pass_start(item=item, clerk=people["clerk_b"])
    assert services.pass_finish(keying=two, clerk=people["clerk_b"], raw=second) == {}
    return MailItem.objects.get(pk=item.pk)


# --- batches and scans ---------------------------------------------------------------------------


def test_a_batch_has_one_item_per_form_and_only_supervisors_open_one(people: dict[str, Any]) -> None:
    batch = services.batch_open(
        number="B-1", received_on=dt.date.today(), forms_count=3, actor=people["supervisor"]
    )
    assert list(batch.items.values_list("sequence", flat=True)) == [1, 2, 3]
    assert set(batch.items.values_list("state", flat=True)) == {ItemState.AWAITING_SCAN}
    with pytest.raises(services.MailRefused, match="already open"):
        services.batch_open(
            number="B-1", received_on=dt.date.today(), forms_count=1, actor=people["supervisor"]
        )
    with pytest.raises(services.MailRefused, match="supervisor"):
        services.batch_open(number="B-2", received_on=dt.date.today(), forms_count=1, actor=people["clerk_a"])
    with pytest.raises(services.MailRefused, match="future"):
        services.batch_open(
            number="B-3",
            received_on=dt.date.today() + dt.timedelta(days=2),
            forms_count=1,
            actor=people["supervisor"],
        )


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 10, "image/jpeg"),
        (b"II*\x00" + b"\x00" * 10, "image/tiff"),
        (b"MM\x00*" + b"\x00" * 10, "image/tiff"),
    ],
)
def test_scans_are_told_by_their_content(data: bytes, kind: str) -> None:
    assert services.scan_kind(data)[0] == kind


def test_a_scan_with_the_wrong_content_or_too_large_is_refused_and_nothing_saved(
    people: dict[str, Any], scan_store: Any, settings: Any
) -> None:
    batch = services.batch_open(
        number="B-9", received_on=dt.date.today(), forms_count=1, actor=people["supervisor"]
    )
    item = batch.items.get()
    with pytest.raises(services.MailRefused, match="not a PDF, PNG, JPEG or TIFF"):
        services.scan_upload(
            item=item, data=b"MZ\x90\x00 an executable named scan.pdf", actor=people["clerk_a"]
        )
    settings.MAIL_SCAN_MAX_BYTES = 2048
    with pytest.raises(services.MailRefused, match="largest accepted"):
        services.scan_upload(item=item, data=PNG + b"\x00" * 4096, actor=people["clerk_a"])
    with pytest.raises(services.MailRefused, match="empty"):
        services.scan_upload(item=item, data=b"", actor=people["clerk_a"])
    item.refresh_from_db()
    assert (item.scan_url, item.state) == ("", ItemState.AWAITING_SCAN)
    assert not scan_store.exists() or not any(scan_store.rglob("*.*"))

    stored = services.scan_upload(item=item, data=PNG, actor=people["clerk_a"])
    assert stored.state == ItemState.KEYING and stored.scan_type == "image/png"
    assert services.scan_read(stored) == PNG


# --- double keying -------------------------------------------------------------------------------


def test_two_clerks_agreeing_submit_one_application_double_keyed_by_both(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    form = paper_form()
    # The second clerk types the same paper differently: case, spaces, number formats, dates.
    second = {
        **form,
        "full_name": "  jane q.  EXAMPLE ",
        "annual_income": "54000",
        "date_of_birth": "1986-04-23",
        "requested_amount": "12,000",
    }
    item = key_both(scanned_item, people, form, second)
    assert item.state == ItemState.SUBMITTED and item.application_id is not None
    application = Application.objects.get(pk=item.application_id)
    assert application.channel == Channel.MAIL
    assert application.submitted_by_id == people["clerk_b"].pk
    a, b = people["clerk_a"].pk, people["clerk_b"].pk
    for history in application.provenance.values():
        assert history[-1]["method"] == "double_keyed"
        assert history[-1]["by"] == f"user:{a}+user:{b}"
    assert application.all_answers["annual_income"] == 54000
    assert application.all_answers["full_name"] == form["full_name"]  # the first pass's text


def test_a_difference_waits_for_a_supervisor_and_nothing_is_submitted(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    form = paper_form()
    item = key_both(scanned_item, people, form, {**form, "annual_income": "45,000"})
    assert item.state == ItemState.MISMATCH and item.application_id is None
    assert Application.objects.filter(channel=Channel.MAIL).count() == 0
    rows = {r["field"].name: r for r in services.comparison(item)}
    assert [n for n, r in rows.items() if r["differs"]] == ["annual_income"]
    assert (rows["annual_income"]["first"], rows["annual_income"]["second"]) == (54000, 45000)

    # A choice is required; an "other" value is checked by the one-field service.
    assert services.item_resolve(item=item, supervisor=people["supervisor"], choices={}) == {
        "annual_income": "Choose which value is on the form."
    }
    errors = services.item_resolve(
        item=item, supervisor=people["supervisor"], choices={"annual_income": ("other", "lots")}
    )
    assert "annual_income" in errors
    assert not FieldResolution.objects.filter(item=item).exists()

    assert (
        services.item_resolve(
            item=item, supervisor=people["supervisor"], choices={"annual_income": ("other", "£55,500")}
        )
        == {}
    )
    item.refresh_from_db()
    assert item.state == ItemState.SUBMITTED and item.application_id is not None
    application = Application.objects.get(pk=item.application_id)
    assert application.all_answers["annual_income"] == 55500
    resolution = FieldResolution.objects.get(item=item)
    assert (resolution.field, resolution.choice, resolution.resolved_by_id) == (
        "annual_income",
        "other",
        people["supervisor"].pk,
    )
    by = application.provenance["annual_income"][-1]["by"]
    assert by == (
        f"user:{people['clerk_a'].pk}+user:{people['clerk_b'].pk};resolved_by:user:{people['supervisor'].pk}"
    )
    assert application.provenance["postcode"][-1]["by"].count("user:") == 2


def test_an_incomplete_pass_cannot_finish(scanned_item: Any, people: dict[str, Any]) -> None:
    form = paper_form()
    del form["postcode"]
    keying = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    errors = services.pass_finish(keying=keying, clerk=people["clerk_a"], raw=form)
    assert "postcode" in errors
    keying.refresh_from_db()
    assert keying.finished_at is None


# --- segregation of duties -----------------------------------------------------------------------


def test_a_clerk_never_keys_both_passes(scanned_item: Any, people: dict[str, Any]) -> None:
    keying = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    assert services.pass_start(item=scanned_item, clerk=people["clerk_a"]).pk == keying.pk
    services.pass_finish(keying=keying, clerk=people["clerk_a"], raw=paper_form())
    with pytest.raises(services.MailRefused, match="another clerk"):
        services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    with pytest.raises(services.MailRefused, match="another clerk's"):
        services.pass_save(keying=keying, clerk=people["clerk_b"], raw={"postcode": "X"})
    with pytest.raises(services.MailRefused):
        services.pass_start(item=scanned_item, clerk=people["supervisor"])  # not a clerk


def test_the_resolver_keyed_neither_pass_and_nobody_involved_reviews_it(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    from accounts.services import user_grant_role

    # A clerk who is also a supervisor keys pass 1, so may not resolve this form.
    user_grant_role(user=people["clerk_a"], role=Role.MAIL_SUPERVISOR)
    people["clerk_a"]._role_names = None
    form = paper_form()
    item = key_both(scanned_item, people, form, {**form, "postcode": "EX9 9ZZ"})
    with pytest.raises(services.MailRefused, match="segregation"):
        services.item_resolve(item=item, supervisor=people["clerk_a"], choices={"postcode": ("first", "")})
    services.item_resolve(item=item, supervisor=people["supervisor"], choices={"postcode": ("first", "")})
    item.refresh_from_db()

    # Both clerks and the resolver, given auditor roles, may not review the application.
    for name in ("clerk_a", "clerk_b", "supervisor", "auditor"):
        user_grant_role(user=people[name], role=Role.AUDITOR)
        people[name]._role_names = None
    for name in ("clerk_a", "clerk_b", "supervisor"):
        assert worked_on_application(people[name], item.application_id)
        assert not can_review_application(
            people[name], submitted_by_id=None, applicant_user_id=None, application_id=item.application_id
        )
    assert can_review_application(
        people["auditor"], submitted_by_id=None, applicant_user_id=None, application_id=item.application_id
    )


def test_the_review_queue_keeps_the_application_from_both_clerks_and_the_resolver(
    scanned_item: Any, people: dict[str, Any], active_model: Any
) -> None:
    from accounts.services import user_grant_role
    from auditing.models import ReviewItem
    from auditing.services.queue import ClaimRefused, review_item_claim
    from tests.auditing.review_helpers import sent_to_review

    form = paper_form()
    item = key_both(scanned_item, people, form, {**form, "postcode": "EX9 9ZZ"})
    services.item_resolve(item=item, supervisor=people["supervisor"], choices={"postcode": ("second", "")})
    item.refresh_from_db()
    review = sent_to_review(item.application_id)
    for name in ("clerk_a", "clerk_b", "supervisor"):
        user_grant_role(user=people[name], role=Role.AUDITOR)
        people[name]._role_names = None
        assert not ReviewItem.objects.filter(pk=review.pk).exclude(review_conflicts_q(people[name])).exists()
        with pytest.raises(ClaimRefused, match="segregation"):
            review_item_claim(item_id=review.pk, user=people[name])
    assert ReviewItem.objects.filter(pk=review.pk).exclude(review_conflicts_q(people["auditor"])).exists()
    assert review_item_claim(item_id=review.pk, user=people["auditor"]).claimed_by_id == people["auditor"].pk


def test_quality_counts_forms_mismatches_and_time(scanned_item: Any, people: dict[str, Any]) -> None:
    form = paper_form()
    key_both(scanned_item, people, form, {**form, "postcode": "EX9 9ZZ"})
    rows = {r["clerk"]: r for r in clerk_quality()}
    for name in ("mail_clerk_a", "mail_clerk_b"):
        assert rows[name]["forms"] == 1 and rows[name]["forms_with_mismatch"] == 1
        assert rows[name]["form_mismatch_rate"] == 1.0
        assert 0 < rows[name]["field_mismatch_rate"] < 0.2
        assert rows[name]["seconds_per_form"] >= 0
