"""The one retry policy of AWS calls: botocore's standard (or adaptive) retry mode, set here
for every client the platform makes (the SageMaker runtime, DynamoDB, S3). No code of ours
loops around an AWS call; what still fails after botocore's attempts is the caller's to hand
to the outbox or the job re-drive (retries across processes)."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from django.conf import settings


def aws_config(*, max_attempts: int | None = None, **options: Any) -> Config:
    """A botocore Config with the platform's retry mode; `options` are Config's own
    (connect_timeout, read_timeout, ...)."""
    return Config(
        retries={
            "mode": settings.AWS_RETRY_MODE,
            "total_max_attempts": max_attempts or settings.AWS_MAX_ATTEMPTS,
        },
        **options,
    )
