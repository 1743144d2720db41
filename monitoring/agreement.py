"""How much two auditors agree beyond chance (Cohen's kappa), in plain Python: read by the
label-quality page (monitoring/selectors.py)."""

from __future__ import annotations


def cohen_kappa(table: list[list[int]]) -> float | None:
    """Agreement beyond chance between two raters from their square table of counts."""
    n = sum(map(sum, table))
    if not n:
        return None
    observed = sum(table[i][i] for i in range(len(table))) / n
    rows = [sum(r) / n for r in table]
    cols = [sum(table[i][j] for i in range(len(table))) / n for j in range(len(table))]
    expected = sum(r * c for r, c in zip(rows, cols, strict=True))
    return 1.0 if expected >= 1 else (observed - expected) / (1 - expected)
