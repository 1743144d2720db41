"""Scans: checked by content (magic bytes, then Pillow for TIFF) and size, kept through the
object store (never a public URL), read back for the pages, shown as a browser can. Browsers
draw PNG, JPEG and (in their viewer) PDF, but not TIFF, which many document scanners write:
a TIFF is checked with Pillow when it is uploaded (a file that only starts like a TIFF is
refused) and drawn as PNG when it is viewed; the original stays as uploaded."""

from __future__ import annotations

import io
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from channels_ingest.mail.errors import MailRefused
from channels_ingest.mail.models import ItemState, MailItem
from objectstore import store_for
from trail.services import trail_record

if TYPE_CHECKING:
    from accounts.types import User

TIFF = "image/tiff"


class ScanUnreadable(ValueError):
    """The file claims to be an image (by its first bytes) that Pillow cannot open."""


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ScanUnreadable(str(exc)) from exc
    return image


def tiff_check(data: bytes) -> int:
    """How many pages the TIFF has; ScanUnreadable if it cannot be drawn."""
    image = _open(data)
    return int(getattr(image, "n_frames", 1))


def tiff_page_as_png(data: bytes, page: int = 1) -> bytes:
    """One page (from 1) of a TIFF as PNG: 1-bit and CMYK scans converted to what PNG holds."""
    image = _open(data)
    pages = int(getattr(image, "n_frames", 1))
    image.seek(min(max(page, 1), pages) - 1)
    frame = image.convert("L" if image.mode in ("1", "L", "I;16", "I") else "RGB")
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=False)
    return out.getvalue()


# What a scan may be, told by its first bytes (never by its name).
_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"II*\x00", "image/tiff", "tif"),
    (b"MM\x00*", "image/tiff", "tif"),
)


def scan_kind(data: bytes) -> tuple[str, str]:
    """(content type, extension) of a scan, or MailRefused saying what is wrong."""
    limit = settings.MAIL_SCAN_MAX_BYTES
    if not data:
        raise MailRefused("The file is empty. Choose the scan of the form (PDF, PNG, JPEG or TIFF).")
    if len(data) > limit:
        raise MailRefused(
            f"The scan is {_megabytes(len(data))}; the largest accepted is "
            f"{_megabytes(limit)}. Scan at a lower resolution or in greyscale."
        )
    for magic, content_type, extension in _SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    raise MailRefused(
        "This file is not a PDF, PNG, JPEG or TIFF scan (judged by its content, "
        "not its name). Choose the scan of the form."
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def scan_upload(*, item: MailItem, data: bytes, actor: User) -> MailItem:
    """Check and keep the scan of one form; a form is keyed only once it has one. Replacing
    a scan is allowed until keying starts (a wrong page is scanned again)."""
    content_type, extension = scan_kind(data)  # before anything is written
    if content_type == TIFF:
        try:
            tiff_check(data)  # drawn as PNG when viewed, so it must open
        except ScanUnreadable as exc:
            raise MailRefused(
                "This TIFF file is damaged or not a scan; it cannot be shown. Scan again."
            ) from exc
    with transaction.atomic():
        locked = MailItem.objects.select_for_update().get(pk=item.pk)
        if locked.passes.exists() or locked.state not in (ItemState.AWAITING_SCAN, ItemState.KEYING):
            raise MailRefused("Keying of this form has started; its scan can no longer change.")
        key = f"batch-{locked.batch_id}/form-{locked.sequence}-{uuid.uuid4().hex}.{extension}"
        url = store_for(settings.MAIL_SCAN_STORAGE_URL).put(key, data)
        locked.scan_url, locked.scan_type, locked.scan_bytes = url, content_type, len(data)
        locked.scan_uploaded_by, locked.state = actor, ItemState.KEYING
        locked.save(update_fields=["scan_url", "scan_type", "scan_bytes", "scan_uploaded_by", "state"])
        trail_record(
            action="mail.scan_uploaded",
            object_type="mail_item",
            object_id=locked.pk,
            actor=actor,
            after={"type": content_type, "bytes": len(data)},
        )
    return locked


def scan_read(item: MailItem) -> bytes:
    return store_for(settings.MAIL_SCAN_STORAGE_URL).get(item.scan_url)
