"""Settings of the conversational channels (channels_ingest/conversation): the dialog engine,
its FAQ, the web chat, and the Twilio webhooks (SMS, voice).

Imported by the last line of base.py; it extends the lists base.py built above it.
"""

from __future__ import annotations

from pathlib import Path

from config.env import env_float, env_int, env_str
from config.settings.base import INSTALLED_APPS

# The language numbers in words and dates are read in (text2num, dateparser): "en", "fr", ...
CONVERSATION_LANGUAGE = env_str("CONVERSATION_LANGUAGE", "en")
# Questions asked on the way are answered from this YAML file; below the score (0-100,
# rapidfuzz token-set ratio) the engine says it does not know and offers a person.
CONVERSATION_FAQ_PATH = Path(
    env_str(
        "CONVERSATION_FAQ_PATH",
        str(Path(__file__).resolve().parents[2] / "channels_ingest" / "conversation" / "faq.yaml"),
    )
)
CONVERSATION_FAQ_MIN_SCORE = env_float("CONVERSATION_FAQ_MIN_SCORE", 75.0, minimum=0, maximum=100)
# How close a typed choice must be to an option's name to be taken for it (0-100).
CONVERSATION_CHOICE_MIN_SCORE = env_float("CONVERSATION_CHOICE_MIN_SCORE", 80.0, minimum=0, maximum=100)

# A speech answer recognised with less confidence than this (0-1) is read back for a yes.
CONVERSATION_SPEECH_CONFIRM_BELOW = env_float(
    "CONVERSATION_SPEECH_CONFIRM_BELOW", 0.6, minimum=0.0, maximum=1.0
)

# Voice: this many answers in a row not understood or not accepted hands the call to a person.
VOICE_MAX_MISSES = env_int("VOICE_MAX_MISSES", 3, minimum=1, maximum=9)
# Scoring's routing rule (scoring/policy.py): a decision one of whose top reasons rests on a
# speech answer heard with less confidence than this (0-1) goes to review, saying so.
REVIEW_SPEECH_CONFIDENCE_BELOW = env_float("REVIEW_SPEECH_CONFIDENCE_BELOW", 0.7, minimum=0.0, maximum=1.0)

# --- Twilio webhooks -----------------------------------------------------------------------
# The auth token of the Twilio account whose numbers post here: every webhook request is
# checked against it (X-Twilio-Signature). The default only signs local and test requests
# (the simulator, the tests); it is no account's secret. Set the real one in production.
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "local-twilio-auth-token-not-a-secret")
# The public base URL Twilio posts to (https://apply.example.com), when a proxy in front
# changes the host or scheme; empty: the request's own URL.
TWILIO_WEBHOOK_BASE_URL = env_str("TWILIO_WEBHOOK_BASE_URL", "").rstrip("/")
# Longest text in one SMS reply message; longer replies are split at sentence ends.
SMS_REPLY_MAX_CHARS = env_int("SMS_REPLY_MAX_CHARS", 600, minimum=160, maximum=1600)

# The Twilio queue a voice call is put in when it asks for a person (<Enqueue>).
TWILIO_VOICE_QUEUE = env_str("TWILIO_VOICE_QUEUE", "applicants")

INSTALLED_APPS += ["channels_ingest.conversation"]  # extends base.py's list in place
