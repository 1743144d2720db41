"""Settings of the call-centre agent screen (channels_ingest/phone): finding a caller, the
identity check, the voice-bot hand-off queue.

Imported by base.py after the web form's settings; it extends the lists base.py built.
"""

from __future__ import annotations

from config.env import env_float, env_int, env_list
from config.settings.base import INSTALLED_APPS

# Two facts the caller states before the agent sees anything of theirs (schema field names;
# those the schema lacks are skipped, and a schema with none of them cannot verify callers).
PHONE_IDENTITY_CHECK_FIELDS = env_list("PHONE_IDENTITY_CHECK_FIELDS", ["date_of_birth", "postcode"])
# Failed identity checks allowed on one call before it is locked (recorded in the trail).
PHONE_IDENTITY_ATTEMPTS = env_int("PHONE_IDENTITY_ATTEMPTS", 3, minimum=1, maximum=10)
# Fields whose words are indexed (keyed hashes) so a caller is found by name.
PHONE_NAME_FIELDS = env_list("PHONE_NAME_FIELDS", ["full_name"])
# Digits of a phone number compared (the last N: "+44 20 7946 0000" finds "020 7946 0000").
PHONE_MATCH_DIGITS = env_int("PHONE_MATCH_DIGITS", 9, minimum=6, maximum=15)
# Speech answers below this confidence are highlighted for the agent to confirm or correct.
PHONE_LOW_CONFIDENCE = env_float("PHONE_LOW_CONFIDENCE", 0.8, minimum=0.0, maximum=1.0)
# How long a picked-up voice hand-off stays with its agent without activity.
PHONE_HANDOFF_LEASE_SECONDS = env_int("PHONE_HANDOFF_LEASE_SECONDS", 900, minimum=30)

INSTALLED_APPS += ["channels_ingest.phone"]  # extends base.py's list in place
