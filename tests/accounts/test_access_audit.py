"""Defects found by the access audit of issue 8 (docs/threat-model.md), one test each: the
role matrix (test_role_matrix.py) sees their status codes; these say what was at stake."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_blind_review_stays_blind_outside_the_review_pages(routed, answers, dave):
    """The item page hides the model's tier from a blind review but shows the application
    id; the API and the applicant's status page must not show the decision to the auditor."""
    item = routed(answers)
    item.blind = True
    item.save(update_fields=["blind"])
    application_id = item.application_id
    page = logged_in(dave).get(f"/review/items/{item.pk}/").content.decode()
    assert str(application_id) in page and "Blind review." in page
    assert token_client(dave).get(f"/api/v1/applications/{application_id}/").status_code == 404
    assert logged_in(dave).get(f"/api/v1/applications/{application_id}/").status_code == 404
    assert logged_in(dave).get(f"/apply/applications/{application_id}/").status_code == 404


def test_the_admin_cannot_delete_decisions_or_what_they_hang_on(routed, answers, make_user):
    """Deleting an application cascades to its decisions and review, and nothing records it
    in the trail: the admin reads these records but deletes none of them."""
    admin = make_user("root", Role.ADMIN)
    item = routed(answers)
    application = item.application
    decision = application.decisions.get(is_current=True)
    client = logged_in(admin)
    for path in (
        f"/admin/applicants/application/{application.pk}/",
        f"/admin/applicants/applicant/{application.applicant_id}/",
        f"/admin/scoring/decision/{decision.pk}/",
        f"/admin/scoring/modelversion/{decision.model_version_id}/",
    ):
        assert client.get(path + "change/").status_code == 200, path
        assert client.get(path + "delete/").status_code == 403, path
        assert client.post(path + "delete/", {"post": "yes"}).status_code == 403, path
    assert application.decisions.filter(pk=decision.pk).exists()


def test_model_pages_refuse_roles_that_may_never_take_the_step(active_model, make_user):
    """Analysts and auditor leads may read the registry; a POST to act on a model is a 403,
    not a redirect carrying the service's refusal."""
    version = active_model.version
    for role in (Role.ANALYST, Role.AUDITOR_LEAD):
        client = logged_in(make_user(f"reader_{role}", role))
        assert client.get(f"/models/{version}/").status_code == 200, role
        for step in ("approve", "activate", "retire", "shadow"):
            assert client.post(f"/models/{version}/{step}/").status_code == 403, (role, step)
        assert client.post("/models/rollback/").status_code == 403, role
    admin = logged_in(make_user("root", Role.ADMIN))
    assert admin.post(f"/models/{version}/approve/").status_code == 403  # approvers approve
    assert admin.post(f"/models/{version}/retire/").status_code == 302  # refused with a message


def test_only_admins_enter_the_admin_site_whatever_the_staff_flag(make_user):
    """Approvers and auditor leads carry Django's staff flag; the admin site asks
    accounts.access (can_use_admin_site), so they are sent to its login like anyone else."""
    for role in (Role.APPROVER, Role.AUDITOR_LEAD):
        user = make_user(f"staff_{role}", role)
        assert user.is_staff
        response = logged_in(user).get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert logged_in(make_user("root", Role.ADMIN)).get("/admin/").status_code == 200


def test_the_next_address_of_the_login_and_two_factor_pages_stays_on_this_site(make_user):
    """`?next=` is typed by whoever sends the link: an address on another site is dropped."""
    agent = make_user("ag", Role.AGENT)
    client = logged_in(agent)
    for evil in ("https://evil.example/x", "//evil.example/x", "/\\evil.example/x"):
        response = client.get("/accounts/two-factor/", {"next": evil})
        assert response.status_code == 302 and "evil" not in response["Location"], evil
        assert "evil" not in client.get("/accounts/two-factor/enrol/", {"next": evil}).content.decode()
        login = Client().post(f"/accounts/login/?next={evil}", {"username": "ag", "password": "pw-for-tests"})
        assert login.status_code == 302 and "evil" not in login["Location"], evil


def test_the_broker_accepts_json_messages_only():
    """A message put on Redis by someone on the network cannot carry a pickle to run."""
    import pickle

    from kombu.exceptions import ContentDisallowed
    from kombu.serialization import loads, prepare_accept_content

    from config.celery import app

    assert set(app.conf.accept_content) == {"json"} and app.conf.task_serializer == "json"
    accept = prepare_accept_content(app.conf.accept_content)
    assert loads(b'{"task": "x"}', "application/json", "utf-8", accept=accept) == {"task": "x"}
    with pytest.raises(ContentDisallowed):
        loads(pickle.dumps({"task": "x"}), "application/x-python-serialize", "binary", accept=accept)


