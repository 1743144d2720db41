"""Settings for `make test`: PostgreSQL and Redis on 127.0.0.1, as on the dev and CI machines.

Worker processes started by the tests import these same settings, pointed at the test
database through DATABASE_URL.
"""

import os

from config.env import env, env_list, env_str, local_secrets
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, tune_database

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

DATABASES = {
    "default": tune_database(env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/riskscore"))
}
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_riskscore")}

_secrets = local_secrets(VAR_DIR / "test-secrets.json")
SECRET_KEY = _secrets["DJANGO_SECRET_KEY"]
PII_ENCRYPTION_KEYS = env_list("PII_ENCRYPTION_KEYS", [_secrets["PII_ENCRYPTION_KEYS"]])
PII_HASH_KEY = os.environ.get("PII_HASH_KEY") or _secrets["PII_HASH_KEY"]
PSEUDONYM_KEY = os.environ.get("PSEUDONYM_KEY") or _secrets["PSEUDONYM_KEY"]

# Redis database 14 belongs to the tests; the suite empties it before it starts a worker.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MODEL_STORAGE_URL = env_str("MODEL_STORAGE_URL", f"file://{VAR_DIR / 'test-models'}")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# No item is sampled for an independent second label unless a test asks for it: with a
# random application id, 5 % of items elsewhere would wait for a second auditor.
REVIEW_INDEPENDENT_SHARE = 0.0
