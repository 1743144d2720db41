"""The mail pages added after the first cut: the live check of one keyed field (htmx, the
clerk's own pass only, blind) and TIFF scans (checked with Pillow when uploaded, drawn as
PNG when viewed, the original on ?original=1). Real PostgreSQL, real uploads, real files."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from channels_ingest.mail import problems, services
from channels_ingest.mail.models import ItemState, MailItem
from tests.channels_ingest.mail.conftest import paper_form

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def check(client: Client, keying: Any, name: str, value: str) -> Any:
    return client.post(f"/mail/passes/{keying.pk}/answers/{name}/", {name: value}, HTTP_HX_REQUEST="true")


def tiff(*pages: tuple[str, tuple[int, int]]) -> bytes:
    """A real TIFF from Pillow: one page per (mode, size), e.g. a 1-bit scan and a CMYK one."""
    images = [Image.new(mode, size, 0 if mode == "1" else None) for mode, size in pages]
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:])
    return out.getvalue()


def fresh_item(people: dict[str, Any]) -> MailItem:
    batch = services.batch_open(
        number=f"TIF-{MailItem.objects.count()}",
        received_on=dt.date.today(),
        forms_count=1,
        actor=people["supervisor"],
    )
    return batch.items.get()


# --- the live check of one field ------------------------------------------------------------------


def test_a_good_answer_is_kept_in_the_clerks_own_pass_and_shown_clean(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    keying = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    response = check(client_for(people["clerk_a"]), keying, "annual_income", "£54,000")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="k-annual_income"' in page and "54000" in page
    keying.draft.refresh_from_db()
    assert keying.draft.answers["annual_income"] == 54000


def test_a_bad_answer_says_what_is_wrong_and_is_not_kept(scanned_item: Any, people: dict[str, Any]) -> None:
    keying = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    client = client_for(people["clerk_a"])
    assert check(client, keying, "date_of_birth", "23/04/1986").status_code == 200
    response = check(client, keying, "date_of_birth", "31/02/1986")
    assert response.status_code == 200
    page = response.content.decode()
    assert "31/02/1986" in page  # what was typed stays in the box, with its message
    assert 'class="error-message"' in page and "Error:" in page
    keying.draft.refresh_from_db()
    assert str(keying.draft.answers["date_of_birth"]) == "1986-04-23"  # the earlier good value


def test_the_check_is_blind_and_only_the_passs_clerk_may_use_it(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    first = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    check(client_for(people["clerk_a"]), first, "full_name", "Quentin Uniquename")
    second = services.pass_start(item=scanned_item, clerk=people["clerk_b"])
    reply = check(client_for(people["clerk_b"]), second, "postcode", "EX1 1AA").content.decode()
    assert "Uniquename" not in reply
    # Another clerk's pass, a supervisor, an auditor, nobody logged in, a GET, a made-up field.
    assert check(client_for(people["clerk_b"]), first, "full_name", "Mallory").status_code == 404
    assert check(client_for(people["supervisor"]), first, "full_name", "Mallory").status_code == 403
    assert check(client_for(people["auditor"]), first, "full_name", "Mallory").status_code == 403
    assert check(Client(), first, "full_name", "Mallory").status_code == 302
    assert client_for(people["clerk_a"]).get(f"/mail/passes/{first.pk}/answers/full_name/").status_code == 405
    assert check(client_for(people["clerk_a"]), first, "no_such_question", "x").status_code == 404
    assert (
        check(client_for(people["clerk_a"]), first.__class__(pk=999_999), "full_name", "x").status_code == 404
    )
    first.draft.refresh_from_db()
    assert first.draft.answers["full_name"] == "Quentin Uniquename"


def test_a_finished_or_held_pass_refuses_the_check_with_its_reason(
    scanned_item: Any, people: dict[str, Any]
) -> None:
    first = services.pass_start(item=scanned_item, clerk=people["clerk_a"])
    assert services.pass_finish(keying=first, clerk=people["clerk_a"], raw=paper_form()) == {}
    refused = check(client_for(people["clerk_a"]), first, "postcode", "EX9 9ZZ")
    assert refused.status_code == 409 and "finished this pass" in refused.content.decode()

    second = services.pass_start(item=scanned_item, clerk=people["clerk_b"])
    problems.item_mark_unreadable(item=scanned_item, clerk=people["clerk_b"], reason="page 2 missing")
    held = check(client_for(people["clerk_b"]), second, "postcode", "EX9 9ZZ")
    assert held.status_code == 409 and "on hold" in held.content.decode()
    second.draft.refresh_from_db()
    assert "postcode" not in second.draft.answers


# --- TIFF scans ---------------------------------------------------------------------------------


def test_a_tiff_is_drawn_as_png_page_by_page_and_the_original_kept(
    people: dict[str, Any], scan_store: Path
) -> None:
    item = fresh_item(people)
    data = tiff(("1", (120, 80)), ("CMYK", (60, 90)))
    clerk = client_for(people["clerk_a"])
    upload = SimpleUploadedFile("form.bin", data, content_type="application/octet-stream")
    clerk.post(f"/mail/forms/{item.pk}/scan/upload/", {"scan": upload})
    item.refresh_from_db()
    assert item.scan_type == "image/tiff" and item.state == ItemState.KEYING

    url = f"/mail/forms/{item.pk}/scan/"
    first = clerk.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert first["X-Content-Type-Options"] == "nosniff" and 'form-1.png"' in first["Content-Disposition"]
    with Image.open(io.BytesIO(first.content)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (120, 80), "L")
    with Image.open(io.BytesIO(clerk.get(url, {"page": "2"}).content)) as image:
        assert (image.size, image.mode) == ((60, 90), "RGB")  # CMYK, as PNG holds it
    for page in ("9", "0", "abc", "9" * 40):  # past the end, nonsense: a page, never a 500
        response = clerk.get(url, {"page": page})
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
    original = client_for(people["supervisor"]).get(url, {"original": "1"})
    assert original["Content-Type"] == "image/tiff" and original.content == data

    for outsider in (people["auditor"],):
        assert client_for(outsider).get(url).status_code == 403
        assert client_for(outsider).get(url, {"original": "1"}).status_code == 403
    assert Client().get(url).status_code == 302


def test_a_file_that_only_starts_like_a_tiff_is_refused_and_nothing_saved(
    people: dict[str, Any], scan_store: Path
) -> None:
    item = fresh_item(people)
    fake = SimpleUploadedFile("scan.tif", b"II*\x00" + b"\x07" * 500, content_type="image/tiff")
    page = client_for(people["clerk_a"]).post(
        f"/mail/forms/{item.pk}/scan/upload/", {"scan": fake}, follow=True
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "This TIFF file is damaged or not a scan" in text and "Nothing was saved" in text
    item.refresh_from_db()
    assert (item.scan_url, item.scan_type, item.state) == ("", "", ItemState.AWAITING_SCAN)
    assert not scan_store.exists() or not any(scan_store.rglob("*.tif"))


def test_a_tiff_that_is_too_large_is_refused_unread(
    people: dict[str, Any], scan_store: Path, settings: Any
) -> None:
    settings.MAIL_SCAN_MAX_BYTES = 2_000
    item = fresh_item(people)
    big = tiff(("RGB", (200, 200)))
    assert len(big) > 2_000
    upload = SimpleUploadedFile("big.tif", big, content_type="image/tiff")
    page = client_for(people["clerk_a"]).post(
        f"/mail/forms/{item.pk}/scan/upload/", {"scan": upload}, follow=True
    )
    assert "the largest accepted is" in page.content.decode()
    item.refresh_from_db()
    assert item.scan_url == ""


def test_a_tiff_gone_bad_in_storage_is_a_404_not_a_500(people: dict[str, Any], scan_store: Path) -> None:
    item = fresh_item(people)
    services.scan_upload(item=item, data=tiff(("L", (40, 40))), actor=people["clerk_a"])
    item.refresh_from_db()
    stored = next(scan_store.rglob("*.tif"))
    stored.write_bytes(b"II*\x00broken")
    assert client_for(people["clerk_a"]).get(f"/mail/forms/{item.pk}/scan/").status_code == 404
    stored.unlink()
    assert client_for(people["clerk_a"]).get(f"/mail/forms/{item.pk}/scan/").status_code == 404
