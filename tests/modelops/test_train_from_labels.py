from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from applicants.models import Application, Channel, Status
from applicants.schema import get_schema
from applicants.services import application_submit
from demo import synthetic
from modelops.datasets import NotEnoughData, assemble_training_set
from modelops.services import model_train_from_labels
from scoring.artifact_store import load_booster
from scoring.features import build_matrix
from scoring.models import TIERS, ModelStatus, ModelVersion, Target
from tests.modelops.history_files import write_history

pytestmark = pytest.mark.django_db


def label_applications(user, n: int, seed: int = 21) -> None:
    """n applications that auditors confirmed, labelled with the synthetic tiers."""
    answers, tiers = synthetic.generate(get_schema(), n, seed=seed)
    for i, (row, tier) in enumerate(zip(answers, tiers, strict=True)):
        application = application_submit(
            answers=row, channel=Channel.API, actor=user, idempotency_key=f"label-{seed}-{i}"
        ).application
        Application.objects.filter(pk=application.pk).update(
            status=Status.CONFIRMED, final_tier=TIERS[int(tier)], labelled_at=timezone.now()
        )


@pytest.fixture
def tier_history(tmp_path):
    call_command("import_history", str(write_history(tmp_path / "h.csv", get_schema(), 900)))


def test_training_uses_labels_and_history_split_by_time_and_reports_everything(tier_history, alice):
    label_applications(alice, 40)
    data = assemble_training_set(get_schema())
    assert data.counts == {"auditor labels": 40, "history rows": 900}
    assert list(data.times) == sorted(data.times)  # oldest first: the split is by time

    model = model_train_from_labels(trained_by=alice)
    assert model.status == ModelStatus.CANDIDATE and model.target == Target.TIERS
    assert model.training_source == "labels+history: 40 auditor labels, 900 history rows"
    metrics = model.metrics
    # Every row trains the model; the figures are out-of-fold over all of them, and the newest
    # 15 % are judged out-of-time by a fit on the rest.
    assert metrics["split"] == "5-fold stratified + out-of-time" and metrics["evaluation_rows"] == 940
    assert metrics["out_of_time"]["evaluation_rows"] == 141
    assert metrics["out_of_time"]["roc_auc_high_vs_rest"] > 0.8
    assert metrics["roc_auc_high_vs_rest"] > 0.8
    assert set(metrics["roc_auc_per_tier"]) == set(TIERS)
    assert set(metrics["per_tier"]["high"]) == {"precision", "recall", "rows"}
    assert np.array(metrics["confusion_matrix"]).sum() == 940
    assert (
        metrics["calibration"]["high"]["bins"]
        and 0 <= metrics["calibration"]["high"]["expected_calibration_error"] < 0.2
    )
    baseline = metrics["baseline_logistic_regression"]
    assert baseline["rows"] == 940 and baseline["roc_auc_high_vs_rest"] > 0.7
    assert "chosen by the same 5 folds" in baseline["model"]
    assert metrics["comparison_with_active"] == {"available": False, "reason": "no model is active"}
    assert model.trained_by == alice and len(model.training_data_fingerprint) == 64
    assert model.library_versions["xgboost"] and model.schema_hash == get_schema().source_hash


def test_same_data_and_seed_give_an_identical_model(tier_history):
    first = model_train_from_labels(seed=3)
    second = model_train_from_labels(seed=3)
    assert first.training_data_fingerprint == second.training_data_fingerprint
    rows = build_matrix(get_schema(), synthetic.generate(get_schema(), 200, seed=99)[0])
    assert np.array_equal(
        load_booster(first.artifact_uri).inplace_predict(rows),
        load_booster(second.artifact_uri).inplace_predict(rows),
    )


def test_the_active_model_is_measured_on_the_same_evaluation_rows(tier_history, active_model):
    model = model_train_from_labels()
    comparison = model.metrics["comparison_with_active"]
    assert comparison["available"] and comparison["version"] == active_model.version
    # On the newest rows, against this model's out-of-time figures for them.
    assert comparison["rows"] == model.metrics["out_of_time"]["evaluation_rows"]
    assert comparison["candidate"]["log_loss"] == pytest.approx(model.metrics["out_of_time"]["log_loss"])
    assert comparison["delta"]["log_loss"] == pytest.approx(
        comparison["candidate"]["log_loss"] - comparison["metrics"]["log_loss"], abs=1e-3
    )


def test_a_binary_history_trains_a_binary_model_cut_into_tiers(tmp_path, settings):
    settings.LIFECYCLE_IMBALANCE_SHARE = 0.3  # adverse is ~18% here: weight the classes
    path = write_history(tmp_path / "loans.csv", get_schema(), 900, binary=True)
    call_command("import_history", str(path), "--adverse-value", "defaulted")
    model = model_train_from_labels()
    assert model.target == Target.BINARY and model.class_labels == ["not_adverse", "adverse"]
    assert 0 < model.thresholds["elevated"] <= model.thresholds["high"] < 1
    assert len(model.params["class_weights"]) == 2
    metrics = model.metrics
    assert metrics["roc_auc_adverse"] > 0.75
    rates = [metrics["per_tier"][tier]["adverse_rate"] for tier in TIERS]
    assert rates[0] < rates[2]  # the high tier holds more defaults than the low one
    # Weighting shifts the booster's probabilities; the correction keeps them calibrated.
    assert metrics["calibration"]["adverse"]["expected_calibration_error"] < 0.1
    assert metrics["baseline_logistic_regression"]["target"] == "binary"


def test_too_little_data_is_refused_with_the_reason(alice, capsys):
    label_applications(alice, 5)
    with pytest.raises(NotEnoughData, match="only 5 labelled rows"):
        model_train_from_labels()
    with pytest.raises(CommandError, match="import a history with `import_history`"):
        call_command("train")


def test_the_train_command_prints_the_report_beside_the_baseline(tier_history, capsys):
    call_command("train")
    out = capsys.readouterr().out
    assert "log. reg." in out and "ROC AUC high vs rest" in out
    assert "calibration: expected calibration error" in out
    assert "is a candidate: an approver approves and activates it" in out


def test_the_time_boxed_search_prints_each_candidate_and_keeps_its_choice(tier_history, capsys):
    call_command("train", "--search-minutes", "0.05")
    out = capsys.readouterr().out
    model = ModelVersion.objects.get()
    searched = model.params["searched"]
    assert searched["tried"] >= 1 and len(searched["scores"]) == searched["tried"]
    assert set(searched["chosen"]) == {"max_depth", "min_child_weight", "eta", "trees", "log_loss"}
    assert model.params["max_depth"] == searched["chosen"]["max_depth"]
    assert out.count("cross-validated log loss") >= searched["tried"]
    assert "search: " in out and "chosen max_depth" in out
