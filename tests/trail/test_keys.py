"""Trail keys: strict settings, a generated key only off production, a deploy check."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.trail import trail_hmac_keys
from tests.config.production_env import production_env, production_setting
from trail.checks import trail_keys_configured
from trail.keys import keyring

ROOT = Path(__file__).resolve().parents[2]
GOOD = secrets.token_urlsafe(32)


def test_keys_are_id_secret_pairs_newest_first():
    assert trail_hmac_keys([f"k2:{GOOD}", f"k1:{GOOD[::-1]}"]) == [("k2", GOOD), ("k1", GOOD[::-1])]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([GOOD], "must look like <key id>:<secret>"),
        ([f"bad id!:{GOOD}"], "must look like <key id>:<secret>"),
        (["k1:short"], "key 'k1' is too weak"),
        (["k1:" + "ab" * 20], "key 'k1' is too weak"),
        ([f"k1:{GOOD}", f"k1:{GOOD[::-1]}"], "names key id 'k1' twice"),
    ],
)
def test_bad_keys_stop_the_settings_with_a_message(items, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        trail_hmac_keys(items)


def test_without_keys_a_local_key_is_generated_once_and_kept_private(settings, tmp_path):
    settings.TRAIL_HMAC_KEYS = []
    settings.TRAIL_HMAC_LOCAL_KEY_FILE = tmp_path / "var" / "trail-hmac-keys.json"
    ring = keyring()
    assert ring.current_id == "local1" and len(ring.secrets["local1"]) >= 32
    assert oct(settings.TRAIL_HMAC_LOCAL_KEY_FILE.stat().st_mode)[-3:] == "600"
    assert keyring() == ring
    assert [e.id for e in trail_keys_configured()] == ["trail.E001"]  # check --deploy refuses it
    settings.TRAIL_HMAC_KEYS = [("k1", GOOD)]
    assert keyring().current_id == "k1" and trail_keys_configured() == []


def _production_settings(**env: str) -> subprocess.CompletedProcess[str]:
    environment = production_env(**env)
    if "TRAIL_HMAC_KEYS" not in env:
        del environment["TRAIL_HMAC_KEYS"]
    return production_setting("TRAIL_HMAC_KEYS[0][0]", environment)


def test_production_refuses_to_start_without_trail_keys():
    missing = _production_settings()
    assert missing.returncode != 0 and "TRAIL_HMAC_KEYS is required" in missing.stderr
    weak = _production_settings(TRAIL_HMAC_KEYS="k1:tooshort")
    assert weak.returncode != 0 and "key 'k1' is too weak" in weak.stderr
    good = _production_settings(TRAIL_HMAC_KEYS=f"prod1:{GOOD}")
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "prod1"
