"""Production: every secret from the environment, HTTPS only, PostgreSQL and Redis required.

`python manage.py check --deploy --settings=config.settings.production` is clean when the
required variables are set (see README, "Deploying").
"""

from config.env import env, env_bool, env_int, env_list, env_str
from config.production_checks import check_production_settings, check_twilio_auth_token
from config.settings.base import *  # noqa: F403
from config.settings.base import tune_database
from config.settings.trail import require_trail_hmac_keys

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
PII_ENCRYPTION_KEYS = env_list("PII_ENCRYPTION_KEYS")
PII_HASH_KEY = env_str("PII_HASH_KEY")
PSEUDONYM_KEY = env_str("PSEUDONYM_KEY")
DATABASES = {"default": tune_database(env.db("DATABASE_URL"))}
# Refuse to start with secrets that cannot work (config/production_checks.py).
check_production_settings(
    secret_key=SECRET_KEY,
    encryption_keys=PII_ENCRYPTION_KEYS,
    hash_key=PII_HASH_KEY,
    pseudonym_key=PSEUDONYM_KEY,
    database=DATABASES["default"],
)
# The Twilio webhooks check every request's signature against it (no local default here).
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
check_twilio_auth_token(TWILIO_AUTH_TOKEN)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CACHES = {"default": env.cache("CACHE_URL", default="redis://127.0.0.1:6379/1")}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Static files are collected into the image at build time (Dockerfile; settings/build.py).
STORAGES = PRODUCTION_STORAGES  # noqa: F405
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# Auditors, approvers and admins enrol and verify a second factor (docs/accounts.md).
OTP_REQUIRED_FOR_STAFF = env_bool("OTP_REQUIRED_FOR_STAFF", True)
# The audit chain's HMAC keys come from the environment, never a generated file (docs/audit-trail.md).
TRAIL_HMAC_KEYS = require_trail_hmac_keys(TRAIL_HMAC_KEYS)  # noqa: F405
