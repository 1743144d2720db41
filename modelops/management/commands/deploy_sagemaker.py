from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError

from modelops.deploy import model_version_deploy
from modelops.registry import LifecycleError
from scoring.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Deploy a model version to a SageMaker real-time endpoint: upload model.tar.gz to "
        "SAGEMAKER_S3_URL, create the model (SAGEMAKER_IMAGE_URI, SAGEMAKER_ROLE_ARN), an endpoint "
        "configuration (variant v<VERSION>, SAGEMAKER_INSTANCE_TYPE), and create or update the endpoint. "
        "Refuses an image whose XGBoost would score the model differently from the platform."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("version", type=int)
        parser.add_argument("--endpoint-name", help="default: SAGEMAKER_ENDPOINT_NAME")
        parser.add_argument("--wait", action="store_true", help="wait until the endpoint is InService")
        parser.add_argument(
            "--image-xgboost-version",
            default="",
            help="the XGBoost version SAGEMAKER_IMAGE_URI serves with, for an image "
            "of your own (default: SAGEMAKER_IMAGE_XGBOOST_VERSION, else known "
            "from SageMaker's XGBoost image tag)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = ModelVersion.objects.filter(version=options["version"]).first()
        if model is None:
            raise CommandError(f"there is no model v{options['version']}")
        try:
            deployment = model_version_deploy(
                model=model,
                endpoint_name=options["endpoint_name"],
                actor="manage.py deploy_sagemaker",
                wait=options["wait"],
                image_xgboost=options["image_xgboost_version"],
            )
        except LifecycleError as exc:
            raise CommandError(str(exc)) from exc
        except (ClientError, BotoCoreError) as exc:
            raise CommandError(f"SageMaker refused: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Endpoint {deployment.endpoint_name} {deployment.action}: "
                f"config {deployment.endpoint_config_name}, "
                f"model {deployment.sagemaker_model_name} ({deployment.model_data_url}), variant "
                f"{deployment.variant_name} on {deployment.instance_type}."
            )
        )
