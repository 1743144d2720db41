"""The readiness check of personal data (registered in ApplicantsConfig.ready, shown by /readyz)."""

from __future__ import annotations

from django.conf import settings

from applicants.crypto import decrypt_json, encrypt_json, identity_hash, pseudonym
from config.health import CheckResult


def check_personal_data_keys() -> CheckResult:
    """The keys of personal data work: a value encrypts and decrypts back (with the current
    key), and both keyed hashes can be made and differ. Without them no submission can be
    stored, so the process is not ready."""
    probe = {"readiness": "probe"}
    if decrypt_json(encrypt_json(probe)) != probe:
        return {"ok": False, "error": "encrypted data does not decrypt to what was encrypted"}
    identity_hash("PROBE1"), pseudonym("PROBE1")  # each raises when its key is not set
    if settings.PII_HASH_KEY == settings.PSEUDONYM_KEY:
        return {"ok": False, "error": "PII_HASH_KEY and PSEUDONYM_KEY must differ"}
    return {"ok": True, "encryption_keys": len(settings.PII_ENCRYPTION_KEYS)}
