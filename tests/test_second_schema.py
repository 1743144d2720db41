"""A deployment swaps in its own schema: forms, API validation, ETL and training follow."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from applicants.schema import get_schema
from demo.training import model_train_synthetic
from modelops.registry import model_version_bootstrap
from scoring.models import Decision
from scoring.services import score_waiting_applications
from tests.conftest import CAR_SCHEMA, token_client

pytestmark = pytest.mark.django_db

CLAIM = {
    "policy_number": "POL123456",
    "claimant_name": "Sam Driver",
    "date_of_birth": "1979-06-01",
    "vehicle_age_years": 7,
    "vehicle_value": 12000,
    "claim_amount": 4200,
    "incident_type": "theft",
    "police_report": False,
    "prior_claims_3y": 3,
}


@pytest.fixture
def car_schema(settings):
    settings.APPLICATION_SCHEMA = CAR_SCHEMA
    return get_schema()


def test_a_car_insurance_claim_travels_the_whole_path(car_schema, alice):
    assert car_schema.feature_names == (
        "vehicle_age_years",
        "vehicle_value",
        "claim_amount",
        "incident_type",
        "police_report",
        "prior_claims_3y",
        "claim_to_value",
    )
    schema_doc = APIClient().get("/api/v1/schema/").json()
    assert schema_doc["name"] == "car_insurance_claim"

    model = model_train_synthetic(schema=car_schema, rows=2000, seed=3)
    assert model.schema_name == "car_insurance_claim"
    assert model.feature_names == list(car_schema.feature_names)
    assert model.metrics["roc_auc_high_vs_rest"] > 0.7
    model_version_bootstrap(model=model, note="car insurance test")

    client = token_client(alice)
    bad = client.post(
        "/api/v1/applications/",
        {"answers": {**CLAIM, "claim_amount": 90000}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c0",
    )
    assert bad.status_code == 422
    assert "one and a half times" in bad.json()["errors"]["claim_amount"][0]

    response = client.post(
        "/api/v1/applications/", {"answers": CLAIM}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert response.status_code == 202
    score_waiting_applications()
    decision = Decision.objects.get(application_id=response.json()["id"])
    assert decision.model_version == model
    assert set(decision.feature_snapshot) == set(car_schema.feature_names)
    assert decision.feature_snapshot["incident_type"] == "theft"
    statements = {r["statement"] for r in decision.reasons}
    assert statements  # worded by the car schema, e.g. "Incident type is often disputed"
    assert all("income" not in s for s in statements)
