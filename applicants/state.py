"""The application's life, as an explicit state machine.

    received ─► scoring ─► scored ─► in_review ─► confirmed
        │          │  ▲        (low, not sampled: stays scored)  └─► overridden
        │          ▼  │
        └────────► failed (with a reason; an operator may send it back to received)

scoring ─► received is the release of a claim after a transient failure or a lost worker.
"""

from __future__ import annotations

from applicants.models import Status

ALLOWED: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.SCORING, Status.FAILED}),
    Status.SCORING: frozenset({Status.SCORED, Status.RECEIVED, Status.FAILED}),
    Status.SCORED: frozenset({Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.CONFIRMED, Status.OVERRIDDEN}),
    Status.CONFIRMED: frozenset(),
    Status.OVERRIDDEN: frozenset(),
    Status.FAILED: frozenset({Status.RECEIVED}),
}


class IllegalTransition(Exception):
    def __init__(self, current: str, target: str):
        self.current, self.target = current, target
        super().__init__(f"an application cannot go from {current} to {target}")


def check_transition(current: str, target: str) -> None:
    if target not in ALLOWED[current]:
        raise IllegalTransition(current, target)
