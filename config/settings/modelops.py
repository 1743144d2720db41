"""Settings of the model lifecycle: training, registry, endpoint, rescoring (docs/model-lifecycle.md)."""

from config.env import env_bool, env_float, env_int, env_list, env_str

# --- training ------------------------------------------------------------------------------
# Fewer labelled rows than this and `train` refuses: the evaluation split would say nothing.
LIFECYCLE_MIN_TRAINING_ROWS = env_int("LIFECYCLE_MIN_TRAINING_ROWS", 200, minimum=50)
# Class weighting starts when the rarest class holds less than this share of the rows.
LIFECYCLE_IMBALANCE_SHARE = env_float("LIFECYCLE_IMBALANCE_SHARE", 0.15, minimum=0.0, maximum=0.5)
# When tier labels and binary outcomes are trained together, these tiers count as adverse.
LIFECYCLE_ADVERSE_TIERS = env_list("LIFECYCLE_ADVERSE_TIERS", ["high"])
# A binary model cuts P(adverse) into tiers so the validation rows fall into these shares.
LIFECYCLE_BINARY_TIER_SHARES = [
    float(x) for x in env_list("LIFECYCLE_BINARY_TIER_SHARES", ["0.60", "0.28", "0.12"])
]
# Threads XGBoost trains with; fixed so the same data and seed give the same model.
LIFECYCLE_TRAIN_THREADS = env_int("LIFECYCLE_TRAIN_THREADS", 2, minimum=1)
# `train --search`: the small hyperparameter search stops after this many seconds.
LIFECYCLE_SEARCH_SECONDS = env_int("LIFECYCLE_SEARCH_SECONDS", 120, minimum=5)

# --- registry ------------------------------------------------------------------------------
# Two people: whoever trained a model may not approve it (set true for a one-person team).
LIFECYCLE_ALLOW_SELF_APPROVAL = env_bool("LIFECYCLE_ALLOW_SELF_APPROVAL", False)

# --- the SageMaker scorer (SCORER=sagemaker) and the local endpoint ----------------------
SAGEMAKER_ENDPOINT_NAME = env_str("SAGEMAKER_ENDPOINT_NAME", "riskscore")
# Empty: boto3's own resolution (AWS, or AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME). Locally the
# project's endpoint server, e.g. http://127.0.0.1:8080 (`python manage.py serve_endpoint`).
SAGEMAKER_RUNTIME_URL = env_str("SAGEMAKER_RUNTIME_URL", "")
SAGEMAKER_REGION = env_str("SAGEMAKER_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
# The XGBoost version a custom deploy image carries (known SageMaker tags are looked up;
# see modelops/deploy.py SAGEMAKER_XGBOOST_IMAGES). Deploy refuses an image it cannot place.
SAGEMAKER_IMAGE_XGBOOST_VERSION = env_str("SAGEMAKER_IMAGE_XGBOOST_VERSION", "")
SAGEMAKER_CONNECT_TIMEOUT = env_float("SAGEMAKER_CONNECT_TIMEOUT", 2.0, minimum=0.1)
SAGEMAKER_READ_TIMEOUT = env_float("SAGEMAKER_READ_TIMEOUT", 10.0, minimum=0.1)
# Attempts per invoke_endpoint call, botocore's retry mode (config/aws.py) spacing them.
SAGEMAKER_MAX_ATTEMPTS = env_int("SAGEMAKER_MAX_ATTEMPTS", 3, minimum=1, maximum=10)
# Rows per invoke_endpoint call; SageMaker caps a request at 6 MB.
SAGEMAKER_ROWS_PER_REQUEST = env_int("SAGEMAKER_ROWS_PER_REQUEST", 1000, minimum=1, maximum=50_000)
# Where `serve_endpoint` listens.
LOCAL_ENDPOINT_HOST = env_str("LOCAL_ENDPOINT_HOST", "127.0.0.1")
LOCAL_ENDPOINT_PORT = env_int("LOCAL_ENDPOINT_PORT", 8080, minimum=0, maximum=65535)

# --- deploy_sagemaker (the control plane) ----------------------------------------------------
SAGEMAKER_ROLE_ARN = env_str("SAGEMAKER_ROLE_ARN", "")
# The inference image: SageMaker's XGBoost image, or one built with this project's XGBoost
# version (a model saved by XGBoost 3 needs a container with XGBoost 3; docs/model-lifecycle.md).
SAGEMAKER_IMAGE_URI = env_str(
    "SAGEMAKER_IMAGE_URI", "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
)
SAGEMAKER_INSTANCE_TYPE = env_str("SAGEMAKER_INSTANCE_TYPE", "ml.m5.large")
SAGEMAKER_INSTANCE_COUNT = env_int("SAGEMAKER_INSTANCE_COUNT", 1, minimum=1)
# s3://bucket/prefix the artifacts are uploaded to (and batch transform rows written to).
SAGEMAKER_S3_URL = env_str("SAGEMAKER_S3_URL", "")

# --- batch rescoring -----------------------------------------------------------------------
RESCORE_CHUNK_SIZE = env_int("RESCORE_CHUNK_SIZE", 5000, minimum=10, maximum=200_000)
# A decision is rewritten when its tier changes or a probability moves at least this much.
RESCORE_MIN_PROBABILITY_CHANGE = env_float("RESCORE_MIN_PROBABILITY_CHANGE", 0.05, minimum=0.0, maximum=1.0)
# Chunks and training runs are jobs: a lost worker's one is handed out again by the one job
# re-drive (JOB_LEASE_SECONDS, "redrive-jobs" in config/settings/jobs.py).
LIFECYCLE_BEAT_SCHEDULE: dict[str, dict] = {}
