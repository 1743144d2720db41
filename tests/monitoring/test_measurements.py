"""Each measurement on constructed data whose right answer is known."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy.stats import norm

from applicants.groups import age_band
from monitoring import psi, selectors
from monitoring.agreement import cohen_kappa
from monitoring.models import ALL_CHANNELS, SCORE, DriftDaily, FairnessDaily, ModelBaseline, QualityWeekly
from monitoring.services.fairness import rollup_fairness
from monitoring.services.labels import rollup_labels
from monitoring.services.quality import quality_figures, review_probability, rollup_quality
from monitoring.services.rollups import rollup_drift_and_volume
from tests.monitoring.groups_helpers import store_groups_then_forget_the_answers

DAY = dt.date(2026, 3, 4)  # a Wednesday
pytestmark = pytest.mark.django_db


# --- drift ----------------------------------------------------------------------------------


def test_psi_of_a_half_sigma_shift_matches_the_normal_distribution() -> None:
    """Deciles of N(0, 1) as the baseline, N(0.5, 1) today: PSI from the exact bin shares."""
    rng = np.random.default_rng(3)
    baseline = rng.normal(0, 1, 200_000)
    edges = psi.numeric_edges(baseline, 10)
    expected = psi.shares(psi.numeric_counts(baseline, edges))
    current = psi.numeric_counts(rng.normal(0.5, 1, 200_000), edges)
    cuts = np.concatenate([[-np.inf], edges, [np.inf]])
    exact_actual = np.diff(norm.cdf(cuts - 0.5))
    exact = float(np.sum((exact_actual - 0.1) * np.log(exact_actual / 0.1)))
    assert psi.psi(expected, current) == pytest.approx(exact, abs=0.01)
    assert 0.2 < exact < 0.3  # between watch and act for a half-sigma shift
    assert psi.psi(expected, psi.numeric_counts(rng.normal(0, 1, 200_000), edges)) < 0.01


def test_missing_and_unknown_choices_have_their_own_bin() -> None:
    assert psi.choice_counts(["a", "b", None, "zzz", "a"], ["a", "b"]) == [2, 1, 2]
    assert psi.numeric_counts(np.array([0.5, 1.0, 1.5, np.nan]), [1.0]) == [2, 1, 1]


def test_drift_rollup_gives_the_expected_psi_per_feature_channel_and_score(
    active_model, make_decisions, settings
) -> None:
    settings.MONITORING_PSI_MIN_ROWS = 30
    """A baseline of 50/50 on `x`; today api shifts to 80/20, the web form stays 50/50."""
    ModelBaseline.objects.create(
        model_version=active_model,
        rows=1000,
        bins={
            "x": {"kind": "numeric", "edges": [1.0], "shares": [0.5, 0.5, 0.0]},
            "colour": {"kind": "choice", "categories": ["red", "blue"], "shares": [0.5, 0.5, 0.0]},
            SCORE: {"kind": "numeric", "edges": [0.5], "shares": [0.9, 0.1, 0.0]},
        },
    )
    rows = (
        [{"day": DAY, "channel": "api", "snapshot": {"x": 0.5, "colour": "red"}}] * 80
        + [{"day": DAY, "channel": "api", "snapshot": {"x": 2.0, "colour": "blue"}}] * 20
        + [{"day": DAY, "channel": "webform", "snapshot": {"x": 0.5, "colour": "red"}}] * 50
        + [{"day": DAY, "channel": "webform", "snapshot": {"x": 2.0, "colour": "blue"}}] * 50
    )
    make_decisions(active_model, rows)
    assert rollup_drift_and_volume(DAY)["decisions"] == 200

    def expected(a: float, e: float) -> float:
        return (a - e) * math.log(a / e) + (e - a) * math.log((1 - a) / (1 - e))

    got = {(r.channel, r.feature): r.psi for r in DriftDaily.objects.filter(day=DAY)}
    assert got[("api", "x")] == pytest.approx(expected(0.8, 0.5), abs=1e-3)  # 0.416: act
    assert got[("webform", "x")] == pytest.approx(0.0, abs=1e-3)
    assert got[(ALL_CHANNELS, "x")] == pytest.approx(expected(0.65, 0.5), abs=1e-3)
    assert got[("api", "colour")] == pytest.approx(got[("api", "x")], abs=1e-6)
    # every score is 0.1, under the 0.5 edge: 100% against the baseline's 90%
    assert got[(ALL_CHANNELS, SCORE)] == pytest.approx(
        (1 - 0.9) * math.log(1 / 0.9) + (psi.EPSILON - 0.1) * math.log(psi.EPSILON / 0.1), abs=1e-3
    )
    grid = selectors.drift_grid(DAY, DAY, channel="api")
    assert grid["features"][0] == SCORE and grid["latest"]["x"] > 0.25


def test_a_day_with_too_few_rows_has_no_psi(active_model, make_decisions, settings) -> None:
    settings.MONITORING_PSI_MIN_ROWS = 30
    ModelBaseline.objects.create(
        model_version=active_model,
        rows=10,
        bins={"x": {"kind": "numeric", "edges": [1.0], "shares": [0.5, 0.5, 0.0]}},
    )
    make_decisions(active_model, [{"day": DAY, "snapshot": {"x": 5.0}}] * 5)
    rollup_drift_and_volume(DAY)
    row = DriftDaily.objects.get(day=DAY, channel=ALL_CHANNELS, feature="x")
    assert row.psi is None and row.rows == 5 and row.counts == [0, 5, 0]


# --- quality with late labels ----------------------------------------------------------------


def _simulate(rng: np.random.Generator, n: int, policy: dict) -> dict:
    """A review policy on a known truth: the model is right 95% of the time on low, 60% on
    medium and high; medium and high always reviewed, low by the random share."""
    tiers = rng.choice(["low", "medium", "high"], size=n, p=[0.7, 0.2, 0.1])
    right = rng.random(n) < np.where(tiers == "low", 0.95, 0.6)
    others = {"low": "medium", "medium": "high", "high": "medium"}
    truth = np.where(right, tiers, [others[t] for t in tiers])
    p = np.array([review_probability(t, policy) for t in tiers])
    reviewed = rng.random(n) < p
    finals = [t if r else "" for t, r in zip(truth, reviewed, strict=True)]
    return {
        "tiers": list(tiers),
        "truth": truth,
        "finals": finals,
        "p": list(p),
        "prob_high": list(np.where(truth == "high", 0.6, 0.2) + rng.normal(0, 0.15, n)),
    }


def test_weighted_accuracy_recovers_the_truth_the_naive_one_misses() -> None:
    policy = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.1}
    sim = _simulate(np.random.default_rng(5), 20_000, policy)
    truth = float(np.mean(np.asarray(sim["tiers"]) == sim["truth"]))  # ≈ 0.845
    figures = quality_figures(sim["tiers"], sim["finals"], sim["prob_high"], sim["p"])
    assert figures["weighted_accuracy"] == pytest.approx(truth, abs=0.015)
    assert figures["naive_accuracy"] < truth - 0.12  # ≈ 0.67: the reviewed are the hard cases
    assert figures["labels"] == sum(1 for f in sim["finals"] if f)
    assert sum(map(sum, figures["confusion"])) == figures["labels"]
    assert figures["weighted_auc"] is not None and figures["naive_auc"] is not None


def test_weekly_quality_rollup_uses_the_versions_review_policy(active_model, make_decisions) -> None:
    active_model.review_policy = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.25}
    active_model.save()
    # 8 lows (2 labelled: 1 right, 1 wrong), 2 highs (both labelled, right)
    rows = (
        [{"day": DAY, "tier": "low"}] * 6
        + [
            {"day": DAY, "tier": "low", "final_tier": "low"},
            {"day": DAY, "tier": "low", "final_tier": "high"},
        ]
        + [{"day": DAY, "tier": "high", "prob_high": 0.9, "final_tier": "high"}] * 2
    )
    make_decisions(active_model, rows)
    rollup_quality(DAY - dt.timedelta(days=DAY.weekday()))
    row = QualityWeekly.objects.get(channel=ALL_CHANNELS)
    assert (row.decisions, row.labels, row.naive_accuracy) == (10, 4, 0.75)
    # weights: lows 4 each, highs 1: (4·1 + 4·0 + 1 + 1) / (4 + 4 + 1 + 1)
    assert row.weighted_accuracy == pytest.approx(0.6)
    assert row.confusion[0] == [1, 0, 1] and row.confusion[2] == [0, 0, 2]


def test_weighted_estimate_uses_the_probability_recorded_at_routing(active_model, make_decisions) -> None:
    """A simulated review policy whose low share changed mid-week (0.5, then 0.1): the labels
    are weighted by what each decision was routed with, so the weighted estimate recovers the
    truth over all decisions, which the naive one (and a weight from today's policy) misses."""
    rng = np.random.default_rng(11)
    active_model.review_policy = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.1}
    active_model.save()
    rows, right = [], []
    for i in range(3000):
        share = 0.5 if i < 1500 else 0.1
        tier = str(rng.choice(["low", "medium", "high"], p=[0.7, 0.2, 0.1]))
        ok = bool(rng.random() < (0.95 if tier == "low" else 0.6))
        # the early lows are the hard ones: a reweighting by today's share over-counts them
        if tier == "low" and i < 1500:
            ok = bool(rng.random() < 0.5)
        truth = tier if ok else {"low": "medium", "medium": "high", "high": "medium"}[tier]
        p = review_probability(tier, {"review_tiers": ["medium", "high"], "low_sample_rate": share})
        reviewed = bool(rng.random() < p)
        right.append(ok)
        rows.append(
            {
                "day": DAY,
                "tier": tier,
                "prob_high": 0.8 if tier == "high" else 0.1,
                "final_tier": truth if reviewed else "",
                "routed": reviewed,
                "review_probability": p,
            }
        )
    make_decisions(active_model, rows)
    rollup_quality(DAY - dt.timedelta(days=DAY.weekday()))
    row = QualityWeekly.objects.get(channel=ALL_CHANNELS)
    true_accuracy = float(np.mean(right))
    assert row.weighted_accuracy == pytest.approx(true_accuracy, abs=0.03)
    assert row.naive_accuracy < true_accuracy - 0.08
    from scoring.models import Decision

    # the same labels weighted by the policy as it is now miss the truth
    Decision.objects.update(review_probability=None)
    rollup_quality(DAY - dt.timedelta(days=DAY.weekday()))
    fallback = QualityWeekly.objects.get(channel=ALL_CHANNELS).weighted_accuracy
    assert abs(fallback - true_accuracy) > 0.03


