"""Settings of logins (app `accounts`): lockout, trusted proxies, two-factor authentication.

Imported at the end of base.py; it adds its apps, middleware and backends to base's lists in
the positions they need, and points DRF's throttles and token authentication at accounts'
versions. See docs/accounts.md.
"""

from datetime import timedelta

from config.env import env_bool, env_float, env_int
from config.settings.base import INSTALLED_APPS, MIDDLEWARE, REST_FRAMEWORK

# --- Client IP: trusted proxies only ----------------------------------------------------------
# How many reverse proxies of ours stand in front of the app and append to X-Forwarded-For.
# 0 (the default): the header is ignored, the peer address counts. Lockout and throttling both
# use this rule (accounts/client_ip.py, DRF's NUM_PROXIES).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # the applicants' logins' rate limits

# --- Login lockout (django-axes): per username and client IP, kept in the database ------------
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1, maximum=1000)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=7 * 24 * 60)

AXES_ENABLED = env_bool("LOGIN_LOCKOUT_ENABLED", True)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
# The login name whatever the form calls it (username: staff login, admin, API; email: the
# applicants' allauth login).
AXES_USERNAME_CALLABLE = "accounts.lockout.login_name"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # not the cache: see throttling.py
AXES_RESET_ON_SUCCESS = True
# Masked in axes' log lines and stored form data: its defaults (username, IP) plus the fields
# applicants log in with (allauth's `login`, their email).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login", "email"]
# Failures while locked out do not push the end of the lockout further: the page can say when.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Staff logins are already in the audit trail (auditing.signals); no second log that grows.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# --- Two-factor authentication (django-otp, TOTP) ---------------------------------------------
# Auditors, auditor leads, approvers and admins (and Django staff) must enrol and verify a
# second factor before any page. Off by default here; production.py turns it on by default.
OTP_REQUIRED_FOR_STAFF = env_bool("OTP_REQUIRED_FOR_STAFF", False)
OTP_TOTP_ISSUER = "riskscore"
# Seconds the API throttles leave the cache alone after it failed (accounts/throttling.py).
CACHE_OUTAGE_RETRY_SECONDS = env_float("CACHE_OUTAGE_RETRY_SECONDS", 5.0, minimum=0.0)

try:  # other settings modules imported before this one may have named backends already
    from config.settings.base import AUTHENTICATION_BACKENDS as _BACKENDS
except ImportError:
    _BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTHENTICATION_BACKENDS: list[str] = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before the password
    *[backend for backend in _BACKENDS if backend != "axes.backends.AxesStandaloneBackend"],
]


def _insert_after(items: list[str], anchor: str, *new: str) -> None:
    position = items.index(anchor) + 1
    items[position:position] = [item for item in new if item not in items]


_insert_after(INSTALLED_APPS, "accounts", "axes", "django_otp", "django_otp.plugins.otp_totp")
_insert_after(
    MIDDLEWARE,
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
)
if "axes.middleware.AxesMiddleware" not in MIDDLEWARE:
    MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes asks

REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "accounts.throttling.FailOpenAnonRateThrottle",
    "accounts.throttling.FailOpenUserRateThrottle",
]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "accounts.authentication.SecondFactorAwareTokenAuthentication"
    if name == "rest_framework.authentication.TokenAuthentication"
    else name
    for name in REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
]
