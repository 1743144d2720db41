"""Replay on constructed decisions: the migration matrix a candidate with known tiers must
give (overall, by channel, by age band), the review workload, the list of movers; and that a
replay writes no decision."""

from __future__ import annotations

import csv
import io
import uuid

import numpy as np
import pytest

from accounts.roles import Role
from applicants.models import Application, Channel
from applicants.schema import get_schema
from applicants.services import application_submit
from demo import synthetic
from governance.models import ReplayStatus
from governance.replay import (
    ReplayError,
    _load,
    replay_list_csv,
    replay_run_inline,
    replay_start,
    replay_window,
)
from scoring.features import build_matrix
from scoring.models import Decision
from scoring.services import score_waiting_applications
from tests.governance.conftest import ALL_HIGH, ALL_LOW, OLD, YOUNG, register
from tests.monitoring.groups_helpers import store_groups_then_forget_the_answers

pytestmark = pytest.mark.django_db

# Stored tiers, channels and ages chosen by the test: (tier, channel, dob) per decision.
LAYOUT = (
    [("low", "api", YOUNG)] * 3
    + [("low", "web", OLD)] * 2
    + [("medium", "api", OLD)] * 4
    + [("high", "web", YOUNG)] * 2
    + [("high", "mail", OLD)]
)


@pytest.fixture
def stored(active_model, make_decisions, feature_rows):
    _, matrix = feature_rows
    rows = [
        {"row": matrix[i], "tier": tier, "channel": channel, "dob": dob}
        for i, (tier, channel, dob) in enumerate(LAYOUT)
    ]
    # Outside the period, or of another day: not replayed.
    rows.append({"row": matrix[20], "tier": "low", "channel": "api", "dob": OLD, "days_ago": 90})
    return make_decisions(active_model, rows)


def _snapshot() -> list[tuple]:
    return list(Decision.objects.order_by("pk").values_list("pk", "tier", "is_current", "model_version_id"))


def test_a_candidate_that_says_high_to_everyone_moves_each_stored_tier_to_high(stored, trained_default):
    candidate = register(trained_default, thresholds=ALL_HIGH)
    before = _snapshot()
    since, until = replay_window(30)
    run = replay_run_inline(
        replay_start(model=candidate, since=since, until=until, chunk_size=5, dispatch=False)
    )

    assert run.status == ReplayStatus.FINISHED and run.chunks.count() == 3
    assert (run.total, run.processed, run.moved) == (12, 12, 9)  # 5 low + 4 medium move; 3 high stay
    results = run.results
    assert results["overall"] == [0, 0, 5, 0, 0, 4, 0, 0, 3]
    assert results["channel"] == {
        "api": [0, 0, 3, 0, 0, 4, 0, 0, 0],
        "mail": [0, 0, 0, 0, 0, 0, 0, 0, 1],
        "web": [0, 0, 2, 0, 0, 0, 0, 0, 2],
    }
    assert results["groups"] == {
        "age_years": {"25-34": [0, 0, 3, 0, 0, 0, 0, 0, 2], "65+": [0, 0, 2, 0, 0, 4, 0, 0, 1]}
    }
    # Review: medium and high always, low at the sample rate; all high afterwards.
    review = results["review"]
    rate = candidate.review_policy["low_sample_rate"]
    assert review["routed"] == 7
    assert review["expected_before"] == pytest.approx(7 + 5 * rate, abs=0.1)
    assert review["expected_after"] == 12
    assert review["stored_per_tier"] == [5, 4, 3] and review["replayed_per_tier"] == [0, 0, 12]
    # Nothing was written to the decisions.
    assert _snapshot() == before


def test_groups_stored_with_the_decisions_count_as_the_groups_formed_from_the_answers(
    stored, trained_default
):
    """Decisions store their protected groups (scoring does); replay counts those instead of
    decrypting dates of birth, and they give the same matrix as the answers did."""
    candidate = register(trained_default, thresholds=ALL_HIGH)
    since, until = replay_window(30)
    from_answers = replay_run_inline(replay_start(model=candidate, since=since, until=until, dispatch=False))
    assert store_groups_then_forget_the_answers() == len(stored)
    from_stored = replay_run_inline(replay_start(model=candidate, since=since, until=until, dispatch=False))
    assert from_stored.results["groups"] == from_answers.results["groups"]
    assert "unknown" not in from_stored.results["groups"]["age_years"]


def test_the_movers_list_names_each_application_that_moves(stored, trained_default):
    candidate = register(trained_default, thresholds=ALL_LOW)
    since, until = replay_window(30)
    run = replay_run_inline(
        replay_start(model=candidate, since=since, until=until, chunk_size=4, dispatch=False)
    )
    assert run.results["overall"] == [5, 0, 0, 4, 0, 0, 3, 0, 0]
    rows = list(csv.reader(io.StringIO("".join(replay_list_csv(run)))))
    header, movers = rows[0], rows[1:]
    assert header[:6] == [
        "application_id",
        "decision_id",
        "channel",
        "decided_at",
        "stored_tier",
        "replayed_tier",
    ]
    moved = {str(d.application_id) for d in stored if d.tier != "low" and d.created_at}
    assert {r[0] for r in movers} == moved and len(movers) == 7
    assert {r[5] for r in movers} == {"low"} and {r[4] for r in movers} == {"medium", "high"}


