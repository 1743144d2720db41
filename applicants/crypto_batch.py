"""Thousands of encrypted personal answers opened at once: `decrypt_json` of each token, the
same values and the same refusals, for readers of many rows (decision replay reads a date of
birth per decision, 100,000 to a chunk).

`decrypt_json` costs about 35 µs a token, most of it Python around each Fernet call (a cipher
and an HMAC object built per token). Here each token is checked as Fernet checks it (version
byte, HMAC-SHA256 of everything before the tag, under each configured key in order, as
MultiFernet tries them), and then the checked tokens of one key are decrypted in a single
AES-CBC pass: in CBC a block is decrypted with the block before it, so the tokens laid end to
end, each as its IV followed by its ciphertext, decrypt each ciphertext with its own IV; the
IVs' own output blocks are dropped. Padding is checked per token (PKCS7), as Fernet does.
Nothing is decrypted before its tag has been verified.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from applicants.crypto import DecryptionFailed, _fernets

VERSION = 0x80
URLSAFE = bytes.maketrans(b"-_", b"+/")  # base64.urlsafe_b64decode's alphabet, without its wrappers
HEADER = 1 + 8  # version byte, timestamp
BLOCK = 16
TAG = 32


def _keys() -> list[tuple[bytes, bytes]]:
    """(signing key, encryption key) of each configured key, in MultiFernet's order. The
    configuration is checked by crypto._fernets (ImproperlyConfigured when a key is not one)."""
    _fernets()
    keys = []
    for key in settings.PII_ENCRYPTION_KEYS:
        raw = base64.urlsafe_b64decode(key.encode() if isinstance(key, str) else key)
        keys.append((raw[:16], raw[16:]))
    return keys


# the decoder's own scanner (set on it by JSONDecoder; not in the type stubs)
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json(plain: bytes) -> Any:
    """json.loads of a plaintext (encrypt_json's compact output): one value read by the
    decoder's scanner, which is json.loads without its wrappers when the value fills the text;
    anything else (spaces around it, not JSON) goes through json.loads, with its errors."""
    try:
        text = plain.decode("utf-8")
        value, end = _scan(text, 0)
    except (StopIteration, ValueError):  # UnicodeDecodeError is a ValueError
        return json.loads(plain)
    return value if end == len(text) else json.loads(plain)


def _unpad(block: bytes) -> bytes:
    pad = block[-1] if block else 0
    if not 1 <= pad <= BLOCK or block[-pad:] != bytes([pad]) * pad:
        raise DecryptionFailed("personal data cannot be decrypted with the configured keys")
    return block[:-pad]


def decrypt_json_many(tokens: Sequence[str]) -> list[Any]:
    """The decrypted value of each token, in order (DecryptionFailed, as decrypt_json, when
    any token opens under no configured key)."""
    keys = _keys()
    # per key: (index of the token, its IV and ciphertext)
    by_key: list[list[tuple[int, bytes]]] = [[] for _ in keys]
    for i, token in enumerate(tokens):
        try:
            data = binascii.a2b_base64(token.encode("ascii").translate(URLSAFE))
        except (binascii.Error, UnicodeError, AttributeError) as exc:
            raise DecryptionFailed("personal data cannot be decrypted with the configured keys") from exc
        size = len(data) - HEADER - TAG  # IV and ciphertext
        if data[:1] != bytes([VERSION]) or size < 2 * BLOCK or size % BLOCK:
            raise DecryptionFailed("personal data cannot be decrypted with the configured keys")
        signed, tag = data[:-TAG], data[-TAG:]
        for k, (signing, _) in enumerate(keys):
            if hmac.compare_digest(hmac.digest(signing, signed, "sha256"), tag):
                by_key[k].append((i, data[HEADER:-TAG]))
                break
        else:
            raise DecryptionFailed("personal data cannot be decrypted with the configured keys")
    out: list[Any] = [None] * len(tokens)
    for (_, encryption), items in zip(keys, by_key, strict=True):
        if not items:
            continue
        decryptor = Cipher(algorithms.AES(encryption), modes.CBC(bytes(BLOCK))).decryptor()
        plain = decryptor.update(b"".join(sealed for _, sealed in items)) + decryptor.finalize()
        at = 0
        for i, sealed in items:
            # the IV's block decrypts to nothing of use; the rest is this token's plaintext
            out[i] = _json(_unpad(plain[at + BLOCK : at + len(sealed)]))
            at += len(sealed)
    return out
