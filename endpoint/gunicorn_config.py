"""gunicorn settings for the endpoint, as SageMaker's XGBoost container runs its server:
threads per worker for keep-alive clients (boto3 keeps connections open), a bounded
graceful stop, access log off (the container logs errors only)."""

import os

worker_class = "gthread"
workers = int(os.environ.get("ENDPOINT_WORKERS", "1"))
threads = int(os.environ.get("ENDPOINT_THREADS", "8"))
# Each request predicts on one XGBoost thread (ENDPOINT_PREDICT_THREADS, endpoint/container.py):
# XGBoost releases the GIL, so these threads (and workers) fill the cores between them.
keepalive = 60
timeout = 60
graceful_timeout = 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ENDPOINT_LOG_LEVEL", "info")
# gunicorn's management socket is one path per user: several endpoints (tests, make services)
# would fight over it, and nothing here uses it.
control_socket_disable = True
