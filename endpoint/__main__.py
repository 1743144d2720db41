"""python -m endpoint: serve a model.tar.gz under gunicorn (what the container's `serve` does)."""

from __future__ import annotations

import argparse
import os
import sys


def gunicorn_argv(app: str, *, host: str, port: int, workers: int | None = None) -> list[str]:
    """The gunicorn command line that serves `app` (a "module:factory()" spec)."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:endpoint.gunicorn_config",
        "--bind",
        f"{host}:{port}",
    ]
    if workers:
        argv += ["--workers", str(workers)]
    return [*argv, app]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local SageMaker-compatible XGBoost endpoint.")
    parser.add_argument(
        "--model", default="", help="model.tar.gz: a path, file:// or s3:// URL, or a model folder"
    )
    parser.add_argument(
        "--model-pointer", default="", help="a JSON file {url, variant} to follow (written by serve_endpoint)"
    )
    parser.add_argument("--endpoint-name", default="riskscore")
    parser.add_argument("--variant", default="AllTraffic")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    os.environ.update(
        ENDPOINT_MODEL_URL=args.model,
        ENDPOINT_MODEL_POINTER=args.model_pointer,
        ENDPOINT_NAME=args.endpoint_name,
        ENDPOINT_VARIANT=args.variant,
    )
    command = gunicorn_argv("endpoint.app:create_app()", host=args.host, port=args.port, workers=args.workers)
    os.execv(command[0], command)  # noqa: S606 (our own fixed command)


if __name__ == "__main__":
    main()
