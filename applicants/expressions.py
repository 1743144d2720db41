"""A tiny, safe arithmetic language for derived features and cross-field rules in the schema.

    debt_to_income:  "monthly_debt_payments * 12 / annual_income"
    rule:            "monthly_debt_payments * 12 <= annual_income"

Expressions are parsed with `ast` and only numbers, field names, + - * / and comparisons
are allowed, so a schema file can never run code. Evaluation works on Python floats and on
whole NumPy columns alike, which is how the ETL derives a feature for a million rows at once.
A missing input or a division by zero gives NaN, which the model treats as missing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from typing import Any, cast

import numpy as np

_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class ExpressionError(ValueError):
    pass


class Expression:
    def __init__(self, source: str, *, allowed_names: set[str], comparison: bool = False):
        self.source = source
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"{source!r} is not a valid expression: {exc.msg}") from exc
        self._body = tree.body
        if comparison != isinstance(self._body, ast.Compare):
            kind = "a comparison (e.g. a <= b)" if comparison else "arithmetic, not a comparison"
            raise ExpressionError(f"{source!r} must be {kind}")
        names: set[str] = set()
        self._check(self._body, allowed_names, names)
        self.names = frozenset(names)

    def _check(self, node: ast.AST, allowed: set[str], names: set[str]) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check(node.left, allowed, names)
            self._check(node.right, allowed, names)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            self._check(node.operand, allowed, names)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            self._check(node.left, allowed, names)
            self._check(node.comparators[0], allowed, names)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            pass
        elif isinstance(node, ast.Name):
            if node.id not in allowed:
                raise ExpressionError(
                    f"{self.source!r} uses {node.id!r}, which is not a numeric field of the schema"
                )
            names.add(node.id)
        else:
            raise ExpressionError(
                f"{self.source!r}: only numbers, field names, + - * / and one comparison are allowed"
            )

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            result = self._eval(self._body, values)
        if isinstance(self._body, ast.Compare):
            return result
        result = np.asarray(result, dtype=np.float64)
        result = np.where(np.isfinite(result), result, np.nan)
        return result if result.ndim else float(result)

    def _eval(self, node: ast.AST, values: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, values), self._eval(node.right, values))
        if isinstance(node, ast.UnaryOp):
            return np.negative(self._eval(node.operand, values))
        if isinstance(node, ast.Compare):
            return _COMPARE[type(node.ops[0])](
                self._eval(node.left, values), self._eval(node.comparators[0], values)
            )
        if isinstance(node, ast.Constant):
            return float(cast(float, node.value))  # a number: the parse admits no other constant
        assert isinstance(node, ast.Name)
        value = values.get(node.id)
        return np.nan if value is None else value
