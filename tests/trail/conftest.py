"""Every trail test seals with known keys and anchors into its own file (never var/)."""

from __future__ import annotations

import pytest

KEY_A = ("k2026a", "a-very-long-random-trail-key-for-tests-0123456789")
KEY_B = ("k2026b", "another-long-random-trail-key-for-tests-9876543210")


def keys(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return list(pairs)


@pytest.fixture(autouse=True)
def trail_settings(settings, tmp_path):
    settings.TRAIL_HMAC_KEYS = keys(KEY_A)
    settings.TRAIL_ANCHOR_URL = f"file://{tmp_path / 'anchors' / 'trail-anchors.jsonl'}"
    settings.TRAIL_ANCHOR_LOCK_MODE = ""
    return settings
