"""Putting a model version on a SageMaker real-time endpoint (deploy_sagemaker).

Uploads model.tar.gz to S3 (SAGEMAKER_S3_URL), creates the SageMaker model (the inference
image SAGEMAKER_IMAGE_URI with that artifact, run as SAGEMAKER_ROLE_ARN), an endpoint
configuration whose production variant is named after the version ("v7", so the scorer can
tell which model answered), and creates the endpoint or points the existing one at the new
configuration. Only approved models (or the active one) are deployed, and only to an image
whose XGBoost scores the artifact exactly as the platform does (`image_xgboost_version`,
`scoring.artifacts.reproduction_problem`); anything else is refused before any upload.
"""

from __future__ import annotations

import re
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError
from django.conf import settings
from django.db import transaction
from xgboost.core import XGBoostError

from accounts.types import Actor
from modelops.models import ModelDeployment
from modelops.registry import LifecycleError
from objectstore import store_for
from scoring.artifacts import reproduction_problem, unpack_model
from scoring.models import ModelStatus, ModelVersion
from trail.services import actor_name, trail_record

# The XGBoost inside each of SageMaker's XGBoost framework images, by tag (the version pinned
# in aws/sagemaker-xgboost-container's docker/<tag>/base/Dockerfile.cpu).
SAGEMAKER_XGBOOST_IMAGES = {
    "0.90-1": "0.90",
    "0.90-2": "0.90",
    "1.0-1": "1.0.0",
    "1.2-1": "1.2.0",
    "1.2-2": "1.2.0",
    "1.3-1": "1.3.3",
    "1.5-1": "1.5.2",
    "1.7-1": "1.7.4",
    "3.0-5": "3.0.5",
}
_IMAGE_TAG = re.compile(r"/sagemaker-xgboost:(\d+\.\d+-\d+)")


def sagemaker_client() -> Any:
    # The endpoint comes from AWS_ENDPOINT_URL_SAGEMAKER when set (a local emulator in tests).
    return boto3.client("sagemaker", region_name=settings.SAGEMAKER_REGION)


def _exists(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in ("ValidationException", "ResourceNotFound") or "not" in message.lower():
            return False
        raise
    return True


def image_xgboost_version(image_uri: str, declared: str = "") -> str:
    """The XGBoost version the image serves with: `declared` (for an image of your own), else
    the one SageMaker's XGBoost image of that tag carries."""
    if declared:
        return declared
    match = _IMAGE_TAG.search(image_uri)
    if match and match.group(1) in SAGEMAKER_XGBOOST_IMAGES:
        return SAGEMAKER_XGBOOST_IMAGES[match.group(1)]
    raise LifecycleError(
        f"cannot tell which XGBoost the image {image_uri} serves with; use one of SageMaker's "
        f"XGBoost images ({', '.join(SAGEMAKER_XGBOOST_IMAGES)}) or name its XGBoost version "
        "(SAGEMAKER_IMAGE_XGBOOST_VERSION, or --image-xgboost-version)"
    )


def check_image_reproduces(
    model: ModelVersion, artifact: bytes, image_uri: str, declared_version: str = ""
) -> str:
    """The image's XGBoost version, or LifecycleError when it would not score the artifact
    as the platform does (a silent difference in probabilities and tiers)."""
    version = image_xgboost_version(image_uri, declared_version)
    try:
        booster = unpack_model(artifact)
    except (ValueError, XGBoostError) as exc:
        raise LifecycleError(f"v{model.version}'s artifact cannot be read: {exc}") from exc
    try:
        problem = reproduction_problem(booster, version)
    except ValueError as exc:  # a declared version that is not one
        raise LifecycleError(str(exc)) from exc
    if problem:
        raise LifecycleError(
            f"v{model.version} cannot be deployed to {image_uri} (XGBoost {version}): {problem}"
        )
    return version


def model_version_deploy(
    *,
    model: ModelVersion,
    endpoint_name: str | None = None,
    actor: Actor = None,
    wait: bool = False,
    image_xgboost: str = "",
) -> ModelDeployment:
    if model.status not in (ModelStatus.APPROVED, ModelStatus.ACTIVE):
        raise LifecycleError(
            f"v{model.version} is {model.status}; only an approved or the active version is deployed"
        )
    if not settings.SAGEMAKER_S3_URL.startswith("s3://"):
        raise LifecycleError("set SAGEMAKER_S3_URL (s3://bucket/prefix) to say where artifacts go")
    if not settings.SAGEMAKER_ROLE_ARN:
        raise LifecycleError("set SAGEMAKER_ROLE_ARN: the IAM role SageMaker runs the model as")
    endpoint = endpoint_name or settings.SAGEMAKER_ENDPOINT_NAME
    stamp = time.strftime("%Y%m%d%H%M%S")
    variant = f"v{model.version}"

    artifact = store_for(model.artifact_uri).get(model.artifact_uri)
    image = settings.SAGEMAKER_IMAGE_URI
    image_xgboost = check_image_reproduces(
        model, artifact, image, image_xgboost or getattr(settings, "SAGEMAKER_IMAGE_XGBOOST_VERSION", "")
    )
    model_data_url = store_for(settings.SAGEMAKER_S3_URL).put(f"{endpoint}/{variant}/model.tar.gz", artifact)

    client = sagemaker_client()
    sagemaker_model = f"{endpoint}-{variant}"[:63]
    if not _exists(client.describe_model, ModelName=sagemaker_model):
        client.create_model(
            ModelName=sagemaker_model,
            ExecutionRoleArn=settings.SAGEMAKER_ROLE_ARN,
            PrimaryContainer={"Image": image, "ModelDataUrl": model_data_url},
            Tags=[
                {"Key": "riskscore:version", "Value": str(model.version)},
                {"Key": "riskscore:fingerprint", "Value": model.training_data_fingerprint[:32]},
            ],
        )
    config = f"{endpoint}-{variant}-{stamp}"[:63]
    client.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": sagemaker_model,
                "InitialInstanceCount": settings.SAGEMAKER_INSTANCE_COUNT,
                "InstanceType": settings.SAGEMAKER_INSTANCE_TYPE,
                "InitialVariantWeight": 1.0,
            }
        ],
    )
    if _exists(client.describe_endpoint, EndpointName=endpoint):
        client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
        action = "updated"
    else:
        client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
        action = "created"
    if wait:
        client.get_waiter("endpoint_in_service").wait(EndpointName=endpoint)
    with transaction.atomic():
        deployment = ModelDeployment.objects.create(
            model_version=model,
            endpoint_name=endpoint,
            endpoint_config_name=config,
            sagemaker_model_name=sagemaker_model,
            variant_name=variant,
            model_data_url=model_data_url,
            instance_type=settings.SAGEMAKER_INSTANCE_TYPE,
            action=action,
            deployed_by=actor_name(actor),
        )
        trail_record(
            action="model.deploy",
            object_type="model_version",
            object_id=model.version,
            actor=actor if getattr(actor, "pk", None) else None,
            after={
                "endpoint": endpoint,
                "config": config,
                "variant": variant,
                "image": image,
                "image_xgboost": image_xgboost,
                "model_data_url": model_data_url,
                "action": action,
            },
        )
    return deployment
