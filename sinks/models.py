from __future__ import annotations

from django.db import models


class DrainRequest(models.Model):
    """Whether a drain of a sink is already asked for and not yet started.

    Every committed decision asks for a drain; while one is queued, further asks are
    skipped (a conditional UPDATE: only the ask that changes the row publishes), so a busy
    worker finds one drain waiting, with all the work committed meanwhile, instead of one
    drain per scoring batch. A drain clears the row when it starts, before it claims.
    """

    sink = models.CharField(max_length=40, primary_key=True)
    asked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"drain of {self.sink} ({'asked' if self.asked_at else 'idle'})"