def test_review_probability_matches_the_routing_draw() -> None:
    from scoring.policy import review_route

    policy = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.2}
    routed = np.mean([review_route(f"app-{i}", "low", policy)[0] for i in range(20_000)])
    assert routed == pytest.approx(review_probability("low", policy), abs=0.01)
    assert review_probability("high", policy) == review_probability("medium", policy) == 1.0
    assert review_probability("low", {"low_sample_rate": 7}) == 1.0  # a share is clamped to [0, 1]


# --- fairness -------------------------------------------------------------------------------


def test_age_bands() -> None:
    bands = [18, 25, 35, 50, 65]
    assert [age_band(a, bands) for a in (17, 18, 24, 25, 64, 65, 90, None)] == [
        "under 18",
        "18-24",
        "18-24",
        "25-34",
        "50-64",
        "65+",
        "65+",
        "unknown",
    ]


def test_a_skewed_group_gives_the_expected_impact_ratio(active_model, make_decisions, settings) -> None:
    settings.MONITORING_FAIRNESS_MIN_GROUP = 30
    young, older, tiny = "1996-06-01", "1971-06-01", "2006-01-01"  # 29, 54, 20 on DAY
    rows = (
        [{"day": DAY, "dob": young, "tier": "low"}] * 160
        + [{"day": DAY, "dob": young, "tier": "high"}] * 40
        + [{"day": DAY, "dob": older, "tier": "low"}] * 100
        + [{"day": DAY, "dob": older, "tier": "medium", "final_tier": "low"}] * 100
        + [{"day": DAY, "dob": tiny, "tier": "high"}] * 5
    )
    make_decisions(active_model, rows)
    rollup_fairness(DAY)
    assert FairnessDaily.objects.get(attribute="age_years", group="50-64").overridden == 100
    (age,) = selectors.fairness(DAY, DAY)
    groups = {g["group"]: g for g in age["groups"]}
    assert groups["25-34"]["reference"] and groups["25-34"]["ratio"] == pytest.approx(1.0)
    older_group = groups["50-64"]
    assert older_group["ratio"] == pytest.approx(0.5 / 0.8)
    se = math.sqrt(0.5 / (200 * 0.5) + 0.2 / (200 * 0.8))
    assert older_group["ratio_low"] == pytest.approx(0.625 * math.exp(-1.959964 * se))
    assert older_group["ratio_high"] == pytest.approx(0.625 * math.exp(1.959964 * se))
    assert older_group["adverse"] and older_group["override_rate"] == 1.0
    assert groups["18-24"]["too_small"] and groups["18-24"]["rate"] is None
    assert groups["18-24"]["ratio"] is None and not groups["18-24"]["adverse"]


