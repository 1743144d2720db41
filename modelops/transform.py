"""Batch rescoring on AWS as a SageMaker batch transform (`rescore --sagemaker-transform`).

Submit: each chunk's rows are projected as for the Celery path and written to S3 as CSV
(`<SAGEMAKER_S3_URL>/transform/run-<id>/input/chunk-00000.csv`, with the application ids in
order beside them under `ids/`), then `create_transform_job` runs the deployed model over the
prefix (text/csv, SplitType Line, AssembleWith Line: one prediction line per input line in
`output/chunk-00000.csv.out`). Collect (`rescore --collect RUN`): once the job completed,
each chunk's output is read back, aligned by id, and goes through the same compare-and-write
step as the Celery chunks (`rescoring.apply_scores`).

`run_local_transform` does what SageMaker's transform does with the same container contract,
for tests and machines without AWS (the local stand-in, like the local endpoint).
"""

from __future__ import annotations

import io
import time
from typing import Any
from urllib.parse import urlparse

import boto3
import numpy as np
from django.conf import settings
from django.utils import timezone

from applicants.schema import get_schema
from config.aws import aws_config
from endpoint.container import encode_predictions, load_model, parse_rows
from modelops.deploy import sagemaker_client
from modelops.models import ModelDeployment, RescoreRun, RunStatus
from modelops.registry import LifecycleError
from modelops.rescoring import ChunkRows, _close_if_last, apply_scores, load_chunk
from objectstore import store_for
from scoring.encoding import model_input
from scoring.probabilities import finish_probabilities, tier_probabilities
from scoring.sagemaker import encode_csv, parse_csv_predictions


def _prefix(run: RescoreRun) -> str:
    return f"{settings.SAGEMAKER_S3_URL.rstrip('/')}/transform/run-{run.pk}"


def transform_submit(*, run: RescoreRun, wait_for_start: bool = False) -> str:
    """Write the run's rows to S3 and start the transform job; returns the job's name."""
    if not settings.SAGEMAKER_S3_URL.startswith("s3://"):
        raise LifecycleError("set SAGEMAKER_S3_URL (s3://bucket/prefix) for a batch transform")
    model = run.model_version
    deployment = ModelDeployment.objects.filter(model_version=model).order_by("-created_at").first()
    if deployment is None:
        raise LifecycleError(
            f"v{model.version} has no SageMaker model yet: run deploy_sagemaker {model.version} first"
        )
    schema = get_schema()
    prefix = _prefix(run)
    store = store_for(prefix)
    for chunk in run.chunks.order_by("seq"):
        rows = load_chunk(schema, run, chunk)
        # The codes the artifact was trained on (scoring/encoding.py), as the scorers send them.
        store.put(f"input/chunk-{chunk.seq:05d}.csv", encode_csv(model_input(model, rows.matrix, schema)))
        store.put(f"ids/chunk-{chunk.seq:05d}.txt", "\n".join(str(pk) for pk in rows.ids).encode())
    name = f"rescore-{run.pk}-{time.strftime('%Y%m%d%H%M%S')}"[:63]
    sagemaker_client().create_transform_job(
        TransformJobName=name,
        ModelName=deployment.sagemaker_model_name,
        BatchStrategy="MultiRecord",
        MaxPayloadInMB=6,
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{prefix}/input/"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": f"{prefix}/output/", "Accept": "text/csv", "AssembleWith": "Line"},
        TransformResources={
            "InstanceType": settings.SAGEMAKER_INSTANCE_TYPE,
            "InstanceCount": settings.SAGEMAKER_INSTANCE_COUNT,
        },
    )
    run.chunks.update(status=RunStatus.RUNNING, claimed_at=timezone.now())
    RescoreRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, transform_job=name, transform_prefix=prefix
    )
    return name


def transform_status(run: RescoreRun) -> str:
    return sagemaker_client().describe_transform_job(TransformJobName=run.transform_job)["TransformJobStatus"]


def transform_collect(*, run: RescoreRun) -> RescoreRun:
    """Read each chunk's output and write what changed; refuses until the job completed."""
    status = transform_status(run)
    if status != "Completed":
        raise LifecycleError(f"transform job {run.transform_job} is {status}; collect it once Completed")
    schema = get_schema()
    model = run.model_version
    store = store_for(run.transform_prefix)
    for chunk in run.chunks.filter(status=RunStatus.RUNNING).order_by("seq"):
        ids = store.get(f"{run.transform_prefix}/ids/chunk-{chunk.seq:05d}.txt").decode().split()
        body = store.get(f"{run.transform_prefix}/output/chunk-{chunk.seq:05d}.csv.out")
        raw = parse_csv_predictions(body, len(ids)) if ids else np.empty((0, 1))
        probs = tier_probabilities(model, finish_probabilities(model, raw, len(ids)))
        by_id = {pk: probs[i] for i, pk in enumerate(ids)}
        rows = load_chunk(schema, run, chunk)
        keep = [i for i, pk in enumerate(rows.ids) if str(pk) in by_id]
        current = ChunkRows(
            ids=[rows.ids[i] for i in keep],
            matrix=rows.matrix[keep],
            decision_ids=rows.decision_ids[keep],
            old_tiers=rows.old_tiers[keep],
            old_probs=rows.old_probs[keep],
            statuses=rows.statuses[keep],
        )
        chunk_probs = np.asarray([by_id[str(pk)] for pk in current.ids]).reshape(len(keep), 3)
        apply_scores(chunk, run, current, chunk_probs, f"sagemaker-transform:{run.transform_job}")
    _close_if_last(run)
    run.refresh_from_db()
    return run


# --- the local stand-in ----------------------------------------------------------------------


def _s3_parts(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed.netloc, parsed.path.lstrip("/")


def run_local_transform(*, model_url: str, input_prefix: str, output_prefix: str) -> int:
    """What SageMaker's batch transform does with the XGBoost container: every object under
    `input_prefix` (text/csv, one row per line) becomes `<name>.out` under `output_prefix`
    with one prediction line per input line. Returns how many rows it scored."""
    booster = load_model(model_url)
    s3: Any = boto3.client("s3", config=aws_config())
    bucket, key_prefix = _s3_parts(input_prefix)
    out_bucket, out_prefix = _s3_parts(output_prefix)
    scored = 0
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key_prefix)
    for page in pages:
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            rows = parse_rows(body, "text/csv") if body.strip() else np.empty((0, booster.num_features()))
            predictions = booster.inplace_predict(rows) if len(rows) else np.empty((0,))
            answer, _ = encode_predictions(predictions, "text/csv") if len(rows) else (b"", "text/csv")
            name = item["Key"][len(key_prefix) :].lstrip("/")
            s3.upload_fileobj(io.BytesIO(answer), out_bucket, f"{out_prefix.rstrip('/')}/{name}.out")
            scored += len(rows)
    return scored