def test_a_channel_and_a_period_narrow_the_replay(stored, trained_default):
    candidate = register(trained_default, thresholds=ALL_HIGH)
    since, until = replay_window(30)
    run = replay_run_inline(
        replay_start(model=candidate, since=since, until=until, channel="web", dispatch=False)
    )
    assert run.total == 4 and run.results["overall"] == [0, 0, 2, 0, 0, 0, 0, 0, 2]
    since, until = replay_window(120)
    assert (
        replay_run_inline(replay_start(model=candidate, since=since, until=until, dispatch=False)).total == 13
    )


def test_replaying_the_deciding_model_over_its_own_frozen_rows_moves_nobody(
    active_model, alice, trained_default
):
    """The stored feature rows (snapshots, read in SQL) are the rows the model scored: the same
    model with the same thresholds gives every decision its own tier again."""
    answers, _ = synthetic.generate(get_schema(), 40, seed=31)
    for i, row in enumerate(answers):
        application_submit(
            answers=row, channel=Channel.WEB if i % 2 else Channel.API, actor=alice, idempotency_key=f"g{i}"
        )
    while score_waiting_applications(limit=50).scored:
        pass
    assert Decision.objects.filter(is_current=True).count() == 40
    before = _snapshot()
    since, until = replay_window(30)
    run = replay_run_inline(replay_start(model=active_model, since=since, until=until, dispatch=False))
    cells = run.results["overall"]
    assert run.total == 40 and run.moved == 0
    assert [cells[0], cells[4], cells[8]] == [
        Decision.objects.filter(tier=t).count() for t in ("low", "medium", "high")
    ]
    assert sum(sum(c) for c in run.results["groups"]["age_years"].values()) == 40
    assert _snapshot() == before and Application.objects.count() == 40


def test_replay_reads_the_stored_model_rows_and_rebuilds_the_same_from_snapshots(
    active_model, alice, trained_default
):
    """Decisions store the row the model scored; replay reads it as it is, and for decisions
    without one rebuilds it from the snapshot: the same row (the snapshot rounds to 6 places)."""
    answers, _ = synthetic.generate(get_schema(), 30, seed=32)
    for i, row in enumerate(answers):
        application_submit(answers=row, channel=Channel.API, actor=alice, idempotency_key=f"r{i}")
    while score_waiting_applications(limit=50).scored:
        pass
    since, until = replay_window(30)
    run = replay_start(model=active_model, since=since, until=until, dispatch=False)
    chunk = run.chunks.get()
    stored = _load(get_schema(), run, chunk)
    by_application = {str(a.pk): a for a in Application.objects.all()}
    scored = build_matrix(
        get_schema(), [by_application[str(uuid.UUID(bytes=bytes(x)))].answers for x in stored["application"]]
    )
    np.testing.assert_array_equal(stored["matrix"], scored)  # exactly the row scored
    # Half made before rows were stored, half under a schema with its choices in another
    # order (another spec in the row's tag): both rebuilt from their snapshots.
    decisions = list(Decision.objects.order_by("pk"))
    Decision.objects.filter(pk__in=[d.pk for d in decisions[::2]]).update(feature_row=None)
    for d in decisions[1::2]:
        assert d.feature_row is not None
        Decision.objects.filter(pk=d.pk).update(feature_row=b"\0" * 8 + bytes(d.feature_row)[8:])
    rebuilt = _load(get_schema(), run, chunk)
    np.testing.assert_allclose(rebuilt["matrix"], stored["matrix"], rtol=1e-6, atol=1e-6)
    assert np.isnan(rebuilt["matrix"]).sum() == np.isnan(scored).sum()


def test_a_replay_refuses_a_period_that_ends_before_it_starts(active_model, make_user):
    since, until = replay_window(30)
    with pytest.raises(ReplayError, match="start must come before"):
        replay_start(model=active_model, since=until, until=since, started_by=make_user("tom", Role.ANALYST))
    with pytest.raises(ReplayError, match="unknown channel"):
        replay_start(model=active_model, since=since, until=until, channel="pigeon")


def test_age_bands_for_a_whole_chunk_match_monitorings_one_by_one(settings):
    """The replay bands ages with NumPy; monitoring (whose groups it reuses) one at a time."""
    import datetime as dt

    import numpy as np

    from applicants.groups import UNKNOWN, age_band
    from applicants.validation import age_on
    from governance.replay import age_groups

    rng = np.random.default_rng(1)
    born = [dt.date(1930, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 31000, 3000)]
    on = [dt.date(2026, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 366, 3000)]
    born += [dt.date(2000, 2, 29), dt.date(2000, 3, 1), dt.date(2008, 6, 2)]  # leap day, birthdays
    on += [dt.date(2026, 2, 28), dt.date(2025, 3, 1), dt.date(2026, 6, 1)]
    values = [b.isoformat() for b in born] + [None, "not a date"]
    on += [dt.date(2026, 1, 1)] * 2
    names, codes = age_groups(values, np.array(on, dtype="datetime64[D]"))
    bands = settings.MONITORING_AGE_BANDS
    expected = [age_band(age_on(b, o), bands) for b, o in zip(born, on, strict=False)] + [UNKNOWN, UNKNOWN]
    assert [names[c] for c in codes] == expected
    assert "under 18" in names and "65+" in names
