"""Score a model.tar.gz the way SageMaker's built-in XGBoost container does, under whatever
XGBoost the running interpreter has (run by another environment's Python, see
tests/plugins/xgboost_envs.py; stdlib, NumPy and XGBoost only).

    python sagemaker_container.py MODEL_TAR_GZ < rows.csv > answer.json

The steps follow aws/sagemaker-xgboost-container (algorithm_mode/serve_utils.py and
encoder.py): the archive is unpacked into the model directory, the first file found there is
loaded with `Booster.load_model` and set to one thread, the text/csv body becomes a DMatrix
through a float array (empty fields are NaN), and `predict` runs with
`validate_features=False` (with `ntree_limit` before XGBoost 2, `iteration_range` after).
The container first tries `pickle.load` on the file; ours is UBJSON, which pickle refuses,
so that step is left out. Also answers `pred_contribs` on the same matrix, which the
container does not serve but our reasons rely on.
"""

from __future__ import annotations

import csv
import inspect
import json
import os
import sys
import tarfile
import tempfile

import numpy as np
import xgboost as xgb


def _clean_csv_string(csv_string: str, delimiter: str) -> list[str]:
    return ["nan" if x == "" else x for x in csv_string.split(delimiter)]


def csv_to_dmatrix(text: str, dtype: type = float) -> xgb.DMatrix:
    sniff_delimiter = csv.Sniffer().sniff(text.split("\n")[0][:512]).delimiter
    delimiter = "," if sniff_delimiter.isalnum() else sniff_delimiter
    rows = [_clean_csv_string(line, delimiter) for line in text.split("\n")]
    return xgb.DMatrix(np.array(rows).astype(dtype))


def get_loaded_booster(model_dir: str) -> xgb.Booster:
    paths = [
        os.path.join(model_dir, name)
        for name in os.listdir(model_dir)
        if os.path.isfile(os.path.join(model_dir, name)) and not name.startswith(".")
    ]
    booster = xgb.Booster()
    booster.load_model(paths[0])
    booster.set_param("nthread", 1)  # type: ignore[arg-type]  # (xgboost's hints say str; it takes any value)
    return booster


def predict_with_compat(booster: xgb.Booster, dtest: xgb.DMatrix) -> np.ndarray:
    best_iteration = getattr(booster, "best_ntree_limit", 0)
    best_iteration = int(best_iteration) if best_iteration is not None else 0
    if "ntree_limit" in inspect.signature(booster.predict).parameters:
        return booster.predict(dtest, ntree_limit=best_iteration, validate_features=False)
    if best_iteration > 0:
        return booster.predict(dtest, iteration_range=(0, best_iteration), validate_features=False)
    return booster.predict(dtest, validate_features=False)


def main(archive: str) -> None:
    body = sys.stdin.buffer.read()
    with tempfile.TemporaryDirectory() as model_dir:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(model_dir)  # noqa: S202 - our own archive, as SageMaker unpacks it
        booster = get_loaded_booster(model_dir)
    dtest = csv_to_dmatrix(body.strip().decode("utf-8"), dtype=float)
    predictions = predict_with_compat(booster, dtest)
    contributions = booster.predict(dtest, pred_contribs=True, validate_features=False)
    json.dump(
        {
            "xgboost": xgb.__version__,
            "predictions": np.asarray(predictions).tolist(),
            "contributions": np.asarray(contributions).tolist(),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
