from __future__ import annotations

from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from objectstore import ObjectNotFound


class S3ObjectStore:
    def __init__(self, *, bucket: str, prefix: str = ""):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.base_url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        # The endpoint comes from AWS_ENDPOINT_URL_S3 when set (a local S3 server in tests).
        self.client = boto3.client(
            "s3", config=Config(retries={"max_attempts": 5, "mode": "standard"})
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> str:
        full_key = self._key(key)
        self.client.put_object(Bucket=self.bucket, Key=full_key, Body=data)
        return f"s3://{self.bucket}/{full_key}"

    def get(self, url: str) -> bytes:
        parsed = urlparse(url)
        try:
            response = self.client.get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ObjectNotFound(url) from exc
            raise
        return response["Body"].read()
