"""The same model.tar.gz scored through boto3 against the local SageMaker-compatible endpoint."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError

from applicants.models import Application, Channel, Status
from applicants.schema import get_schema
from applicants.services import application_submit
from scoring import synthetic
from scoring.artifacts import load_booster
from scoring.features import build_matrix
from scoring.models import Decision
from scoring.sagemaker import SageMakerScorer, encode_csv, parse_csv_predictions
from scoring.scorers import InProcessScorer, ScoringError
from scoring.services import score_waiting_applications

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    return build_matrix(get_schema(), synthetic.generate(get_schema(), 40, seed=8)[0])


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request) as answer:  # noqa: S310 (our server on 127.0.0.1)
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def runtime(endpoint):
    return boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1")


def test_boto3_scores_the_same_artifact_as_in_process_xgboost(local_endpoint, active_model, rows):
    local_endpoint.serve(active_model)
    response = runtime(local_endpoint).invoke_endpoint(
        EndpointName=local_endpoint.endpoint_name, ContentType="text/csv", Accept="text/csv",
        Body=encode_csv(rows))
    assert response["InvokedProductionVariant"] == f"v{active_model.version}"
    served = parse_csv_predictions(response["Body"].read(), len(rows))
    expected = load_booster(active_model.artifact_uri).inplace_predict(rows)
    np.testing.assert_allclose(served, expected, rtol=1e-6)
    assert local_endpoint.stats()["rows"] == 40


def test_json_in_and_out_and_the_container_contract(local_endpoint, active_model, rows):
    local_endpoint.serve(active_model)
    payload = json.dumps({"instances": [[None if np.isnan(v) else float(v) for v in row]
                                        for row in rows[:3]]}).encode()
    status, body = post(f"{local_endpoint.url}/invocations", payload,
                        {"Content-Type": "application/json", "Accept": "application/json"})
    predictions = json.loads(body)["predictions"]
    assert status == 200 and len(predictions) == 3 and len(predictions[0]["probabilities"]) == 3
    with urllib.request.urlopen(f"{local_endpoint.url}/ping") as ping:  # noqa: S310
        assert ping.status == 200
    statuses = {}
    for body, content_type, accept in [(b"", "text/csv", "text/csv"), (b"1,2\n", "text/csv", "text/csv"),
                                       (b"<x/>", "application/xml", "text/csv"),
                                       (encode_csv(rows[:1]), "text/csv", "image/png")]:
        statuses[content_type, accept, len(body)] = post(
            f"{local_endpoint.url}/invocations", body, {"Content-Type": content_type, "Accept": accept})[0]
    assert sorted(statuses.values()) == [204, 400, 406, 415]


def test_errors_come_back_the_way_sagemaker_sends_them(local_endpoint, active_model):
    local_endpoint.serve(active_model)
    client = runtime(local_endpoint)
    with pytest.raises(ClientError) as missing:
        client.invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body=b"1")
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(client.exceptions.ModelError) as bad_rows:
        client.invoke_endpoint(EndpointName=local_endpoint.endpoint_name, ContentType="text/csv",
                               Body=b"1,2,3\n")
    assert bad_rows.value.response["OriginalStatusCode"] == 400
    assert "Feature size" in bad_rows.value.response["OriginalMessage"]


def test_the_scorer_retries_transient_failures_and_says_which_were_permanent(local_endpoint, active_model,
                                                                             rows, settings):
    local_endpoint.serve(active_model)
    scorer = SageMakerScorer()
    local_endpoint.fail(503, count=2)  # two failures, then the third attempt succeeds
    np.testing.assert_allclose(scorer.predict_proba(active_model, rows),
                               InProcessScorer().predict_proba(active_model, rows), rtol=1e-6)
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
        local_endpoint, active_model, alice, answers, settings):
    settings.SCORER = "sagemaker"
    local_endpoint.serve(active_model)
    first = application_submit(answers=answers, channel=Channel.API, actor=alice,
                               idempotency_key="one").application
    score_waiting_applications()
    decision = Decision.objects.get(application=first)
    assert decision.scorer == f"sagemaker:{local_endpoint.endpoint_name}/v{active_model.version}"
    assert decision.reasons and decision.explanation_method == "exact"

    local_endpoint.fail(500)
    second = application_submit(answers={**answers, "national_id": "ZZ-000111-Q"}, channel=Channel.API,
                                actor=alice, idempotency_key="two").application
    with pytest.raises(ScoringError, match="wait for a retry"):
        score_waiting_applications()
    assert Application.objects.get(pk=second.pk).status == Status.RECEIVED
    assert not Decision.objects.filter(application=second).exists()


def test_readiness_reports_the_endpoint(local_endpoint, active_model, settings):
    from scoring.health import check_endpoint

    assert check_endpoint() == {"ok": True, "scorer": "inprocess"}
    settings.SCORER = "sagemaker"
    local_endpoint.serve(active_model)
    assert check_endpoint()["ok"]
    local_endpoint.stop()
    assert "unreachable" in check_endpoint()["error"]
