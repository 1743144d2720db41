"""Settings of governance (app `governance`): decision replay and the evidence gates a
candidate model passes before approval. Imported at the end of base.py. See
docs/model-lifecycle.md ("Replay and the approval gates")."""

from __future__ import annotations

from config.env import env_bool, env_float, env_int, env_str
from config.settings.base import VAR_DIR

__all__ = [
    "GOVERNANCE_FAIRNESS_MIN_GROUP",
    "GOVERNANCE_GATES_ENABLED",
    "GOVERNANCE_IMPACT_RATIO_MIN",
    "GOVERNANCE_JUSTIFICATION_MIN_CHARS",
    "GOVERNANCE_METRIC_MAX_DROP",
    "GOVERNANCE_REPLAY_CHUNK_SIZE",
    "GOVERNANCE_REPLAY_MAX_AGE_DAYS",
    "GOVERNANCE_REPLAY_STORAGE_URL",
    "GOVERNANCE_REPLAY_WINDOW_DAYS",
    "GOVERNANCE_SHADOW_MIN_AGREEMENT",
    "GOVERNANCE_SHADOW_MIN_DECISIONS",
]

# The server refuses approval when a gate fails. Off only for set-ups that approve without
# evidence on purpose (a few old tests that check other rules of approval say so).
GOVERNANCE_GATES_ENABLED = env_bool("GOVERNANCE_GATES_ENABLED", True)

# Fairness gate: the adverse impact ratio of every group large enough to judge (four-fifths
# rule), or an approver's written justification of at least this many characters.
GOVERNANCE_IMPACT_RATIO_MIN = env_float("GOVERNANCE_IMPACT_RATIO_MIN", 0.8)
GOVERNANCE_FAIRNESS_MIN_GROUP = env_int("GOVERNANCE_FAIRNESS_MIN_GROUP", 30)
GOVERNANCE_JUSTIFICATION_MIN_CHARS = env_int("GOVERNANCE_JUSTIFICATION_MIN_CHARS", 20)

# Metrics gate: on the same evaluation rows, ROC AUC (high vs rest) at most this far under the
# active model's.
GOVERNANCE_METRIC_MAX_DROP = env_float("GOVERNANCE_METRIC_MAX_DROP", 0.02)

# Replay gate: a replay of the last WINDOW days, finished at most MAX_AGE days before approval.
GOVERNANCE_REPLAY_WINDOW_DAYS = env_int("GOVERNANCE_REPLAY_WINDOW_DAYS", 30, minimum=1)
GOVERNANCE_REPLAY_MAX_AGE_DAYS = env_int("GOVERNANCE_REPLAY_MAX_AGE_DAYS", 7, minimum=1)
GOVERNANCE_REPLAY_CHUNK_SIZE = env_int("GOVERNANCE_REPLAY_CHUNK_SIZE", 100_000, minimum=1)
# Where a replay's list of applications that move tier is kept (CSV per chunk).
GOVERNANCE_REPLAY_STORAGE_URL = env_str("GOVERNANCE_REPLAY_STORAGE_URL", f"file://{VAR_DIR / 'replays'}")

# Shadow gate (only where the candidate ran in shadow): at least this many shadow scores,
# agreeing with the active model's tier at least this often.
GOVERNANCE_SHADOW_MIN_DECISIONS = env_int("GOVERNANCE_SHADOW_MIN_DECISIONS", 200, minimum=1)
GOVERNANCE_SHADOW_MIN_AGREEMENT = env_float("GOVERNANCE_SHADOW_MIN_AGREEMENT", 0.7)
