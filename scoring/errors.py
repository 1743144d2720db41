"""The one error a scorer raises."""

from __future__ import annotations


class ScoringError(Exception):
    """Scoring failed; `permanent` says whether trying again could help (a 4xx from the
    endpoint is permanent, 5xx and time-outs are not)."""

    def __init__(self, message: str, *, permanent: bool):
        self.permanent = permanent
        super().__init__(message)
