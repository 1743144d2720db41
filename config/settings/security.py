"""Settings of what every request meets first: request size and JSON depth limits, the
Content-Security-Policy, cookies, and API errors as problem documents.

Imported near the end of base.py; production.py adds HTTPS-only settings on top.
See docs/security.md.
"""

from __future__ import annotations

from csp.constants import NONE as _NONE
from csp.constants import SELF as _SELF

from config.env import env_int
from config.settings.base import INSTALLED_APPS, MIDDLEWARE, REST_FRAMEWORK

# --- Request limits (checked before anything parses the body) -------------------------------
# Largest request body Django or the API reads, in bytes; larger ones get 413 (API) or 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "DATA_UPLOAD_MAX_MEMORY_SIZE", 1_048_576, minimum=1024, maximum=100 * 1_048_576
)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000, minimum=10)
# Deepest nesting of arrays and objects the API accepts in a JSON body. Python's parser
# recurses, so a body nested a thousand deep would otherwise end in a RecursionError.
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 20, minimum=2, maximum=200)

REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "channels_ingest.api.parsers.BoundedJSONParser",
    "channels_ingest.api.parsers.BoundedFormParser",
    "rest_framework.parsers.MultiPartParser",
]
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "channels_ingest.api.pagination.SinglePagePagination"
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "channels_ingest.api.openapi.ProblemAutoSchema"

# --- Content-Security-Policy (django-csp): no inline script or style on any page ------------
# Scripts and styles come from our static files only (htmx and Swagger UI included, both
# served from pinned PyPI packages). data: images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    },
}
INSTALLED_APPS.append("csp")
# Right after SecurityMiddleware, so every response (WhiteNoise's static files too) has it.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware"
)
# Unexpected errors on /api/ routes answer application/problem+json, never an HTML page.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware") + 1, "config.errors.ApiProblemMiddleware"
)

# --- Cookies and headers (production.py adds the HTTPS-only ones) ----------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
