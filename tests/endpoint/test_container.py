"""The endpoint package under gunicorn: SageMaker's container contract (/ping, /invocations),
the runtime-API façade boto3 calls, and requests whose body cannot be read safely."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError

from applicants.schema import get_schema
from demo import synthetic
from scoring.features import build_matrix
from scoring.sagemaker import encode_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    return build_matrix(get_schema(), synthetic.generate(get_schema(), 40, seed=8)[0])


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request) as answer:  # noqa: S310 (our server on 127.0.0.1)
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send bytes as they are (urllib would fix the headers) and read the status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), answer


def runtime(endpoint):
    return boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1")


def test_json_in_and_out_and_the_container_contract(local_endpoint, active_model, rows):
    local_endpoint.serve(active_model)
    payload = json.dumps(
        {"instances": [[None if np.isnan(v) else float(v) for v in row] for row in rows[:3]]}
    ).encode()
    status, body = post(
        f"{local_endpoint.url}/invocations",
        payload,
        {"Content-Type": "application/json", "Accept": "application/json"},
    )
    predictions = json.loads(body)["predictions"]
    assert status == 200 and len(predictions) == 3 and len(predictions[0]["probabilities"]) == 3
    with urllib.request.urlopen(f"{local_endpoint.url}/ping") as ping:  # noqa: S310
        assert ping.status == 200
    statuses = {}
    for body, content_type, accept in [
        (b"", "text/csv", "text/csv"),
        (b"1,2\n", "text/csv", "text/csv"),
        (b"<x/>", "application/xml", "text/csv"),
        (encode_csv(rows[:1]), "text/csv", "image/png"),
    ]:
        statuses[content_type, accept, len(body)] = post(
            f"{local_endpoint.url}/invocations", body, {"Content-Type": content_type, "Accept": accept}
        )[0]
    assert sorted(statuses.values()) == [204, 400, 406, 415]
    for body, content_type in [(b" \n \n", "text/csv"), (b'{"instances": []}', "application/json")]:
        status, answer = post(f"{local_endpoint.url}/invocations", body, {"Content-Type": content_type})
        assert (status, answer) == (
            415,
            f"Loading {content_type.split('/')[-1]} data failed: the payload holds no rows".encode(),
        )
    with pytest.raises(urllib.error.HTTPError) as wrong_method:
        urllib.request.urlopen(f"{local_endpoint.url}/invocations")  # noqa: S310 (a GET)
    assert wrong_method.value.code == 405


def test_errors_come_back_the_way_sagemaker_sends_them(local_endpoint, active_model):
    local_endpoint.serve(active_model)
    client = runtime(local_endpoint)
    with pytest.raises(ClientError) as missing:
        client.invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body=b"1")
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(client.exceptions.ModelError) as bad_rows:
        client.invoke_endpoint(
            EndpointName=local_endpoint.endpoint_name, ContentType="text/csv", Body=b"1,2,3\n"
        )
    assert bad_rows.value.response["OriginalStatusCode"] == 400
    assert "Feature size" in bad_rows.value.response["OriginalMessage"]


@pytest.mark.parametrize("path", ["/invocations", "/endpoints/riskscore-test/invocations"])
def test_a_body_that_cannot_be_read_safely_gets_a_clear_status(local_endpoint, active_model, path):
    local_endpoint.serve(active_model)
    port = local_endpoint.port
    head = f"POST {path} HTTP/1.1\nHost: 127.0.0.1\nContent-Type: text/csv\n"
    assert raw_request(port, head + "Content-Length: twelve\n")[0] == 400
    assert raw_request(port, head + "Connection: close\n")[0] == 411
    # 7 MB announced, nothing sent: refused from the headers alone, before any body is read.
    assert raw_request(port, head + f"Content-Length: {7 * 1024 * 1024}\n")[0] == 413


def test_the_endpoint_follows_the_model_its_pointer_file_names(tmp_path, active_model, rows):
    """What `manage.py serve_endpoint` relies on: every worker loads the model the pointer
    names, and a new one when it changes."""
    from endpoint.app import create_app, model_slot

    pointer = tmp_path / "endpoint-model.json"
    pointer.write_text(json.dumps({"url": active_model.artifact_uri, "variant": "v1"}))
    app = create_app(pointer=str(pointer), endpoint_name="follow")
    client = app.test_client()
    assert client.get("/ping").status_code == 200
    answer = client.post(
        "/endpoints/follow/invocations", data=encode_csv(rows[:2]), headers={"Content-Type": "text/csv"}
    )
    assert answer.status_code == 200 and answer.headers["x-Amzn-Invoked-Production-Variant"] == "v1"
    pointer.write_text(json.dumps({"url": str(tmp_path / "missing.tar.gz"), "variant": "v2"}))
    model_slot(app)._pointer_checked = 0.0  # skip the once-a-second throttle
    assert client.get("/ping").status_code == 503


def test_the_endpoint_package_imports_no_django():
    probe = (
        "import sys, endpoint.app, endpoint.container, endpoint.__main__; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'rest_framework', 'applicants', 'config', 'objectstore', 'outbox'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
