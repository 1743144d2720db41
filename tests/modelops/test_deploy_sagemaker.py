"""deploy_sagemaker's control-plane calls against moto's SageMaker and S3 (never for scoring)."""

from __future__ import annotations

import boto3
import pytest
from django.core.management import CommandError, call_command

from modelops.models import ModelDeployment
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sagemaker_settings(settings, aws_stand_in, s3_bucket, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", aws_stand_in)
    settings.SAGEMAKER_S3_URL = f"s3://{s3_bucket}/deployments"
    settings.SAGEMAKER_ROLE_ARN = "arn:aws:iam::123456789012:role/riskscore-sagemaker"
    settings.SAGEMAKER_ENDPOINT_NAME = f"riskscore-{s3_bucket[-6:]}"
    return settings


def test_deploy_uploads_the_artifact_and_creates_the_endpoint(sagemaker_settings, active_model, capsys):
    call_command("deploy_sagemaker", str(active_model.version))
    assert "Endpoint riskscore-" in capsys.readouterr().out
    client = boto3.client("sagemaker", region_name="us-east-1")
    endpoint = client.describe_endpoint(EndpointName=sagemaker_settings.SAGEMAKER_ENDPOINT_NAME)
    config = client.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variant = config["ProductionVariants"][0]
    assert variant["VariantName"] == f"v{active_model.version}"
    assert variant["InstanceType"] == sagemaker_settings.SAGEMAKER_INSTANCE_TYPE
    model = client.describe_model(ModelName=variant["ModelName"])
    url = model["PrimaryContainer"]["ModelDataUrl"]
    assert url.startswith(sagemaker_settings.SAGEMAKER_S3_URL) and url.endswith("/model.tar.gz")
    bucket, key = url[5:].split("/", 1)
    uploaded = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    from objectstore import store_for

    assert uploaded == store_for(active_model.artifact_uri).get(active_model.artifact_uri)

    assert list(ModelDeployment.objects.values_list("action", flat=True)) == ["created"]
    assert TrailEntry.objects.filter(action="model.deploy").count() == 1


def test_a_second_deploy_updates_the_existing_endpoint(sagemaker_settings, active_model, monkeypatch):
    """moto implements no UpdateEndpoint: the call is built and validated by botocore and sent,
    and the emulator's refusal surfaces as a clear error naming the operation."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    call_command("deploy_sagemaker", str(active_model.version))
    with pytest.raises(CommandError, match=r"SageMaker refused: .*UpdateEndpoint operation"):
        call_command("deploy_sagemaker", str(active_model.version))
    assert ModelDeployment.objects.count() == 1  # nothing recorded for a deploy that failed


def test_only_approved_models_are_deployed_and_settings_are_required(sagemaker_settings, trained_default):
    from applicants.schema import get_schema
    from modelops.registry import model_version_register

    candidate = model_version_register(trained=trained_default, schema=get_schema(), training_source="t")
    with pytest.raises(CommandError, match="only an approved or the active version"):
        call_command("deploy_sagemaker", str(candidate.version))
    with pytest.raises(CommandError, match="no model v999"):
        call_command("deploy_sagemaker", "999")


def test_without_an_s3_location_deploy_explains(settings, active_model):
    settings.SAGEMAKER_S3_URL = ""
    with pytest.raises(CommandError, match="set SAGEMAKER_S3_URL"):
        call_command("deploy_sagemaker", str(active_model.version))


def test_rescoring_as_a_batch_transform_round_trip(sagemaker_settings, active_model, alice, capsys):
    """Rows to S3, create_transform_job on moto; the transform itself by the local stand-in
    (moto records the job but transforms nothing); the output collected and compared."""
    from applicants.models import Channel
    from applicants.schema import get_schema
    from applicants.services import application_submit
    from demo import synthetic
    from modelops.models import RescoreRun, RunStatus
    from scoring.models import Decision
    from scoring.services import score_waiting_applications

    for i, row in enumerate(synthetic.generate(get_schema(), 12, seed=5)[0]):
        application_submit(answers=row, channel=Channel.API, actor=alice, idempotency_key=f"t{i}")
    score_waiting_applications(limit=50)
    with pytest.raises(CommandError, match="has no SageMaker model yet"):
        call_command("rescore", "--sagemaker-transform", "--chunk-size", "5")
    call_command("deploy_sagemaker", str(active_model.version))
    # The decisions' probabilities are off by a little, as if from an older model: all change.
    Decision.objects.update(prob_high=0.5, prob_low=0.3, prob_medium=0.2)
    call_command("rescore", "--sagemaker-transform", "--chunk-size", "5")
    run = RescoreRun.objects.exclude(transform_job="").get()
    job = boto3.client("sagemaker", region_name="us-east-1").describe_transform_job(
        TransformJobName=run.transform_job
    )
    assert job["TransformInput"]["ContentType"] == "text/csv"
    assert job["TransformOutput"]["S3OutputPath"].endswith(f"run-{run.pk}/output/")
    call_command("rescore", "--collect", str(run.pk), "--run-transform-locally")
    out = capsys.readouterr().out
    assert "Transformed 12 rows locally" in out and "12 decisions changed" in out
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED and run.processed == 12
    written = Decision.objects.filter(rescore_run=run, is_current=True)
    assert written.count() == 12
    assert {d.scorer for d in written} == {f"sagemaker-transform:{run.transform_job}"}


def test_artifacts_stored_in_s3_are_scored_and_served_from_there(
    sagemaker_settings, s3_bucket, trained_default, settings
):
    """MODEL_STORAGE_URL=s3://…: the registry writes model.tar.gz and metadata.json to S3; the
    in-process scorer and the endpoint server both load the model from there."""
    import numpy as np

    from applicants.schema import get_schema
    from demo import synthetic
    from endpoint.container import load_model
    from modelops.registry import model_version_register
    from scoring.encoding import model_input
    from scoring.features import build_matrix
    from scoring.scorers import InProcessScorer

    settings.MODEL_STORAGE_URL = f"s3://{s3_bucket}/models"
    model = model_version_register(trained=trained_default, schema=get_schema(), training_source="t")
    assert model.artifact_uri.startswith(f"s3://{s3_bucket}/models/v{model.version}-")
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert any(k.endswith("/metadata.json") for k in keys)
    rows = build_matrix(get_schema(), synthetic.generate(get_schema(), 20, seed=4)[0])
    sent = model_input(model, rows)  # the model's own codes for its choices
    expected = trained_default.booster.inplace_predict(sent)
    np.testing.assert_allclose(InProcessScorer().predict_proba(model, rows), expected, rtol=1e-6)
    np.testing.assert_allclose(load_model(model.artifact_uri).inplace_predict(sent), expected, rtol=1e-6)
