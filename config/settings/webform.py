"""Settings of the channel layer (drafts, how typed answers are read) and of the web form
with its applicant accounts (django-allauth under /account/, htmx served from a package).

Imported by the last line of base.py; it extends the lists base.py built above it.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env, env_bool, env_choice, env_int, env_str
from config.settings.base import CELERY_BEAT_SCHEDULE, INSTALLED_APPS, MIDDLEWARE, TEMPLATES

# --- drafts (applicants.drafts) ----------------------------------------------------------------
# A draft untouched this long is deleted with its answers (the periodic purge below).
DRAFT_TTL_DAYS = env_int("DRAFT_TTL_DAYS", 30, minimum=1, maximum=3650)
DRAFT_PURGE_SECONDS = env_int("DRAFT_PURGE_SECONDS", 3600, minimum=60)
# How free-text answers are read on every channel (applicants.reading): the order of a date
# written with numbers only (23/04/1986 is DMY) and the decimal mark of amounts.
ANSWER_DATE_ORDER = env_choice("ANSWER_DATE_ORDER", ("DMY", "MDY", "YMD"), "DMY")
ANSWER_DECIMAL_MARK = env_choice("ANSWER_DECIMAL_MARK", (".", ","), ".")

# --- what an applicant is told on their status page -----------------------------------------
# The outcome in plain words once decided, and the main reasons (the schema's reason texts).
# Never the probabilities.
APPLICANT_SEES_OUTCOME = env_bool("APPLICANT_SEES_OUTCOME", True)
APPLICANT_SEES_REASONS = env_bool("APPLICANT_SEES_REASONS", True)
APPLICANT_REASONS_SHOWN = env_int("APPLICANT_REASONS_SHOWN", 3, minimum=1, maximum=10)
# Wording of each tier for the applicant: "low=...|medium=...|high=..." (the lender's words).
APPLICANT_TIER_WORDING_RAW = env_str(
    "APPLICANT_TIER_WORDING",
    "low=Your application looks good. We will be in touch with your offer."
    "|medium=Your application needs a closer look. We will be in touch soon."
    "|high=We are unlikely to be able to offer you this loan. We will write to you with details.",
)


def _tier_wording(raw: str) -> dict[str, str]:
    wording = {}
    for item in raw.split("|"):
        tier, sep, text = item.partition("=")
        if not sep or tier.strip() not in ("low", "medium", "high") or not text.strip():
            raise ImproperlyConfigured(f"APPLICANT_TIER_WORDING item {item!r} must look like low=Some words")
        wording[tier.strip()] = text.strip()
    if set(wording) != {"low", "medium", "high"}:
        raise ImproperlyConfigured("APPLICANT_TIER_WORDING must word low, medium and high")
    return wording


APPLICANT_TIER_WORDING = _tier_wording(APPLICANT_TIER_WORDING_RAW)
# How often the status page asks for news while an application is being assessed.
APPLICANT_STATUS_POLL_SECONDS = env_int("APPLICANT_STATUS_POLL_SECONDS", 3, minimum=1, maximum=300)

# --- apps, middleware -----------------------------------------------------------------------
# The web form first: its templates (allauth's layout included) win over the libraries'.
INSTALLED_APPS += [  # extends base.py's list in place
    "channels_ingest.webform",
    "django_htmx",
    "js_lib_htmx",  # htmx.min.js as a static file from a pinned PyPI package, no CDN
    "allauth",
    "allauth.account",
]
MIDDLEWARE += [
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("channels_ingest.webform.context.apply_title")
CELERY_BEAT_SCHEDULE["purge-expired-drafts"] = {
    "task": "applicants.tasks.purge_expired_drafts",
    "schedule": float(DRAFT_PURGE_SECONDS),
}

# --- applicant accounts (django-allauth) ------------------------------------------------------
# Staff sign in at /accounts/login/ (Django's view); applicants at /account/login/ with their
# email. Both go through every backend listed in AUTHENTICATION_BACKENDS (login lockout, when
# configured, sits first there and covers both).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", ("mandatory", "optional", "none"), "mandatory"
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = env_str("ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
ACCOUNT_ADAPTER = "channels_ingest.webform.accounts.ApplicantAccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env_choice("ACCOUNT_DEFAULT_HTTP_PROTOCOL", ("http", "https"), "http")
# Sign-up and login are throttled per address and per account (allauth keeps the counts in
# the cache; its defaults hold for the other actions).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("ACCOUNT_RATE_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "signup": env_str("ACCOUNT_RATE_SIGNUP", "20/m/ip"),
}
ACCOUNT_LOGOUT_REDIRECT_URL = "/apply/"
# Where an applicant lands after login or email confirmation: their applications.
WEBFORM_HOME = "/apply/"
# Mail: console locally (local.py), locmem in tests (test.py), any SMTP server by EMAIL_URL
# (e.g. smtp+tls://user:password@mail.example.com:587).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "applications@riskscore.localhost")
if env_str("EMAIL_URL", ""):
    globals().update(env.email_url("EMAIL_URL"))

try:  # base.py names the backends only when login lockout is configured
    from config.settings.base import AUTHENTICATION_BACKENDS as _BACKENDS
except ImportError:
    _BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTHENTICATION_BACKENDS: list[str] = [
    *_BACKENDS,
    *[b for b in ["allauth.account.auth_backends.AuthenticationBackend"] if b not in _BACKENDS],
]
