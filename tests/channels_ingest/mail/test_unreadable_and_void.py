"""A paper form that cannot be keyed (migration 0002_item_problem): a clerk marks it unreadable
with a reason, a supervisor voids it (nothing ever submitted) or sends it back to keying.
Who may, who may not, and bad input refused with its message and nothing half-saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from applicants.models import Application
from channels_ingest.mail import services
from channels_ingest.mail.models import ItemState, MailItem
from tests.channels_ingest.mail.conftest import paper_form
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def mark(user: Any, item: Any, reason: str) -> str:
    page = client_for(user).post(f"/mail/forms/{item.pk}/unreadable/", {"reason": reason}, follow=True)
    assert page.status_code == 200
    return page.content.decode()


def decide(user: Any, item: Any, action: str, note: str = "") -> str:
    page = client_for(user).post(
        f"/mail/forms/{item.pk}/decide/", {"action": action, "note": note}, follow=True
    )
    assert page.status_code == 200
    return page.content.decode()


def state_of(item: Any) -> Any:
    return MailItem.objects.values_list("state", "problem").get(pk=item.pk)


def test_a_clerk_marks_a_form_unreadable_and_its_keying_stops(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    keying = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    services.pass_save(keying=keying, clerk=people["clerk_a"], raw={"postcode": "EX1 1AA"})
    page = mark(people["clerk_a"], scanned_item, "  page 2   is missing ")
    assert "is marked unreadable" in page
    item = MailItem.objects.get(pk=scanned_item.pk)
    assert (item.state, item.problem, item.problem_by_id) == (
        ItemState.UNREADABLE,
        "page 2 is missing",
        people["clerk_a"].pk,
    )
    assert item.problem_at is not None
    assert TrailEntry.objects.filter(action="mail.marked_unreadable", object_id=str(item.pk)).exists()
    # The pass is kept as it was, but nothing more is saved, finished or compared.
    with pytest.raises(services.MailRefused, match="on hold"):
        services.pass_save(keying=keying, clerk=people["clerk_a"], raw={"postcode": "EX2 2BB"})
    with pytest.raises(services.MailRefused, match="on hold"):
        services.pass_finish(keying=keying, clerk=people["clerk_a"], raw=paper_form())
    keying.draft.refresh_from_db()
    assert keying.draft.answers["postcode"] == "EX1 1AA"
    # The supervisor's list shows it with the reason and who marked it.
    home = client_for(people["supervisor"]).get("/mail/").content.decode()
    assert "page 2 is missing" in home


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say what is unreadable"), ("   ", "Say what is unreadable"), ("x" * 501, "Keep it under 500")],
)
def test_a_reason_is_required_and_bounded(
    scanned_item: Any, people: dict[str, Any], reason: str, message: str
) -> None:
    services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    assert message in mark(people["clerk_a"], scanned_item, reason)
    assert state_of(scanned_item) == (ItemState.KEYING, "")


def test_who_may_not_mark_a_form_unreadable(scanned_item: Any, people: dict[str, Any]) -> None:
    from accounts.roles import Role
    from accounts.services import user_create_with_roles

    url = f"/mail/forms/{scanned_item.pk}/unreadable/"
    for outsider in (people["supervisor"], people["auditor"]):
        assert client_for(outsider).post(url, {"reason": "torn"}).status_code == 403
    assert Client().post(url, {"reason": "torn"}).status_code == 302  # to the login
    assert client_for(people["clerk_a"]).get(url).status_code == 405
    assert (
        client_for(people["clerk_a"]).post("/mail/forms/999999/unreadable/", {"reason": "x"}).status_code
        == 404
    )
    # The clerk who finished their pass, and a third clerk when two others hold the passes.
    form = paper_form()
    one = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    services.pass_finish(keying=one, clerk=people["clerk_a"], raw=form)
    services.pass_start(item=scanned_item, clerk=people["clerk_b"])
    assert "You finished your pass" in mark(people["clerk_a"], scanned_item, "torn")
    third = user_create_with_roles(username="mail_clerk_c", password="pw-for-tests", roles=[Role.CLERK])
    assert "keyed by two other clerks" in mark(third, scanned_item, "torn")
    assert state_of(scanned_item) == (ItemState.KEYING, "")


def test_a_supervisor_voids_an_unreadable_form_and_nothing_is_ever_submitted(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    mark(people["clerk_a"], scanned_item, "illegible")
    assert "Say why the form is voided" in decide(people["supervisor"], scanned_item, "void", "")
    assert state_of(scanned_item)[0] == ItemState.UNREADABLE  # refused: nothing changed
    assert "choose Void or Send back" in decide(people["supervisor"], scanned_item, "burn", "x")
    assert state_of(scanned_item)[0] == ItemState.UNREADABLE

    before = Application.objects.count()
    assert "is voided" in decide(people["supervisor"], scanned_item, "void", "returned to sender")
    item = MailItem.objects.get(pk=scanned_item.pk)
    assert item.state == ItemState.VOID and item.application_id is None
    assert TrailEntry.objects.filter(action="mail.voided", object_id=str(item.pk)).exists()
    # Final: neither sent back, nor keyed, nor marked again.
    assert "not marked unreadable" in decide(people["supervisor"], scanned_item, "send_back")
    with pytest.raises(services.MailRefused):
        services.pass_start(item=scanned_item, clerk=people["clerk_b"])
    assert "is not being keyed" in mark(people["clerk_a"], scanned_item, "again")
    assert Application.objects.count() == before


def test_a_supervisor_sends_a_form_back_and_keying_goes_on_from_where_it_was(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    keying = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    services.pass_save(keying=keying, clerk=people["clerk_a"], raw={"postcode": "EX1 1AA"})
    mark(people["clerk_a"], scanned_item, "page 2 missing")
    assert "keying list" in decide(people["supervisor"], scanned_item, "send_back", "found page 2")
    assert state_of(scanned_item)[0] == ItemState.KEYING
    assert TrailEntry.objects.filter(action="mail.sent_back", object_id=str(scanned_item.pk)).exists()
    keying.refresh_from_db()
    assert services.pass_finish(keying=keying, clerk=people["clerk_a"], raw=paper_form()) == {}


def test_who_may_not_decide_and_a_form_being_keyed_is_not_decided(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    url = f"/mail/forms/{scanned_item.pk}/decide/"
    services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    mark(people["clerk_a"], scanned_item, "smudged")
    for outsider in (people["clerk_a"], people["clerk_b"], people["auditor"]):
        assert client_for(outsider).post(url, {"action": "void", "note": "x"}).status_code == 403
    assert Client().post(url, {"action": "void", "note": "x"}).status_code == 302
    assert (
        client_for(people["supervisor"]).post("/mail/forms/999999/decide/", {"action": "void"}).status_code
        == 404
    )
    assert state_of(scanned_item)[0] == ItemState.UNREADABLE
    decide(people["supervisor"], scanned_item, "send_back")
    assert "is not marked unreadable" in decide(people["supervisor"], scanned_item, "void", "x")
    assert state_of(scanned_item)[0] == ItemState.KEYING