def test_fairness_counts_the_groups_stored_with_the_decisions(active_model, make_decisions) -> None:
    older, young = "1970-01-01", "1995-01-01"
    rows = [{"day": DAY, "dob": older, "tier": "medium"}] * 3 + [
        {"day": DAY, "dob": young, "tier": "low"}
    ] * 2
    make_decisions(active_model, rows)
    rollup_fairness(DAY)
    from_answers = sorted(FairnessDaily.objects.values_list("attribute", "group", "decisions", "favourable"))
    store_groups_then_forget_the_answers()
    rollup_fairness(DAY)
    from_stored = sorted(FairnessDaily.objects.values_list("attribute", "group", "decisions", "favourable"))
    assert from_stored == from_answers == [("age_years", "25-34", 2, 2), ("age_years", "50-64", 3, 0)]


# --- label quality --------------------------------------------------------------------------


def test_cohen_kappa_known_tables() -> None:
    assert cohen_kappa([[10, 0, 0], [0, 10, 0], [0, 0, 10]]) == 1.0
    # the textbook 2x2 example (padded): po = 0.7, pe = 0.5 → 0.4
    assert cohen_kappa([[20, 5, 0], [10, 15, 0], [0, 0, 0]]) == pytest.approx(0.4)
    assert cohen_kappa([[0] * 3] * 3) is None


