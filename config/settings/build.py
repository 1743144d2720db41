"""Settings for building the image: `collectstatic` with production's storage, needing no
secret, database or broker (the Dockerfile runs it; the running image uses production.py).
"""

from config.settings.base import *  # noqa: F403

SECRET_KEY = "build-only-never-serves-requests"  # noqa: S105 (not a secret: serves nothing)
STORAGES = PRODUCTION_STORAGES  # noqa: F405
