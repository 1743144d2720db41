from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ClientError

from config.aws import aws_config
from objectstore import ObjectNotFound


class S3ObjectStore:
    def __init__(self, *, bucket: str, prefix: str = ""):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.base_url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        # The endpoint comes from AWS_ENDPOINT_URL_S3 when set (a local S3 server in tests).
        # Retries: botocore's, the platform's one policy (config/aws.py).
        self.client = boto3.client("s3", config=aws_config(max_attempts=5))

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(
        self, key: str, data: bytes, *, lock_mode: str = "", retain_until: dt.datetime | None = None
    ) -> str:
        """With `lock_mode` (GOVERNANCE or COMPLIANCE) and `retain_until`, the object is
        written under S3 Object Lock: nobody can delete or overwrite that version before then
        (the bucket must have been created with Object Lock enabled)."""
        full_key = self._key(key)
        extra: dict[str, Any] = {}
        if lock_mode:
            extra = {
                "ObjectLockMode": lock_mode,
                "ObjectLockRetainUntilDate": retain_until,
                "ChecksumAlgorithm": "SHA256",
            }
        self.client.put_object(Bucket=self.bucket, Key=full_key, Body=data, **extra)
        return f"s3://{self.bucket}/{full_key}"

    def list_keys(self, prefix: str = "", *, start_after: str = "") -> Iterator[tuple[str, dt.datetime]]:
        """(key relative to this store's prefix, last modified), in key order, optionally
        only the keys after `start_after` (relative too)."""
        options: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._key(prefix)}
        if start_after:
            options["StartAfter"] = self._key(start_after)
        pages = self.client.get_paginator("list_objects_v2").paginate(**options)
        cut = len(self.prefix) + 1 if self.prefix else 0
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][cut:], item["LastModified"]

    def get(self, url: str) -> bytes:
        parsed = urlparse(url)
        try:
            response = self.client.get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ObjectNotFound(url) from exc
            raise
        return response["Body"].read()
