"""The model artifact scores the same under every XGBoost of an image the deploy command
deploys to (issue 8.2).

Each XGBoost runs in its own virtual environment built from PyPI
(tests/plugins/xgboost_envs.py, cached under var/xgboost-envs), scoring `model.tar.gz` the
way SageMaker's built-in container does (tests/modelops/sagemaker_container.py) on the CSV
rows the platform sends (`scoring.sagemaker.encode_csv`); the answers are compared with the
platform's own in-process predictions, tiers and reasons.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from django.core.management import CommandError, call_command

from applicants.schema import get_schema
from demo import synthetic
from modelops.deploy import SAGEMAKER_XGBOOST_IMAGES
from modelops.registry import model_version_bootstrap, model_version_register
from modelops.training import DEFAULT_PARAMS, TrainedModel, fit
from objectstore import store_for
from scoring.artifact_store import load_booster
from scoring.artifacts import UBJSON_SINCE, intercepts, reproduction_problem
from scoring.encoding import POSITIONS, encoding_of, model_input
from scoring.explain import risk_contributions
from scoring.features import build_matrix
from scoring.models import Target
from scoring.probabilities import finish_probabilities, tier_probabilities, tiers_from_probabilities
from scoring.sagemaker import encode_csv
from scoring.scorers import InProcessScorer
from tests.conftest import DEFAULT_SCHEMA
from tests.plugins.xgboost_envs import xgboost_python

CONTAINER = Path(__file__).with_name("sagemaker_container.py")
ROWS = 600
IMAGE_1_7 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
IMAGE_3_0 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"


def _loads_ubjson(version: str) -> bool:
    return tuple(int(part) for part in version.split(".")[:2]) >= UBJSON_SINCE


# Every XGBoost carried by a SageMaker image the deploy command accepts, and 1.7.6 (the last
# 1.7 release, the one issue 8 was reproduced with).
VERSIONS = sorted({v for v in SAGEMAKER_XGBOOST_IMAGES.values() if _loads_ubjson(v)} | {"1.7.6"})


def container_answer(version: str, artifact: bytes, rows: np.ndarray, tmp_path: Path) -> dict[str, Any]:
    archive = tmp_path / f"model-{version}.tar.gz"
    archive.write_bytes(artifact)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(xgboost_python(version)), str(CONTAINER), str(archive)],
        input=encode_csv(rows),
        capture_output=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    answer = json.loads(done.stdout)
    assert answer["xgboost"] == version
    return answer


def platform_tiers(model: Any, probabilities: np.ndarray) -> np.ndarray:
    return tiers_from_probabilities(tier_probabilities(model, probabilities), model.thresholds)


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    schema = get_schema()
    return build_matrix(schema, synthetic.generate(schema, ROWS, seed=31)[0])


@pytest.fixture(scope="module")
def trained_binary() -> TrainedModel:
    """A binary model without class weights: before the fix its intercept was P(adverse) in
    the training rows (~0.12), which XGBoost < 3.1 read as 0.5."""
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 3000, seed=11)
    return fit(
        build_matrix(schema, answers),
        (np.asarray(tiers) == 2).astype(np.int32),
        feature_names=list(schema.feature_names),
        seed=11,
        nthread=2,
        target=Target.BINARY,
    )


@pytest.fixture(scope="module")
def trained_categorical(trained_default: TrainedModel) -> TrainedModel:
    """A three-tier model whose text choices are native categoricals (encoding v2): the
    session's `trained_default` is exactly that fit (the configured schema's 3000 synthetic
    rows, seed 11, trained with the schema; tests/conftest.py), so it is not fitted again."""
    assert get_schema().path.resolve() == DEFAULT_SCHEMA.resolve()
    assert encoding_of(trained_default.params)["version"] != POSITIONS
    return trained_default


CATEGORICAL = "tiers, native categoricals"


@pytest.fixture
def model_of(
    db: Any, trained_default: TrainedModel, trained_binary: TrainedModel, trained_categorical: TrainedModel
) -> Any:
    def register(target: str) -> Any:
        trained = {Target.BINARY: trained_binary, CATEGORICAL: trained_categorical}.get(
            target, trained_default
        )
        return model_version_register(trained=trained, schema=get_schema(), training_source="tests")

    return register


@pytest.fixture(scope="module")
def trained_before_the_fix(trained_default: TrainedModel) -> TrainedModel:
    """A three-tier model as training made it before base_score was fixed: XGBoost fits one
    intercept per class."""
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 3000, seed=11)
    matrix = xgb.DMatrix(build_matrix(schema, answers), label=tiers, feature_names=list(schema.feature_names))
    booster = xgb.train({**DEFAULT_PARAMS, "seed": 11, "nthread": 2}, matrix, num_boost_round=80)
    return dataclasses.replace(trained_default, booster=booster)


@pytest.mark.parametrize("target", [Target.TIERS, Target.BINARY, CATEGORICAL])
@pytest.mark.parametrize("version", VERSIONS)
def test_the_sagemaker_container_scores_the_artifact_as_the_platform_does(
    version: str, target: str, model_of: Any, rows: np.ndarray, tmp_path: Path
) -> None:
    model = model_of(target)
    artifact = store_for(model.artifact_uri).get(model.artifact_uri)
    # What the SageMaker scorer sends: the model's own codes for its choices.
    sent = model_input(model, rows)
    assert (sent is rows) == (encoding_of(model.params)["version"] == POSITIONS)
    answer = container_answer(version, artifact, sent, tmp_path)

    booster = load_booster(model.artifact_uri)
    raw = np.asarray(answer["predictions"])
    assert np.abs(raw - booster.inplace_predict(sent)).max() <= 1e-6
    platform = InProcessScorer().predict_proba(model, rows)
    container = finish_probabilities(model, raw, len(rows))
    assert container.shape == platform.shape
    assert np.abs(container - platform).max() <= 1e-6
    tiers = platform_tiers(model, platform)
    assert len(tiers) >= 500 and set(tiers) == {0, 1, 2}  # every tier is at stake
    assert int((platform_tiers(model, container) != tiers).sum()) == 0

    # Reasons: the same contributions there and here, and here they add up (with the bias)
    # to the risk margin of the probabilities decided with.
    here = booster.predict(xgb.DMatrix(sent, feature_names=list(model.feature_names)), pred_contribs=True)
    np.testing.assert_allclose(np.asarray(answer["contributions"]), here, atol=1e-5)
    reasons = risk_contributions(model, rows)
    if target == Target.BINARY:
        bias, margin = here[:, -1], np.log(raw / (1 - raw))
    else:
        bias, margin = here[:, -1, -1] - here[:, 0, -1], np.log(raw[:, 2] / raw[:, 0])
    np.testing.assert_allclose(reasons.sum(axis=1) + bias, margin, atol=1e-4)


def test_training_stores_one_intercept_that_every_version_reads_alike(model_of: Any) -> None:
    for target in (Target.TIERS, Target.BINARY, CATEGORICAL):
        booster = load_booster(model_of(target).artifact_uri)
        assert set(intercepts(booster)) == {0.5}
        assert all(reproduction_problem(booster, v) is None for v in VERSIONS)


def test_a_model_trained_before_the_fix_scores_differently_and_is_not_deployed(
    db: Any, trained_before_the_fix: TrainedModel, rows: np.ndarray, tmp_path: Path, settings: Any
) -> None:
    """The defect itself, seen through the same harness: proof the comparison can fail."""
    booster = trained_before_the_fix.booster
    assert len(set(intercepts(booster))) == 3
    model = model_version_register(
        trained=trained_before_the_fix, schema=get_schema(), training_source="before the fix"
    )
    model = model_version_bootstrap(model=model, note="tests")
    artifact = store_for(model.artifact_uri).get(model.artifact_uri)
    answer = container_answer("1.7.6", artifact, rows, tmp_path)
    platform = InProcessScorer().predict_proba(model, rows)
    container = finish_probabilities(model, np.asarray(answer["predictions"]), len(rows))
    assert np.abs(container - platform).max() > 0.01
    assert int((platform_tiers(model, container) != platform_tiers(model, platform)).sum()) > 0

    assert "retrain it" in (reproduction_problem(booster, "1.7.4") or "")
    assert reproduction_problem(booster, "3.0.5") is not None
    assert reproduction_problem(booster, "3.1.0") is None  # reads the per-class intercepts

    settings.SAGEMAKER_S3_URL = "s3://riskscore-not-reached/deployments"
    settings.SAGEMAKER_ROLE_ARN = "arn:aws:iam::123456789012:role/riskscore-sagemaker"
    for image in (IMAGE_1_7, IMAGE_3_0):
        settings.SAGEMAKER_IMAGE_URI = image
        with pytest.raises(
            CommandError,
            match=r"XGBoost (1\.7\.4|3\.0\.5)\): the model stores the "
            r"intercept .* retrain it \(manage.py train\)",
        ):
            call_command("deploy_sagemaker", str(model.version))


@pytest.fixture
def deploy_settings(settings: Any, aws_stand_in: str, s3_bucket: str, monkeypatch: Any) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", aws_stand_in)
    settings.SAGEMAKER_S3_URL = f"s3://{s3_bucket}/deployments"
    settings.SAGEMAKER_ROLE_ARN = "arn:aws:iam::123456789012:role/riskscore-sagemaker"
    settings.SAGEMAKER_ENDPOINT_NAME = f"riskscore-{s3_bucket[-6:]}"
    return settings


def test_deploy_checks_the_image_xgboost(deploy_settings: Any, active_model: Any, capsys: Any) -> None:
    from trail.models import TrailEntry

    for image in (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1",
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:0.90-2-cpu-py3",
    ):
        deploy_settings.SAGEMAKER_IMAGE_URI = image
        with pytest.raises(CommandError, match=r"cannot read the model file \(UBJSON needs XGBoost 1.6"):
            call_command("deploy_sagemaker", str(active_model.version))
    deploy_settings.SAGEMAKER_IMAGE_URI = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/our-scorer:7"
    with pytest.raises(CommandError, match=r"cannot tell which XGBoost the image .*our-scorer:7 serves"):
        call_command("deploy_sagemaker", str(active_model.version))
    with pytest.raises(CommandError, match="not an XGBoost version: 'latest'"):
        call_command("deploy_sagemaker", str(active_model.version), "--image-xgboost-version", "latest")
    assert not TrailEntry.objects.filter(action="model.deploy").exists()

    call_command("deploy_sagemaker", str(active_model.version), "--image-xgboost-version", "3.2.0")
    deploy_settings.SAGEMAKER_IMAGE_URI = IMAGE_3_0
    call_command("deploy_sagemaker", str(active_model.version), "--endpoint-name", "riskscore-on-3-0")
    deployed = TrailEntry.objects.filter(action="model.deploy").order_by("pk")
    assert [e.after["image_xgboost"] for e in deployed] == ["3.2.0", "3.0.5"]
