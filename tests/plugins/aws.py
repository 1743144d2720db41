"""A local AWS API emulator (moto's server mode) on 127.0.0.1 for S3, the SageMaker control
plane and SNS. Never for scoring: moto's invoke_endpoint returns canned bytes; scoring tests
use the project's own endpoint server instead.

Every test session runs with fake credentials, so no test can ever reach real AWS.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
for _name, _value in FAKE_CREDENTIALS.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def aws_stand_in() -> Iterator[str]:
    """The emulator's URL. Tests point a service at it with AWS_ENDPOINT_URL_<SERVICE>."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(aws_stand_in: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the emulator, with S3 calls of this process pointed at it."""
    import uuid

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_stand_in)
    name = f"riskscore-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=aws_stand_in).create_bucket(Bucket=name)
    return name
