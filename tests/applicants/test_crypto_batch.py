"""decrypt_json_many opens what decrypt_json opens, to the same values in the same order, under
rotated keys too, and refuses what it refuses (a changed byte, an unknown key, not a token)."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from applicants.crypto import DecryptionFailed, decrypt_json, encrypt_json
from applicants.crypto_batch import decrypt_json_many

VALUES = [
    {},
    {"date_of_birth": "1968-01-03", "full_name": "Sam Ivanova"},
    {"address": 'Flat 2, "Quote" House', "note": "é ünïcode ✓ " * 9},  # several blocks
    {"x": "a" * 15},
    {"x": "a" * 16},
    [1, 2.5, None, True],
    "text",
    None,
]


def test_many_tokens_open_to_what_decrypt_json_gives() -> None:
    tokens = [encrypt_json(v) for v in VALUES * 25]
    assert decrypt_json_many(tokens) == [decrypt_json(t) for t in tokens] == VALUES * 25
    assert decrypt_json_many([]) == []


def test_a_plaintext_json_loads_would_read_otherwise_is_read_as_json_loads_reads_it() -> None:
    from applicants.crypto import _fernet

    texts = [b' {"a": 1} ', b"\xef\xbb\xbf[1]", '"é"'.encode("utf-16")]
    tokens = [_fernet().encrypt(t).decode() for t in texts]
    assert decrypt_json_many(tokens) == [decrypt_json(t) for t in tokens] == [{"a": 1}, [1], "é"]
    not_json = _fernet().encrypt(b'{"a": 1} trailing').decode()
    with pytest.raises(ValueError):
        decrypt_json(not_json)
    with pytest.raises(ValueError):
        decrypt_json_many([not_json])


def test_tokens_of_an_older_key_open_after_a_rotation(settings) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PII_ENCRYPTION_KEYS = [old]
    before = [encrypt_json({"n": i}) for i in range(5)]
    settings.PII_ENCRYPTION_KEYS = [new, old]
    after = [encrypt_json({"n": i}) for i in range(5, 10)]
    mixed = [t for pair in zip(before, after, strict=True) for t in pair]
    assert decrypt_json_many(mixed) == [decrypt_json(t) for t in mixed]
    assert [v["n"] for v in decrypt_json_many(mixed)] == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
    settings.PII_ENCRYPTION_KEYS = [new]  # the old key retired: its tokens no longer open
    with pytest.raises(DecryptionFailed):
        decrypt_json_many(mixed)


def _changed(token: str, at: int) -> str:
    data = bytearray(base64.urlsafe_b64decode(token))
    data[at] ^= 1
    return base64.urlsafe_b64encode(bytes(data)).decode()


@pytest.mark.parametrize(
    "bad",
    [
        lambda t: _changed(t, 30),  # the ciphertext
        lambda t: _changed(t, 12),  # the IV
        lambda t: _changed(t, -1),  # the tag
        lambda t: Fernet(Fernet.generate_key()).encrypt(b"{}").decode(),  # another key
        lambda t: t[:-8],
        lambda t: "not a token",
        lambda t: "",
    ],
)
def test_what_decrypt_json_refuses_is_refused(bad) -> None:
    good = encrypt_json({"date_of_birth": "1990-02-03"})
    token = bad(good)
    with pytest.raises(DecryptionFailed):
        decrypt_json(token)
    with pytest.raises(DecryptionFailed):
        decrypt_json_many([good, token])
