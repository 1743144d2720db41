"""One interface for files the platform keeps: model artifacts, exports, batch rows.

`file:///path` stores on the local disk (the default); `s3://bucket/prefix` stores in S3
through boto3 (or any S3-compatible server named by AWS_ENDPOINT_URL_S3).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured


class ObjectNotFound(Exception):
    pass


class ObjectStore(Protocol):
    base_url: str

    def put(self, key: str, data: bytes) -> str:
        """Store `data` under `key`; return its full URL."""

    def get(self, url: str) -> bytes:
        """Read an object by the URL `put` returned."""


class LocalObjectStore:
    def __init__(self, root: Path):
        self.root = root
        self.base_url = f"file://{root}"

    def put(self, key: str, data: bytes) -> str:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        return f"file://{target}"

    def get(self, url: str) -> bytes:
        path = Path(urlparse(url).path)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(url) from exc


def store_for(url: str) -> ObjectStore:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalObjectStore(Path(parsed.path))
    if parsed.scheme == "s3":
        from objectstore.s3 import S3ObjectStore

        return S3ObjectStore(bucket=parsed.netloc, prefix=parsed.path.lstrip("/"))
    raise ImproperlyConfigured(f"storage URL {url!r} must start with file:// or s3://")
