"""Telling people that work is stuck: dead letters go to the admins by mail and, when
ALERT_SNS_TOPIC_ARN is set, to an SNS topic (which can page, text or call a webhook)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import mail_admins

logger = logging.getLogger(__name__)


def alert_dead_letters(*, topic: str, count: int, error: str) -> None:
    """Never raises: an alert that cannot be sent is logged, the dead letters stay visible
    in the admin either way."""
    subject = f"{count} outbox message(s) for {topic} became dead letters"
    body = (
        f"{count} message(s) for {topic} could not be delivered and were parked as dead "
        f"letters.\n\nLast error:\n{error}\n\nSee them in the admin (Outbox messages, status "
        f"'Dead letter'), fix the cause, then re-drive them with the admin action "
        f"or `python manage.py reconcile --fix`."
    )
    logger.error("%s: %s", subject, error[:500])
    try:
        mail_admins(subject, body, fail_silently=False)
    except Exception:
        logger.exception("could not mail the dead-letter alert")
    if settings.ALERT_SNS_TOPIC_ARN:
        try:
            _publish_sns(subject, body)
        except Exception:
            logger.exception("could not publish the dead-letter alert to SNS")


def _publish_sns(subject: str, body: str) -> None:
    import boto3

    from config.aws import aws_config

    # The endpoint comes from AWS_ENDPOINT_URL_SNS when set (a local stand-in in tests).
    arn = settings.ALERT_SNS_TOPIC_ARN
    region = arn.split(":")[3] if arn.count(":") >= 5 else None
    boto3.client("sns", region_name=region, config=aws_config()).publish(
        TopicArn=arn, Subject=subject[:100], Message=body
    )
