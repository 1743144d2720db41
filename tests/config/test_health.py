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
