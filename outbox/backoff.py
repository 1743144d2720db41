"""The one backoff formula: exponential with full jitter and a cap.

Every delay the platform computes before trying again (an outbox message, a job, a scoring
request, a throttled DynamoDB batch) comes from here, so there is one curve to reason about.
Full jitter (a uniform draw between 0 and the exponential ceiling) spreads many failures that
happened together over the whole window, so they do not come back together.
"""

from __future__ import annotations

import datetime as dt
import random


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before try number `attempt + 1` (after `attempt` failures, >= 1):
    uniform in [0, min(cap, base * 2 ** (attempt - 1))]."""
    ceiling = min(cap, base * 2.0 ** max(attempt - 1, 0))
    return ceiling * (rng.random() if rng is not None else random.random())


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> dt.timedelta:
    return dt.timedelta(seconds=backoff_seconds(attempt, base=base, cap=cap, rng=rng))