def test_auditor_rollup_agreement_blind_dwell_and_pairs(active_model, make_decisions, make_review) -> None:
    decisions = make_decisions(active_model, [{"day": DAY, "tier": "medium"}] * 10)
    for d in decisions[:8]:  # a rubber stamp: two seconds, always agrees, half blind
        make_review(d, "stamp", "medium", seconds=2, blind=decisions.index(d) % 2 == 0, day=DAY)
    for i, d in enumerate(decisions[:4]):  # a careful auditor labels 4 of them again
        make_review(d, "care", "high" if i < 2 else "medium", seconds=60, day=DAY, status="rejected", hour=15)
    rollup_labels(DAY)
    table = selectors.auditors(DAY, DAY)
    by = {a["auditor_label"]: a for a in table["auditors"]}
    assert by["stamp"]["agreement"] == 1.0 and by["stamp"]["rubber_stamp"]
    assert by["stamp"]["blind_agreement"] == 1.0 and by["stamp"]["shown_agreement"] == 1.0
    assert by["care"]["override_rate"] == 0.5 and not by["care"]["rubber_stamp"]
    assert by["care"]["mean_dwell"] == 60
    (pair,) = table["pairs"]
    assert (pair["first"], pair["second"], pair["items"]) == ("care", "stamp", 4)
    # care: high, high, medium, medium; stamp: medium x4 → po 0.5, pe 0.5 → kappa 0
    assert pair["kappa"] == pytest.approx(0.0)


def test_an_independent_second_label_is_paired_with_the_label_that_took_effect(
    active_model, make_decisions, make_review
) -> None:
    # Four eyes refused ann's high → low; bob's label took effect; cleo gave the independent
    # second label. The pair is bob and cleo, not the refused proposal.
    (decision,) = make_decisions(active_model, [{"day": DAY, "tier": "high"}])
    make_review(decision, "ann", "low", day=DAY, status="rejected", hour=9)
    make_review(decision, "bob", "high", day=DAY, hour=10)
    make_review(decision, "cleo", "medium", day=DAY, hour=11, independent=True)
    rollup_labels(DAY)
    (pair,) = selectors.auditors(DAY, DAY)["pairs"]
    assert (pair["first"], pair["second"], pair["items"]) == ("bob", "cleo", 1)
