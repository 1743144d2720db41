"""Are the default hyperparameters robust? Our defaults against XGBoost's library defaults and
a logistic regression, on the same time-ordered split, across the data sizes lenders have
(hundreds to tens of thousands of rows), for tiers and for a binary outcome (~18% adverse).

Each figure is the mean over three synthetic data sets (different seeds) of the evaluation
rows' ROC AUC (riskiest class vs the rest) and log loss. Demo data: it shows the method and
the shape of the result, not a claim about anyone's real applicants.

Run from the repo root: .venv/bin/python bench/bench_lifecycle_training.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import os
import time

import numpy as np
from _common import Report, log, quick

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from applicants.schema import get_schema  # noqa: E402
from demo import synthetic  # noqa: E402
from modelops.baseline import baseline_metrics  # noqa: E402
from modelops.training import fit, search_params, split_by_time  # noqa: E402
from scoring.features import build_matrix  # noqa: E402
from scoring.models import Target  # noqa: E402

SIZES = [300, 2000] if quick() else [300, 1000, 5000, 20000]
SEEDS = [1, 2] if quick() else [1, 2, 3]
LIBRARY_DEFAULTS = {
    "max_depth": 6,
    "eta": 0.3,
    "min_child_weight": 1,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
    "lambda": 1.0,
}


def data(n: int, seed: int, target: str) -> tuple[np.ndarray, np.ndarray]:
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, n, seed=seed)
    if target == Target.BINARY:
        rng = np.random.default_rng(seed)
        labels = ((tiers == 2) | ((tiers == 1) & (rng.random(n) < 0.2))).astype(np.int32)
    else:
        labels = tiers
    return build_matrix(schema, answers), labels


def main() -> None:
    report = Report()
    schema = get_schema()
    choices = [i for i, f in enumerate(schema.features) if f.kind == "choice"]
    for target in (Target.TIERS, Target.BINARY):
        report.section(f"target: {target} (ROC AUC / log loss on the newest 15%, mean of {len(SEEDS)} seeds)")
        for n in SIZES:
            figures: dict[str, list[tuple[float, float]]] = {
                "ours": [],
                "search": [],
                "library": [],
                "logistic": [],
            }
            seconds = []
            for seed in SEEDS:
                matrix, labels = data(n, seed, target)
                split = split_by_time(np.arange(n))  # rows in generated order stand for time
                began = time.perf_counter()
                ours = fit(
                    matrix,
                    labels,
                    feature_names=list(schema.feature_names),
                    seed=seed,
                    nthread=2,
                    target=target,
                    split=split,
                )
                seconds.append(time.perf_counter() - began)
                library = fit(
                    matrix,
                    labels,
                    feature_names=list(schema.feature_names),
                    seed=seed,
                    nthread=2,
                    target=target,
                    split=split,
                    params=LIBRARY_DEFAULTS,
                )
                searched = search_params(
                    matrix, labels, split, target=target, seed=seed, nthread=2, seconds=10 if quick() else 20
                )
                tuned = fit(
                    matrix,
                    labels,
                    feature_names=list(schema.feature_names),
                    seed=seed,
                    nthread=2,
                    target=target,
                    split=split,
                    params=searched["params"],
                )
                baseline = baseline_metrics(
                    matrix,
                    labels,
                    split,
                    target=target,
                    thresholds=ours.thresholds,
                    class_weights=None,
                    choice_columns=choices,
                )
                for name, metrics in (
                    ("ours", ours.metrics),
                    ("search", tuned.metrics),
                    ("library", library.metrics),
                    ("logistic", baseline),
                ):
                    figures[name].append((metrics["roc_auc_high_vs_rest"], metrics["log_loss"]))
            log(f"{target} n={n:,} done")
            for name, label in (
                ("ours", "our defaults"),
                ("search", "train --search (time-boxed CV)"),
                ("library", "XGBoost library defaults"),
                ("logistic", "logistic regression"),
            ):
                auc, loss = np.mean(figures[name], axis=0)
                report.record(
                    f"n={n:>6,}  {label}: ROC AUC",
                    auc,
                    "",
                    f"log loss {loss:.3f}"
                    + (f", trains in {np.mean(seconds):.2f} s" if name == "ours" else ""),
                )
    report.print_table("Training defaults against library defaults and a logistic regression")


if __name__ == "__main__":
    main()
