"""The demo's mail batches, and the pages: uploads judged by content, the scan served only
to mail staff, a blind second pass, the keyboard script loaded as a file."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from channels_ingest.mail import services
from channels_ingest.mail.models import ItemState, MailBatch, MailItem
from tests.channels_ingest.mail.conftest import PNG, paper_form

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_demo_leaves_work_for_each_mail_role(settings: Any, scan_store: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("demo_mail")
    call_command("demo_mail")  # once only
    assert MailBatch.objects.count() == 2
    items = list(MailItem.objects.order_by("batch__received_on", "sequence"))
    assert len(items) == 5 and all(i.has_scan for i in items)
    assert sum(1 for i in items if i.scan_type == "application/pdf") == 1
    assert services.scan_read(next(i for i in items if i.scan_type == "application/pdf")).startswith(b"%PDF")
    assert [i.state for i in items].count(ItemState.MISMATCH) == 1
    waiting_second = [i for i in items if i.passes.count() == 1]
    assert len(waiting_second) == 1 and waiting_second[0].passes.get().clerk.username == "clerk"


def test_an_upload_is_judged_by_content_and_refused_with_a_message(
    people: dict[str, Any], scan_store: Any
) -> None:
    import datetime as dt

    batch = services.batch_open(
        number="P-1", received_on=dt.date.today(), forms_count=1, actor=people["supervisor"]
    )
    item = batch.items.get()
    client = client_for(people["clerk_a"])
    fake = SimpleUploadedFile("scan.png", b"<html>not an image</html>", content_type="image/png")
    response = client.post(f"/mail/forms/{item.pk}/scan/upload/", {"scan": fake}, follow=True)
    assert "not a PDF, PNG, JPEG or TIFF" in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    item.refresh_from_db()
    assert item.scan_url == ""
    good = SimpleUploadedFile("named-wrongly.txt", PNG, content_type="text/plain")
    client.post(f"/mail/forms/{item.pk}/scan/upload/", {"scan": good})
    item.refresh_from_db()
    assert item.scan_type == "image/png"

    scan = client.get(f"/mail/forms/{item.pk}/scan/")
    assert scan.status_code == 200 and scan.content == PNG
    assert scan["Content-Type"] == "image/png" and "no-store" in scan["Cache-Control"]
    assert client_for(people["auditor"]).get(f"/mail/forms/{item.pk}/scan/").status_code == 403
    assert Client().get(f"/mail/forms/{item.pk}/scan/").status_code == 302  # to the login


def test_the_second_pass_never_shows_the_first_clerks_values(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    first = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    services.pass_finish(
        keying=first, clerk=people["clerk_a"], raw=paper_form(full_name="Quentin Uniquename")
    )
    client = client_for(people["clerk_b"])
    response = client.post(f"/mail/forms/{scanned_item.pk}/key/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Uniquename" not in page
    assert f"/mail/forms/{scanned_item.pk}/scan/" in page  # the scan beside the form
    assert "mail/mail.js" in page and "<script>" not in page
    # Clerk A cannot take the second pass: told why, back on the list.
    again = client_for(people["clerk_a"]).post(f"/mail/forms/{scanned_item.pk}/key/", follow=True)
    assert "another clerk" in again.content.decode()
