"""Synthetic applicants for demos and tests. Demo data, not a claim about real risk.

The consumer-credit generator draws correlated, plausible applicants (age drives employment,
tenure, credit history and income; income drives housing, debts and the amount asked for)
and labels them the way a careful credit auditor might: a points score over affordability,
recent late payments, credit history and stability, plus an unobserved "circumstances"
factor and some disagreement between auditors, cut into tiers (about 60% low, 28% medium,
12% high). Any other schema gets the generic generator, driven by `synthetic:` hints next
to its fields (ranges, distributions, risk weights).

Both are deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from applicants.schema import ApplicationSchema, Field

TIER_SHARES = (0.60, 0.28, 0.12)  # low, medium, high

_FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Priya",
    "Chen",
    "Maria",
    "Tom",
    "Aisha",
    "Luca",
    "Nora",
    "Omar",
    "Ewa",
    "Kofi",
    "Ines",
    "Ravi",
    "Hana",
    "Jon",
    "Zoe",
    "Malik",
    "Freya",
]
_LAST = [
    "Smith",
    "Okafor",
    "Nowak",
    "Garcia",
    "Lee",
    "Patel",
    "Brown",
    "Rossi",
    "Khan",
    "Jensen",
    "Silva",
    "Murphy",
    "Cohen",
    "Ivanova",
    "Tanaka",
    "Dubois",
    "Ali",
    "Evans",
]


def generate(
    schema: ApplicationSchema, n: int, *, seed: int = 7, today: dt.date | None = None
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """n applications (full answers, valid for the schema) and their tiers (0 low, 1, 2 high)."""
    rng = np.random.default_rng(seed)
    today = today or dt.date.today()
    generator = _GENERATORS.get(schema.name, _generic)
    return generator(schema, n, rng, today)


def _tiers_from_score(score: np.ndarray) -> np.ndarray:
    cuts = np.quantile(score, [TIER_SHARES[0], TIER_SHARES[0] + TIER_SHARES[1]])
    return np.digitize(score, cuts).astype(np.int32)


def _personal(i: int, rng: np.random.Generator, age: float, today: dt.date) -> dict[str, Any]:
    first, last = _FIRST[int(rng.integers(len(_FIRST)))], _LAST[int(rng.integers(len(_LAST)))]
    born = today - dt.timedelta(days=int(age * 365.25) + int(rng.integers(0, 300)))
    return {
        "full_name": f"{first} {last}",
        "date_of_birth": born.isoformat(),
        "national_id": f"SYN{int(rng.integers(100, 999))}{i:07d}",
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "phone": f"+4420{int(rng.integers(10_000_000, 99_999_999))}",
        "address": f"{int(rng.integers(1, 300))} Example Street, Sampletown",
        "postcode": f"EX{int(rng.integers(1, 99))} {int(rng.integers(1, 9))}AB",
    }


def _consumer_credit(
    schema: ApplicationSchema, n: int, rng: np.random.Generator, today: dt.date
) -> tuple[list[dict[str, Any]], np.ndarray]:
    age = np.clip(rng.normal(42, 13, n), 18.5, 85)
    # Employment depends on age: students young, retirees old.
    statuses = [
        "employed_full_time",
        "employed_part_time",
        "self_employed",
        "contractor",
        "retired",
        "student",
        "homemaker",
        "unemployed",
    ]
    base = np.array([0.56, 0.12, 0.09, 0.05, 0.02, 0.03, 0.05, 0.08])
    status_idx = np.empty(n, dtype=int)
    for i in range(n):
        p = base.copy()
        if age[i] >= 63:
            p[4] += 0.9
        if age[i] < 25:
            p[5] += 0.25
        status_idx[i] = rng.choice(len(statuses), p=p / p.sum())
    status = np.array(statuses)[status_idx]
    working = np.isin(status, ["employed_full_time", "employed_part_time", "self_employed", "contractor"])

    # A latent "circumstances" factor: stress we only partly observe through the answers.
    stress = rng.normal(0, 1, n)

    income_base = {
        "employed_full_time": 52_000,
        "employed_part_time": 24_000,
        "self_employed": 48_000,
        "contractor": 58_000,
        "retired": 26_000,
        "student": 11_000,
        "homemaker": 15_000,
        "unemployed": 9_000,
    }
    career = np.clip(1 + 0.012 * (np.minimum(age, 55) - 35), 0.75, 1.3)
    income: npt.NDArray[np.floating[Any]] = (
        np.array([income_base[s] for s in status]) * career * rng.lognormal(0, 0.38, n)
    )
    income *= np.exp(-0.08 * stress)
    income = np.round(np.clip(income, 3_000, 2_000_000), -2)

    tenure_cap = np.maximum(age - 17, 0.5)
    years_employed = np.where(working, np.minimum(rng.gamma(1.6, 4.0, n), tenure_cap), 0.0)
    years_employed = np.round(years_employed, 1)

    monthly_income = income / 12
    housing = monthly_income * np.clip(rng.beta(2.5, 7, n) * (1 + 0.15 * stress), 0.02, 0.95)
    debt = monthly_income * np.clip(rng.beta(1.6, 8, n) * np.exp(0.35 * stress), 0.0, 0.95)
    housing, debt = np.round(housing, -1), np.round(debt, -1)

    history_cap = np.maximum(age - 18, 0)
    history = np.round(np.minimum(rng.gamma(2.2, 0.32 * history_cap + 1.5, n), history_cap), 1)
    credit_lines = np.clip(rng.poisson(0.6 + history / 5 + 0.4 * np.maximum(stress, 0), n), 0, 40)
    delinquencies = np.clip(rng.poisson(np.exp(-1.9 + 0.85 * stress), n), 0, 20)

    requested: npt.NDArray[np.floating[Any]] = income * np.clip(
        rng.lognormal(np.log(0.22), 0.6, n), 0.02, 2.5
    )
    requested = np.round(np.clip(requested, 500, 100_000), -2)
    terms = np.array([12, 24, 36, 48, 60, 72, 84])
    term_idx = np.clip(
        np.searchsorted([1_500, 4_000, 9_000, 16_000, 25_000, 40_000], requested) + rng.integers(-1, 2, n),
        0,
        len(terms) - 1,
    )
    term = terms[term_idx]
    purposes = [
        "debt_consolidation",
        "credit_card_refinance",
        "home_improvement",
        "car",
        "major_purchase",
        "medical",
        "education",
        "wedding",
        "moving",
        "vacation",
        "renewable_energy",
        "small_business",
        "other",
    ]
    purpose_p = np.array([0.27, 0.12, 0.13, 0.1, 0.07, 0.04, 0.04, 0.03, 0.03, 0.04, 0.02, 0.04, 0.07])
    purpose = rng.choice(purposes, n, p=purpose_p / purpose_p.sum())

    # The auditor's view: affordability first, then conduct, then stability.
    dti = debt * 12 / income
    pti = requested / term * 12 / income
    purpose_risk = {
        "small_business": 0.6,
        "medical": 0.4,
        "vacation": 0.35,
        "debt_consolidation": 0.25,
        "other": 0.2,
        "wedding": 0.15,
        "moving": 0.1,
    }
    status_risk = {
        "unemployed": 1.2,
        "student": 0.5,
        "contractor": 0.25,
        "self_employed": 0.3,
        "employed_part_time": 0.25,
        "homemaker": 0.4,
    }
    score = (
        3.2 * np.minimum(dti, 1.0)
        + 2.2 * np.minimum(pti, 1.0)
        + 1.2 * np.minimum(housing * 12 / income, 1.0)
        + 0.75 * np.minimum(delinquencies, 4)
        + 0.9 * (history < 2)
        - 0.03 * np.minimum(history, 20)
        - 0.04 * np.minimum(years_employed, 10)
        + np.array([status_risk.get(s, 0.0) for s in status])
        + np.array([purpose_risk.get(p, 0.0) for p in purpose])
        + 0.35 * stress
        + rng.normal(0, 0.35, n)  # auditors disagree at the margin
    )
    tiers = _tiers_from_score(score)

    missing_tenure = rng.random(n) < 0.06
    missing_history = rng.random(n) < 0.08
    answers = []
    for i in range(n):
        row = _personal(i, rng, float(age[i]), today)
        row.update(
            {
                "employment_status": str(status[i]),
                "employer": "Example Ltd" if working[i] else "",
                "annual_income": float(income[i]),
                "monthly_housing_cost": float(housing[i]),
                "monthly_debt_payments": float(debt[i]),
                "existing_credit_lines": int(credit_lines[i]),
                "delinquencies_2y": int(delinquencies[i]),
                "requested_amount": float(requested[i]),
                "term_months": int(term[i]),
                "loan_purpose": str(purpose[i]),
                "consent": True,
            }
        )
        if not missing_tenure[i]:
            row["years_employed"] = float(years_employed[i])
        if not missing_history[i]:
            row["credit_history_years"] = float(history[i])
        if not row["employer"]:
            del row["employer"]
        answers.append(row)
    return answers, tiers


# --- any schema: driven by `synthetic:` hints ---------------------------------------------


def _generic(
    schema: ApplicationSchema, n: int, rng: np.random.Generator, today: dt.date
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Each field drawn independently from its hints; risk is the weighted sum of the
    standardised feature values (`synthetic: {risk: w}`), plus noise, cut into tiers.
    Rows that break a cross-field rule are dropped and drawn again, so every row is valid."""
    from applicants.validation import ApplicationInvalid, validate_answers

    kept: list[dict[str, Any]] = []
    scores: list[float] = []
    for _ in range(20):
        draw = max(2 * (n - len(kept)), 100)
        columns: dict[str, list[Any]] = {}
        score = rng.normal(0, 0.5, draw)
        for field in schema.fields:
            values, risk = _draw(field, draw, rng, today)
            columns[field.name] = values
            score = score + risk
        for i in range(draw):
            row = {name: columns[name][i] for name in columns if columns[name][i] is not None}
            try:
                validate_answers(schema, row, today=today)
            except ApplicationInvalid:
                continue
            kept.append(row)
            scores.append(float(score[i]))
            if len(kept) == n:
                return kept, _tiers_from_score(np.array(scores))
    raise ValueError(
        f"the synthetic hints of {schema.name} rarely give valid applications; "
        "narrow their ranges to fit the schema's rules"
    )


