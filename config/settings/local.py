"""The embedded default: `make run` on a machine with nothing but Python.

SQLite in var/, Celery over a folder (kombu's filesystem transport) so a real worker and
beat run beside the web server without Redis, in-process XGBoost. Every value can still be
overridden from the environment (e.g. DATABASE_URL or CELERY_BROKER_URL).
"""

import os

from config.env import env_bool, env_list, env_str, local_secrets
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

_secrets = local_secrets(VAR_DIR / "local-secrets.json")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _secrets["DJANGO_SECRET_KEY"]
PII_ENCRYPTION_KEYS = env_list("PII_ENCRYPTION_KEYS", [_secrets["PII_ENCRYPTION_KEYS"]])
PII_HASH_KEY = os.environ.get("PII_HASH_KEY") or _secrets["PII_HASH_KEY"]
PSEUDONYM_KEY = os.environ.get("PSEUDONYM_KEY") or _secrets["PSEUDONYM_KEY"]

_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
