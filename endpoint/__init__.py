"""The SageMaker-compatible model endpoint: a small WSGI app served by gunicorn, the way
SageMaker's own XGBoost container serves. Django-free: it imports Flask, NumPy, XGBoost,
boto3 (for s3:// models) and the artifact contract in scoring/artifacts.py, nothing else of
the project. See docs/model-lifecycle.md, "The local endpoint".

    python -m endpoint --model var/models/v1-xxxx/model.tar.gz --port 8080
    python manage.py serve_endpoint          # the active model, following activations
"""