def _draw(field: Field, n: int, rng: np.random.Generator, today: dt.date) -> tuple[list[Any], np.ndarray]:
    hints = field.synthetic
    risk: npt.NDArray[np.floating[Any]] = np.zeros(n)
    if field.type in ("integer", "number"):
        low = hints.get("min", field.min if field.min is not None else 0)
        high = hints.get("max", field.max if field.max is not None else low + 100)
        if hints.get("distribution") == "lognormal":
            raw = rng.lognormal(
                np.log(max(hints.get("median", (low + high) / 4), 1e-6)), hints.get("sigma", 0.6), n
            )
        else:
            raw = rng.uniform(low, high, n)
        raw = np.clip(raw, low, high)
        raw = np.round(raw) if field.type == "integer" else np.round(raw, 2)
        weight = float(hints.get("risk", 0.0))
        if weight:
            risk = weight * (raw - raw.mean()) / (raw.std() or 1.0)
        values: list[Any] = [int(v) if field.type == "integer" else float(v) for v in raw]
    elif field.type == "choice":
        weights = hints.get("weights")
        p = np.array([weights.get(str(c.value), 1.0) for c in field.choices]) if weights else None
        idx = rng.choice(len(field.choices), n, p=None if p is None else p / p.sum())
        values = [field.choices[i].value for i in idx]
        per_choice = hints.get("risk") or {}
        risk = np.array([float(per_choice.get(str(v), 0.0)) for v in values])
    elif field.type == "boolean":
        if field.must_be_true:
            values = [True] * n
        else:
            flags = rng.random(n) < float(hints.get("p", 0.5))
            values = [bool(v) for v in flags]
            risk = float(hints.get("risk", 0.0)) * flags
    elif field.type == "date":
        lo_age = field.min_age if field.min_age is not None else 0
        ages = rng.uniform(max(lo_age, 0) + 0.1, min(field.max_age or 80, 80), n)
        values = [(today - dt.timedelta(days=int(a * 365.25))).isoformat() for a in ages]
    else:
        values = [_text_for(field, i) for i in range(n)]
    if not field.required and hints.get("missing"):
        missing = rng.random(n) < float(hints["missing"])
        values = [None if m else v for v, m in zip(values, missing, strict=True)]
        risk = np.where(missing, 0.0, risk)
    return values, risk


def _text_for(field: Field, i: int) -> str:
    if "format" in field.synthetic:
        return str(field.synthetic["format"]).format(i=i)
    if field.type == "email":
        return f"person{i}@example.com"
    if field.type == "phone":
        return f"+4420{7_000_0000 + i}"
    if field.example is not None and not field.pattern:
        return f"{field.example}"
    return f"X{i:08d}" if field.pattern else f"Example {field.label} {i}"


_GENERATORS: dict[str, Callable[..., tuple[list[dict[str, Any]], np.ndarray]]] = {
    "consumer_credit": _consumer_credit,
}
