from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_says_alive():
    assert Client().get("/healthz").json() == {"status": "alive"}


def test_readyz_names_what_is_not_ready():
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["not_ready"] == ["model"]
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert "no model is active" in body["checks"]["model"]["error"]


def test_readyz_is_ready_with_a_model(active_model):
    response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["model"]["version"] == active_model.version


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PII_ENCRYPTION_KEYS", ["notakey"]),
        ("PII_ENCRYPTION_KEYS", []),
        ("PII_HASH_KEY", ""),
        ("PSEUDONYM_KEY", ""),
    ],
)
def test_readyz_is_not_ready_when_personal_data_cannot_be_protected(settings, active_model, setting, value):
    """Every submission would fail to store; the load balancer must not send any."""
    setattr(settings, setting, value)
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["not_ready"] == ["personal_data_keys"]
    assert "ImproperlyConfigured" in body["checks"]["personal_data_keys"]["error"]


def test_readyz_is_not_ready_when_hash_and_pseudonym_keys_are_the_same(settings, active_model):
    settings.PSEUDONYM_KEY = settings.PII_HASH_KEY
    body = Client().get("/readyz").json()
    assert body["not_ready"] == ["personal_data_keys"]
    assert "must differ" in body["checks"]["personal_data_keys"]["error"]


def test_readyz_checks_the_keys_with_a_round_trip(active_model):
    body = Client().get("/readyz").json()
    assert body["checks"]["personal_data_keys"] == {
        "ok": True,
        "encryption_keys": 1,
        "ms": body["checks"]["personal_data_keys"]["ms"],
    }