def test_role_changes_are_in_the_audit_trail_wherever_they_are_made(make_user):
    """Roles decide who approves, reviews, unmasks and erases: granting one for a single act
    and taking it back leaves a trace, from a service, the admin, or a group's side."""
    from django.contrib.auth.models import Group

    from accounts.services import user_grant_role
    from trail.models import TrailEntry

    def recorded(user: Any) -> list[tuple[str, Any, Any]]:
        return [
            (e.action, e.before, e.after)
            for e in TrailEntry.objects.filter(object_type="user", object_id=str(user.pk)).order_by("id")
            if e.action.startswith(("role.", "user.flags"))
        ]

    analyst = make_user("pat.quill@example.org", Role.ANALYST)
    assert recorded(analyst) == [("role.granted", {}, {"roles": ["analyst"]})]
    user_grant_role(user=analyst, role=Role.APPROVER)
    Group.objects.get(name="approver").user_set.remove(analyst)
    analyst.groups.clear()
    analyst.is_superuser = True
    analyst.save()
    assert recorded(analyst)[1:] == [
        ("role.granted", {}, {"roles": ["approver"]}),
        ("role.removed", {}, {"roles": ["approver"]}),
        ("role.removed", {}, {"roles": ["analyst"]}),
        ("user.flags_changed", {"is_superuser": False}, {"is_superuser": True}),
    ]
    admin = make_user("root", Role.ADMIN)
    auditors = Group.objects.get_or_create(name="auditor")[0]
    response = logged_in(admin).post(
        f"/admin/auth/user/{analyst.pk}/change/",
        {
            "username": "pat.quill@example.org",
            "is_active": "on",
            "groups": [auditors.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ("role.granted", {}, {"roles": ["auditor"]}) in recorded(analyst)
    # No username: it may be an applicant's email.
    assert not TrailEntry.objects.filter(object_type="user", note__contains="quill").exists()
    assert "quill" not in str(recorded(analyst))


def _apply(answers: dict[str, Any], user: Any, **person: Any) -> Any:
    import uuid

    from applicants.services import application_submit

    return application_submit(
        answers={**answers, **person},
        channel="api",
        actor=user,
        applicant_user=user,
        idempotency_key=str(uuid.uuid4()),
    ).application


def test_a_phone_caller_who_typed_someone_elses_national_id_sees_none_of_their_records(
    answers, alice, bob, carol
):
    """The defect of issue 8.1 on the agent screen: the person is found by an identity number
    anyone can type, so whatever an application with that number says proves nothing. Bob once
    applied with Alice's number and his own date of birth and postcode; calling with her number
    and his details must not pass the identity check, and where Bob's details are the person's
    first record (he applied first), the check passes but shows him only records that agree
    with it: nothing of Alice's."""
    from applicants.drafts import draft_answer_many, draft_start
    from applicants.provenance import Capture
    from channels_ingest.phone.selectors import caller_applications, caller_drafts, caller_search
    from channels_ingest.phone.services import call_start, call_verify

    bobs = {"date_of_birth": "1990-01-01", "postcode": "ZZ9 9ZZ", "full_name": "Bob Mallory"}
    alices = {"date_of_birth": answers["date_of_birth"], "postcode": answers["postcode"]}

    def call_for(number: str) -> Any:
        return call_start(agent=carol, candidate=caller_search(number)[0].token)

    # Alice applied first; Bob later typed her number.
    hers = _apply(answers, alice, national_id="VA-100001-A")
    _apply(answers, bob, national_id="VA-100001-A", **bobs)
    assert not call_verify(call=call_for("VA-100001-A"), stated=bobs)
    genuine = call_for("VA-100001-A")
    assert call_verify(call=genuine, stated=alices)
    assert list(caller_applications(genuine)) == [hers]  # not Bob's, which carries his details

    # Bob typed the number first; Alice applied after, and has a draft open on the web.
    bobs_first = _apply(answers, bob, national_id="VB-200002-B", **bobs)
    _apply(answers, alice, national_id="VB-200002-B")
    draft = draft_start(channel="web", owner_user=alice, first_section="identity")
    draft_answer_many(
        draft,
        {"national_id": "VB-200002-B", **alices},
        Capture.by_user(alice, channel="web"),
        section="identity",
    )
    impostor = call_for("VB-200002-B")
    assert call_verify(call=impostor, stated=bobs)
    assert list(caller_applications(impostor)) == [bobs_first]
    assert draft.pk not in {d.pk for d in caller_drafts(impostor)}


def test_the_phone_identity_check_cannot_be_guessed_by_calling_again(answers, alice, carol, settings):
    """Date of birth and postcode are few enough to guess: the limit on failed checks counts
    every call about the same person in the last day, not one call."""
    from channels_ingest.phone.selectors import caller_search
    from channels_ingest.phone.services import CallRefused, call_start, call_verify

    settings.PHONE_IDENTITY_ATTEMPTS = 3
    _apply(answers, alice, national_id="VC-300003-C")
    right = {"date_of_birth": answers["date_of_birth"], "postcode": answers["postcode"]}

    def new_call() -> Any:
        return call_start(agent=carol, candidate=caller_search("VC-300003-C")[0].token)

    for guess in ("1970-01-01", "1971-01-01"):
        assert not call_verify(call=new_call(), stated={**right, "date_of_birth": guess})
    assert not call_verify(call=new_call(), stated={**right, "date_of_birth": "1972-01-01"})
    with pytest.raises(CallRefused, match="over several calls"):
        call_verify(call=new_call(), stated=right)
