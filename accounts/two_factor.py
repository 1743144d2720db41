"""Two-factor authentication with TOTP (django-otp): enrol a device, verify a code.

A device is enrolled unconfirmed (its secret shown once as a QR code and as text), and
confirmed by the first code it produces. django-otp's TOTP devices slow down guessing on their
own: after each wrong code the next try must wait (1 s, 2 s, 4 s, ...), so six digits cannot be
walked through.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.signals import SECOND_FACTOR_DUE
from accounts.types import AnyUser, User
from trail.services import trail_record

DEVICE_NAME = "authenticator app"


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    secret: str  # base32, for typing into an app
    qr_svg: str  # the otpauth:// URL as an inline SVG


def has_second_factor(user: AnyUser) -> bool:
    return user_has_device(user, confirmed=True)


def totp_enrolment_start(*, user: User) -> Enrolment:
    """The user's pending (unconfirmed) device, made on first call, so reloading the page
    shows the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return Enrolment(
        device=device, secret=base64.b32encode(device.bin_key).decode(), qr_svg=_qr_svg(device.config_url)
    )


@transaction.atomic
def totp_enrolment_confirm(*, request: Any, device: TOTPDevice, token: str) -> bool:
    """Confirm the device with a code it produced; the session counts as verified."""
    if device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    request.session[SECOND_FACTOR_DUE] = False
    trail_record(
        action="two_factor.enrolled",
        object_type="user",
        object_id=device.user.pk,
        actor=device.user,
        after={"device": device.name},
    )
    return True


def second_factor_verify(*, request: Any, token: str) -> bool:
    """Check a code against the user's confirmed devices; on success the session is verified."""
    device = match_token(request.user, token)
    if device is None:
        return False
    otp_login(request, device)
    request.session[SECOND_FACTOR_DUE] = False
    return True


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=16)
    return image.to_string(encoding="unicode")
