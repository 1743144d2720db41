"""Decisions made before protected groups were stored, brought to what scoring stores now."""

from __future__ import annotations

from applicants.groups import protected_groups
from applicants.models import Application
from applicants.schema import get_schema
from scoring.models import Decision


def store_groups_then_forget_the_answers() -> int:
    """Store each decision's groups (formed from its applicant's answers on the decision's
    day, as scoring does), then empty the personal answers: a count that still finds the
    groups read the stored ones, not the answers. Returns how many decisions were updated."""
    schema = get_schema()
    decisions = list(Decision.objects.select_related("application"))
    for decision in decisions:
        groups = protected_groups(schema, decision.application.all_answers, decision.created_at.date())
        Decision.objects.filter(pk=decision.pk).update(protected_groups=groups)
    Application.objects.update(pii={})
    return len(decisions)
