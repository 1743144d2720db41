"""text/csv both ways, as the scorer and the endpoint speak it: one row per line, an empty
field is a missing value, the rows reach XGBoost as the float32 values the scorer holds, and
the scorer reads back the very probabilities XGBoost computed."""

from __future__ import annotations

import numpy as np
import pytest

from endpoint.container import ContainerError, encode_predictions, parse_rows
from scoring.sagemaker import encode_csv, parse_csv_predictions


def awkward_rows() -> np.ndarray:
    rng = np.random.default_rng(16)
    rows = (rng.normal(size=(300, 7)) * 10.0 ** rng.integers(-12, 12, size=(300, 7))).astype(np.float32)
    rows[rng.random(rows.shape) < 0.2] = np.nan
    rows[0, :] = np.nan  # a row with nothing known
    rows[1, :] = np.array([0.0, -0.0, 1.0, -1.0, 2**24, 0.1, np.inf], dtype=np.float32)
    rows[:, 0] = np.nan  # missing at the start of every line
    rows[2, -1] = np.nan  # and at the end of one
    return rows


def test_rows_reach_the_model_as_the_float32_values_sent():
    rows = awkward_rows()
    received = parse_rows(encode_csv(rows), "text/csv")
    assert received.dtype == np.float32 and received.shape == rows.shape
    # Bit for bit, missing values included (NaN == NaN here), and -0.0 stays -0.0.
    assert np.array_equal(received.view(np.uint32), rows.view(np.uint32))


def test_float64_rows_are_rounded_as_xgboost_rounds_them_in_process():
    rows = np.random.default_rng(3).normal(size=(50, 4)) * 1e3
    rows[5, 2] = np.nan
    received = parse_rows(encode_csv(rows), "text/csv")
    assert np.array_equal(received, rows.astype(np.float32), equal_nan=True)


def test_empty_fields_are_missing_and_blank_lines_are_skipped():
    received = parse_rows(b",2,\n\n 3 , ,4\r\n,,\n", "text/csv")
    expected = np.array([[np.nan, 2, np.nan], [3, np.nan, 4], [np.nan, np.nan, np.nan]], dtype=np.float32)
    assert np.array_equal(received, expected, equal_nan=True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"1,2\n3\n", "rows have different numbers of values"),
        (b"1,x\n", "Loading csv data failed: could not convert string to float: 'x'"),
        (b"1,2 3\n", "Loading csv data failed: could not convert string to float: '2 3'"),
        (b"\xff,1\n", "Loading csv data failed"),
    ],
)
def test_rows_that_cannot_be_read_are_refused_with_415(body, message):
    with pytest.raises(ContainerError) as refused:
        parse_rows(body, "text/csv")
    assert refused.value.status == 415 and refused.value.message.startswith(message)


@pytest.mark.parametrize("shape", [(200, 3), (200,), (1, 3), (7, 1)])
def test_the_scorer_reads_back_the_very_probabilities_computed(shape):
    predictions = np.random.default_rng(7).random(shape).astype(np.float32)
    predictions.flat[:2] = [0.0, 1.0]
    answer, content_type = encode_predictions(predictions, "text/csv")
    assert content_type == "text/csv" and answer.count(b"\n") == shape[0]
    read = parse_csv_predictions(answer, shape[0])
    assert read.shape == (shape[0], 1 if len(shape) == 1 else shape[1])
    assert np.array_equal(read.ravel(), predictions.astype(np.float64).ravel())
