"""The SageMaker scorer: the same model.tar.gz scored through boto3 against the local endpoint.
(The endpoint's own contract is tested in tests/endpoint/.)"""

from __future__ import annotations

import boto3
import numpy as np
import pytest
from django.utils import timezone

from applicants.models import Application, Channel, Status
from applicants.schema import get_schema
from applicants.services import application_submit
from demo import synthetic
from outbox.models import OutboxMessage, Topic
from scoring.artifact_store import load_booster
from scoring.errors import ScoringError
from scoring.features import build_matrix
from scoring.models import Decision
from scoring.sagemaker import SageMakerScorer, encode_csv, parse_csv_predictions
from scoring.scorers import InProcessScorer
from scoring.services import score_waiting_applications

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    return build_matrix(get_schema(), synthetic.generate(get_schema(), 40, seed=8)[0])


def runtime(endpoint):
    return boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1")


def test_boto3_scores_the_same_artifact_as_in_process_xgboost(local_endpoint, active_model, rows):
    local_endpoint.serve(active_model)
    response = runtime(local_endpoint).invoke_endpoint(
        EndpointName=local_endpoint.endpoint_name,
        ContentType="text/csv",
        Accept="text/csv",
        Body=encode_csv(rows),
    )
    assert response["InvokedProductionVariant"] == f"v{active_model.version}"
    served = parse_csv_predictions(response["Body"].read(), len(rows))
    expected = load_booster(active_model.artifact_uri).inplace_predict(rows)
    np.testing.assert_allclose(served, expected, rtol=1e-6)
    assert local_endpoint.stats()["rows"] == 40


def test_the_scorer_retries_transient_failures_and_says_which_were_permanent(
    local_endpoint, active_model, rows, settings
):
    local_endpoint.serve(active_model)
    scorer = SageMakerScorer()
    local_endpoint.fail(503, count=2)  # two failures, then the third attempt succeeds
    np.testing.assert_allclose(
        scorer.predict_proba(active_model, rows),
        InProcessScorer().predict_proba(active_model, rows),
        rtol=1e-6,
    )
    assert scorer.last_source == f"sagemaker:{local_endpoint.endpoint_name}/v{active_model.version}"

    local_endpoint.fail_in_model(500)
    with pytest.raises(ScoringError, match="container answered 500") as server_side:
        scorer.predict_proba(active_model, rows)
    assert not server_side.value.permanent

    local_endpoint.fail_in_model(400)
    with pytest.raises(ScoringError, match="container answered 400") as client_side:
        scorer.predict_proba(active_model, rows)
    assert client_side.value.permanent

    settings.SAGEMAKER_READ_TIMEOUT = 0.3
    local_endpoint.slow(1.0)
    with pytest.raises(ScoringError, match="timed out") as slow:
        scorer.predict_proba(active_model, rows)
    assert not slow.value.permanent


def test_a_stopped_endpoint_is_transient_and_a_wrong_variant_is_refused(local_endpoint, active_model, rows):
    local_endpoint.serve(active_model, variant=f"v{active_model.version + 1}")
    with pytest.raises(ScoringError, match=f"serves v{active_model.version + 1} but v"):
        SageMakerScorer().predict_proba(active_model, rows)
    local_endpoint.stop()
    with pytest.raises(ScoringError, match="unreachable") as down:
        SageMakerScorer().predict_proba(active_model, rows)
    assert not down.value.permanent


def test_the_pipeline_scores_through_the_endpoint_and_applications_wait_when_it_is_down(
    local_endpoint, active_model, alice, answers, settings
):
    settings.SCORER = "sagemaker"
    local_endpoint.serve(active_model)
    first = application_submit(
        answers=answers, channel=Channel.API, actor=alice, idempotency_key="one"
    ).application
    score_waiting_applications()
    decision = Decision.objects.get(application=first)
    assert decision.scorer == f"sagemaker:{local_endpoint.endpoint_name}/v{active_model.version}"
    assert decision.reasons and decision.explanation_method == "exact"

    local_endpoint.fail(500)
    second = application_submit(
        answers={**answers, "national_id": "ZZ-000111-Q"},
        channel=Channel.API,
        actor=alice,
        idempotency_key="two",
    ).application
    # botocore retried the 500s inside the call (the one retry layer); then the batch is
    # given back, nothing raised, and its scoring request backs off in the outbox.
    failed_at = timezone.now()
    result = score_waiting_applications()
    assert result.released == [second.pk] and not result.failed
    assert Application.objects.get(pk=second.pk).status == Status.RECEIVED
    assert not Decision.objects.filter(application=second).exists()
    request = OutboxMessage.objects.get(topic=Topic.SCORING, key=str(second.pk))
    assert request.attempts == 1 and request.next_attempt_at >= failed_at  # full jitter: may be ~0
    assert "500" in request.last_error
    # While it backs off, a wake-up (say, another submission) leaves it alone.
    local_endpoint.heal()
    assert score_waiting_applications().claimed == 0


def test_readiness_reports_the_endpoint(local_endpoint, active_model, settings):
    from scoring.health import check_endpoint

    assert check_endpoint() == {"ok": True, "scorer": "inprocess"}
    settings.SCORER = "sagemaker"
    local_endpoint.serve(active_model)
    assert check_endpoint()["ok"]
    local_endpoint.stop()
    assert "unreachable" in check_endpoint()["error"]
