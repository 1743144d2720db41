"""Settings shared by every environment. Values come from the environment (config.env).

local.py (the embedded default), test.py and production.py refine this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kombu import Exchange, Queue

from config.env import env, env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR: Path = Path(env_str("RISKSCORE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The lists and dicts below are typed: the settings modules imported at the end extend them.
INSTALLED_APPS: list[str] = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "accounts",
    "ops",
    "trail",
    "applicants",
    "outbox",
    "scoring",
    "modelops",
    "demo",
    "channels_ingest.api",
    "sinks",
    "auditing",
    "privacy",
    "monitoring",
    "governance",
]

MIDDLEWARE: list[str] = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # With DEBUG on, a 404 is still the branded page, not Django's technical one (config/errors.py).
    "config.errors.BrandedNotFoundWithDebugMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'riskscore.sqlite3'}")}


def tune_database(database: dict) -> dict:
    """SQLite: WAL and immediate transactions so the web process and the worker share it.
    PostgreSQL: a connection pool, so Celery's close-after-task costs a pool return,
    not a new server connection (~15 ms each, the main cost measured on the prototype)."""
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"].endswith("sqlite3"):
        options.setdefault("timeout", 30)
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    elif database["ENGINE"].endswith("postgresql") and env_bool("DATABASE_POOL", True):
        options.setdefault("pool", {"min_size": 1, "max_size": env_int("DATABASE_POOL_MAX", 8, minimum=1)})
        database["CONN_MAX_AGE"] = 0
    return database


DATABASES["default"] = tune_database(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed names from a manifest that `collectstatic` writes (the Dockerfile
# runs it with settings/build.py); a page whose file is not in it answers 500.
PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Secrets (production.py requires them; local.py and test.py make them under var/) -------
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
# Fernet keys, comma separated: the first encrypts, all decrypt (rotation).
PII_ENCRYPTION_KEYS = env_list("PII_ENCRYPTION_KEYS", [])
# Key of the HMAC that lets us find a person by national ID without storing it in clear.
PII_HASH_KEY = env_str("PII_HASH_KEY", "")
# Key of the pseudonyms in labelled exports; different from PII_HASH_KEY so exports can't be
# joined back to the identity hash.
PSEUDONYM_KEY = env_str("PSEUDONYM_KEY", "")

# --- The application schema (data, not code) --------------------------------------------------
APPLICATION_SCHEMA = Path(
    env_str("APPLICATION_SCHEMA", str(BASE_DIR / "applicants" / "schemas" / "consumer_credit.yaml"))
)
DUPLICATE_WINDOW_DAYS = env_int("DUPLICATE_WINDOW_DAYS", 30, minimum=0)

# --- Scoring ---------------------------------------------------------------------------------
SCORER = env_choice("SCORER", ("inprocess", "sagemaker"), "inprocess")
SCORING_BATCH_SIZE = env_int("SCORING_BATCH_SIZE", 200, minimum=1, maximum=10_000)
SCORING_MAX_ATTEMPTS = env_int("SCORING_MAX_ATTEMPTS", 5, minimum=1)
# Claims are leases renewed by the scorer: SCORING_LEASE_SECONDS in config/settings/jobs.py.
# How long a received application may wait before the periodic re-drive publishes it again.
SCORING_REDRIVE_AFTER_SECONDS = env_int("SCORING_REDRIVE_AFTER_SECONDS", 30, minimum=1)
# One queued wake-up of the scorer serves every submission committed before it runs; a
# waiting one older than this lets one more through (it may sit behind a long queue).
SCORING_ASK_EVERY_SECONDS = env_float("SCORING_ASK_EVERY_SECONDS", 0.5, minimum=0.0)
# A scoring task hands what is left to a fresh task after this long.
SCORING_TASK_SECONDS = env_int("SCORING_TASK_SECONDS", 20, minimum=1)
REVIEW_LOW_SAMPLE_RATE = env_float("REVIEW_LOW_SAMPLE_RATE", 0.05, minimum=0.0, maximum=1.0)
TOP_REASONS = env_int("TOP_REASONS", 4, minimum=1, maximum=20)
MODEL_STORAGE_URL = env_str("MODEL_STORAGE_URL", f"file://{VAR_DIR / 'models'}")

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Acknowledge after the task ran, and give the message back if the worker dies: a SIGKILLed
# worker's applications are delivered again. Tasks are idempotent, so a second run is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    # Unacknowledged messages come back after this long if their worker vanished.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600, minimum=10),
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Queues: scoring never waits behind a sink's drain or a periodic job (issue #16). `make run`
# (ops/management/commands/runplatform.py) and docker-compose.yml start one worker for
# "scoring" and one for the rest; a worker started without -Q consumes every queue declared
# here (the tests' worker, a one-process set-up). "celery", the default, has no task routed
# to it (tests/test_queues.py); it is consumed so a message queued before an upgrade still runs.
CELERY_TASK_DEFAULT_QUEUE = "celery"
WORKER_QUEUES = ("scoring", "sinks", "maintenance", CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in WORKER_QUEUES]
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {
    # The decision pipeline, its re-drive included: a dead scorer's batch is freed by a
    # scoring worker even while maintenance runs a long job.
    "scoring.tasks.*": {"queue": "scoring"},
    # Drains of the outbox to DynamoDB and the warehouse, and their re-drive.
    "sinks.tasks.*": {"queue": "sinks"},
    # Beat's periodic jobs and the long jobs (training, rescoring, replay, exports).
    **{
        f"{app}.tasks.*": {"queue": "maintenance"}
        for app in (
            "applicants",
            "auditing",
            "governance",
            "modelops",
            "monitoring",
            "outbox",
            "privacy",
            "trail",
        )
    },
}
from config.settings.auditing import REVIEW_BEAT_SCHEDULE  # noqa: E402
from config.settings.jobs import JOBS_BEAT_SCHEDULE  # noqa: E402
from config.settings.modelops import LIFECYCLE_BEAT_SCHEDULE  # noqa: E402

CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Scoring, every job kind, the outbox purge (config/settings/jobs.py).
    **JOBS_BEAT_SCHEDULE,
    "seal-audit-trail": {"task": "trail.tasks.seal_trail", "schedule": 5.0},
    # Sinks: ask again for drains of undelivered outbox messages.
    "redrive-sinks": {"task": "sinks.tasks.redrive_sinks", "schedule": 10.0},
    # The review queue, labelled exports and retraining (config/settings/auditing.py).
    **REVIEW_BEAT_SCHEDULE,
    # Batch rescoring: hand out again chunks whose worker vanished (config/settings/modelops.py).
    **LIFECYCLE_BEAT_SCHEDULE,
}

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "channels_ingest.api.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
        "token": env_str("API_THROTTLE_TOKEN", "20/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Applicant risk scoring API",
    "DESCRIPTION": (
        "Submit applications, read their risk decisions and reasons. "
        "Errors are application/problem+json (RFC 9457)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "riskscore-demo")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "filters": {
        "client_errors": {"()": "config.log_filters.ExpectedClientErrorsWithoutTraceback"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "loggers": {
        # Django's default LOGGING gives "django" its own console handler with DEBUG on, and the
        # record then reached the root's console as well: every warning printed twice. Django's
        # records go to the root's console only (and errors to ADMINS, as by default).
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # An expected 403/404 is one line, not a traceback (5xx keep theirs).
        "django.request": {"filters": ["client_errors"]},
    },
}

# --- Settings by concern, each module owned by the app that needs it -------------------------
from config.settings.modelops import *  # noqa: E402, F403, I001 (order matters: each extends the lists)
from config.settings.jobs import *  # noqa: E402, F403
from config.settings.sinks import *  # noqa: E402, F403
from config.settings.auditing import *  # noqa: E402, F403
from config.settings.webform import *  # noqa: E402, F403
from config.settings.phone import *  # noqa: E402, F403
from config.settings.security import *  # noqa: E402, F403
from config.settings.accounts import *  # noqa: E402, F403
from config.settings.trail import *  # noqa: E402, F403
from config.settings.privacy import *  # noqa: E402, F403
from config.settings.monitoring import *  # noqa: E402, F403
from config.settings.conversation import *  # noqa: E402, F403
from config.settings.mail import *  # noqa: E402, F403
from config.settings.governance import *  # noqa: E402, F403
