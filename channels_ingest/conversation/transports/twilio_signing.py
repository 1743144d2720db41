"""Twilio webhook requests: the signature check (the twilio library's RequestValidator) and the
keyed hash that stands for a phone number."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator


def webhook_url(request: HttpRequest) -> str:
    """The URL Twilio signed: the configured public base URL when a proxy sits in front."""
    if settings.TWILIO_WEBHOOK_BASE_URL:
        return settings.TWILIO_WEBHOOK_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def signed_by_twilio(request: HttpRequest) -> bool:
    """True when X-Twilio-Signature is Twilio's signature of this URL and these POST values."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    params = {key: request.POST.get(key) for key in request.POST}
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(webhook_url(request), params, signature)


def sender_key(number: str) -> str:
    """A keyed hash of the sender's number: one conversation per number, without the number."""
    digits = re.sub(r"[^0-9A-Za-z:+]", "", number)
    return hmac.new(settings.PII_HASH_KEY.encode(), f"sender:{digits}".encode(), hashlib.sha256).hexdigest()
