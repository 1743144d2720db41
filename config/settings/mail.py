"""Settings of mail entry (channels_ingest/mail): paper forms keyed twice by clerks from a scan.

Imported by base.py (its last line); it extends the lists base.py built.
"""

from __future__ import annotations

from config.env import env_int, env_str
from config.settings.base import INSTALLED_APPS, VAR_DIR

# The largest scan accepted for one paper form, in bytes (PDF, PNG, JPEG or TIFF).
MAIL_SCAN_MAX_BYTES = env_int(
    "MAIL_SCAN_MAX_BYTES", 10 * 1024 * 1024, minimum=1024, maximum=200 * 1024 * 1024
)
# Where scans are kept: file:///path (local disk) or s3://bucket/prefix (objectstore/).
MAIL_SCAN_STORAGE_URL = env_str("MAIL_SCAN_STORAGE_URL", f"file://{VAR_DIR / 'mail-scans'}")

INSTALLED_APPS += ["channels_ingest.mail"]  # extends base.py's list in place
