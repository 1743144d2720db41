"""Exact TreeSHAP from tables, for the shallow trees the platform trains.

XGBoost's `pred_contribs` runs the recursive TreeSHAP algorithm over every tree for every
row. What it computes (path-dependent TreeSHAP: features outside S averaged by the trees'
covers) depends on a row only through the side it takes at each split. A tree of depth 3
has at most 7 splits, so at most 2^7 = 128 ways through it: its SHAP values for each can be
worked out once, when the model is loaded, and a row then costs one comparison per split
and one table look-up per feature of each tree. Rows are evaluated a block at a time, split
by split and then feature by feature over the block (no per-row Python), and each feature's
values are summed tree after tree in one fixed order, so that a row's contributions are the
same bits alone (the live pipeline) and within a batch (a rescoring chunk).

The tables are built leaf by leaf ("Fast TreeSHAP v2", Yang 2022, arXiv:2109.09847; its
`fasttreeshap` package is unmaintained and not in our index). For a leaf with value v and,
for each feature j on its path, z_j (the row meets every condition on j along the path: 0
or 1) and c_j (the product of the covers' ratios child/parent at those splits), the leaf's
game is g(S) = v * prod_{j in S} z_j * prod_{j not in S} c_j; its Shapley values over the
path's m features are the leaf's contributions (features off the path are null players),
and a tree's are the sum over its leaves. tests/scoring/test_treeshap.py holds the result
equal to XGBoost's own `pred_contribs` (the oracle) on trained models.

`forest_tables` returns None for what it does not cover (multi-output margins, dart, linear
boosters, vector leaves, trees of more than MAX_SPLITS splits, thresholds that are not
finite): the caller uses XGBoost.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

MAX_SPLITS = 8  # per tree: 2^8 ways through it at most (depth 3 has 7 splits)
# Values looked up per pass at most (rows x the forest's tree features): a few MB of index and
# values, whatever the forest's size.
LOOKUPS_PER_PASS = 1_000_000
# From this many rows on, a feature's values are summed one row of the (uses, rows) block
# after another; NumPy would sum a block of one column pairwise, so fewer rows use a bincount.
SUMMED_BY_ROWS = 8


@dataclass(frozen=True)
class Splits:
    """Every split of a forest: its feature, threshold (float32, as XGBoost compares) and
    where a missing value goes; categorical splits also listed apart with, per split, which
    category codes go right (XGBoost's common::Decision: those in the split's set; any
    other, unseen or invalid, goes left; a missing one takes the default)."""

    feature: np.ndarray
    threshold: np.ndarray
    default_left: np.ndarray
    categorical_split: np.ndarray
    categorical_feature: np.ndarray
    categorical_right: np.ndarray  # (categorical splits, largest code + 1) bool

    def go_left(self, x: np.ndarray) -> np.ndarray:
        """(splits + 1, rows): whether each row goes left at each split; a last row of
        False, which padding refers to (it sets no bit of a way through a tree)."""
        # A missing value compared as -inf goes left and as +inf goes right (thresholds are
        # finite, forest_tables checks): one comparison per split, no NaN test after it.
        n_features = x.shape[1]
        sides = np.concatenate([np.where(np.isnan(x), -np.inf, x), np.where(np.isnan(x), np.inf, x)], axis=1)
        column = self.feature + n_features * ~self.default_left
        left = np.zeros((len(self.feature) + 1, len(x)), dtype=bool)
        np.less(sides.T[column], self.threshold[:, None], out=left[:-1])
        if len(self.categorical_split):
            codes = x[:, self.categorical_feature].T
            missing = np.isnan(codes)
            valid = ~missing & (codes >= 0) & (codes < self.categorical_right.shape[1])
            known = np.where(valid, codes, 0).astype(np.int64)
            right = self.categorical_right[np.arange(len(self.categorical_split))[:, None], known] & valid
            default = self.default_left[self.categorical_split][:, None]
            left[self.categorical_split] = np.where(missing, default, ~right)
        return left


@dataclass(frozen=True)
class ForestTables:
    n_features: int
    splits: Splits
    # Per tree, its splits in the order of their bits in the tree's way through it
    # ("pattern"), padded with the always-false row of Splits.go_left.
    tree_split: np.ndarray  # (MAX splits, trees)
    slot_feature: np.ndarray  # (trees, slots): each tree's features; n_features pads
    # table[s, tree * 2^splits + pattern]: the SHAP value of the tree's slot-s feature for
    # a row taking that way through it.
    table: np.ndarray

    def contributions(self, rows: np.ndarray) -> np.ndarray:
        """(rows, features) contributions to the margin, the bias left out."""
        x = np.asarray(rows, dtype=np.float32)  # XGBoost compares in float32
        out = np.zeros((len(x), self.n_features), dtype=np.float64)
        step = max(1, LOOKUPS_PER_PASS // len(self._uses.tree))
        for start in range(0, len(x), step):
            out[start : start + step] = self._pass(x[start : start + step])
        return out

    def _pass(self, x: np.ndarray) -> np.ndarray:
        taken = self.splits.go_left(x)[self.tree_split].view(np.uint8)  # (splits, trees, rows)
        pattern = taken[0].copy()
        for k in range(1, len(taken)):
            pattern |= taken[k] << k
        uses = self._uses
        index = pattern[uses.tree].astype(np.intp)  # (uses, rows)
        index += uses.offset[:, None]
        shares = uses.table.take(index)
        # Each feature's shares summed slot by slot, tree by tree, as a batch of any size
        # sums them (the same bits for one row alone as within a chunk), with no BLAS (whose
        # threads would take the web's core on a two-core machine).
        if len(x) < SUMMED_BY_ROWS:
            # A few rows (the live pipeline's one): a single bincount, in the uses' order.
            where = uses.feature[:, None] * len(x) + np.arange(len(x))
            summed = np.bincount(where.ravel(), weights=shares.ravel(), minlength=self.n_features * len(x))
            return summed.reshape(self.n_features, len(x)).T
        out = np.zeros((len(x), self.n_features), dtype=np.float64)
        for feature, first, last in uses.ranges:
            out[:, feature] = shares[first:last].sum(axis=0)  # one tree's row after another's
        return out

    @functools.cached_property
    def _uses(self) -> _Uses:
        """The table's slots that hold a feature (not padding), by feature, then slot, then
        tree: each one's 2^splits values contiguous."""
        trees = self.slot_feature.shape[0]
        by_slot = self.slot_feature.transpose()
        slot, tree = np.nonzero(by_slot < self.n_features)  # slot by slot; n_features pads
        feature = by_slot[slot, tree]
        order = np.argsort(feature, kind="stable")
        slot, tree, feature = slot[order], tree[order], feature[order]
        patterns = self.table.shape[1] // trees
        table = self.table.reshape(len(self.table), trees, patterns)[slot, tree].ravel()
        bounds = np.flatnonzero(np.diff(feature)) + 1
        firsts, lasts = np.r_[0, bounds], np.r_[bounds, len(feature)]
        ranges = [(int(feature[a]), int(a), int(b)) for a, b in zip(firsts, lasts, strict=True)]
        return _Uses(
            tree=tree, feature=feature, offset=np.arange(len(tree)) * patterns, table=table, ranges=ranges
        )


@dataclass(frozen=True)
class _Uses:
    tree: np.ndarray  # (uses,) the tree of each
    feature: np.ndarray  # (uses,) its feature
    offset: np.ndarray  # (uses,) where its values start in `table`
    table: np.ndarray  # (uses x 2^splits,)
    ranges: list[tuple[int, int, int]]  # (feature, first use, last use + 1)


def forest_tables(booster: xgb.Booster) -> ForestTables | None:
    """The tables of a single-output tree booster (a binary model, or a multi-class model's
    risk booster), or None where XGBoost's own computation must be used."""
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    params = learner["learner_model_param"]
    gbm = learner["gradient_booster"]
    if (
        gbm.get("name") != "gbtree"
        or int(params.get("num_class", 0)) > 1
        or int(params.get("num_target", 1)) != 1
    ):
        return None
    trees = gbm["model"]["trees"]
    if any(int(t["tree_param"].get("size_leaf_vector", "1")) > 1 for t in trees):
        return None
    if any(sum(child != -1 for child in t["left_children"]) > MAX_SPLITS for t in trees):
        return None
    forest = _Forest(trees)
    if not forest.leaves:
        return None  # no split anywhere: nothing but the bias
    tables = forest.tables(int(params["num_feature"]))
    numeric = np.ones(len(tables.splits.feature), dtype=bool)
    numeric[tables.splits.categorical_split] = False
    if not np.isfinite(tables.splits.threshold[numeric]).all():
        return None  # Splits.go_left compares a missing value as an infinity
    return tables


@dataclass
class _Leaf:
    tree: int
    value: float
    features: list[int]  # on the path, first used first: the leaf's slots
    ratios: list[float]  # per slot, the product of the covers' ratios child/parent
    entries: list[tuple[int, bool, int]]  # per split on the path: (its bit in the tree, went left, slot)


class _Forest:
    def __init__(self, trees: list[dict]) -> None:
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.default_left: list[bool] = []
        self.categorical: list[tuple[int, int, np.ndarray]] = []  # (split, feature, categories going right)
        self.tree_splits: list[list[int]] = []
        self.tree_features: list[list[int]] = []
        self.leaves: list[_Leaf] = []
        for number, tree in enumerate(trees):
            self._add(number, tree)

    def _add(self, number: int, tree: dict) -> None:
        left, right, cover = tree["left_children"], tree["right_children"], tree["sum_hessian"]
        kinds = tree.get("split_type") or [0] * len(left)
        categories = _categories(tree)
        bit_of: dict[int, int] = {}
        splits: list[int] = []
        for node, child in enumerate(left):
            if child == -1:
                continue
            bit_of[node] = len(splits)
            splits.append(len(self.feature))
            feature = int(tree["split_indices"][node])
            if kinds[node] == 1:
                self.categorical.append((len(self.feature), feature, categories[node]))
            self.feature.append(feature)
            self.threshold.append(float(tree["split_conditions"][node]))
            self.default_left.append(bool(tree["default_left"][node]))
        self.tree_splits.append(splits)
        self.tree_features.append(sorted({self.feature[s] for s in splits}))
        stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]  # (node, the path to it)
        while stack:
            node, path = stack.pop()
            if left[node] != -1:
                stack += [(left[node], [*path, (node, True)]), (right[node], [*path, (node, False)])]
            elif path:  # a tree of one leaf moves the bias only
                self.leaves.append(self._leaf(number, tree, node, path, bit_of, cover))

    @staticmethod
    def _leaf(
        number: int,
        tree: dict,
        node: int,
        path: list[tuple[int, bool]],
        bit_of: dict[int, int],
        cover: list[float],
    ) -> _Leaf:
        left, right = tree["left_children"], tree["right_children"]
        leaf = _Leaf(
            tree=number, value=float(tree["split_conditions"][node]), features=[], ratios=[], entries=[]
        )
        for parent, went_left in path:
            feature = int(tree["split_indices"][parent])
            if feature not in leaf.features:
                leaf.features.append(feature)
                leaf.ratios.append(1.0)
            slot = leaf.features.index(feature)
            child = left[parent] if went_left else right[parent]
            leaf.ratios[slot] *= cover[child] / cover[parent] if cover[parent] > 0 else 0.0
            leaf.entries.append((bit_of[parent], went_left, slot))
        return leaf

    def tables(self, n_features: int) -> ForestTables:
        n_trees = len(self.tree_splits)
        depth = max(len(s) for s in self.tree_splits)
        slots = max(len(f) for f in self.tree_features)
        tree_split = np.full((depth, n_trees), len(self.feature), dtype=np.int64)
        slot_feature = np.full((n_trees, slots), n_features, dtype=np.int64)
        for t, (splits, features) in enumerate(zip(self.tree_splits, self.tree_features, strict=True)):
            tree_split[: len(splits), t] = splits
            slot_feature[t, : len(features)] = features
        return ForestTables(
            n_features=n_features,
            splits=self._splits(),
            tree_split=tree_split,
            slot_feature=slot_feature,
            table=self._table(depth, slots),
        )

    def _table(self, depth: int, slots: int) -> np.ndarray:
        """Every leaf's Shapley values for every way through its tree, summed per tree: for
        each way, which of the leaf's conditions it meets (its pattern), that pattern's
        values, added to the tree's slots of those features. Leaves of one width at a time."""
        patterns, n_trees = 2**depth, len(self.tree_splits)
        ways = np.arange(patterns)
        summed = np.zeros(slots * n_trees * patterns)
        by_width: dict[int, list[_Leaf]] = {}
        for leaf in self.leaves:
            by_width.setdefault(len(leaf.features), []).append(leaf)
        for m, leaves in by_width.items():
            shapley = _leaf_shapley(
                np.asarray([leaf.value for leaf in leaves]), np.asarray([leaf.ratios for leaf in leaves])
            )  # (leaves, 2^m leaf patterns, m)
            length = max(len(leaf.entries) for leaf in leaves)
            bit = np.zeros((len(leaves), length), dtype=np.int64)
            went_left = np.zeros((len(leaves), length), dtype=bool)
            clears = np.zeros((len(leaves), length), dtype=np.int64)  # the slot's bit; 0 pads
            for k, leaf in enumerate(leaves):
                for e, (split_bit, left, slot) in enumerate(leaf.entries):
                    bit[k, e], went_left[k, e], clears[k, e] = split_bit, left, 1 << slot
            goes_left = ((ways[None, :, None] >> bit[:, None, :]) & 1) == 1  # (leaves, ways, entries)
            failed = np.where(goes_left != went_left[:, None, :], clears[:, None, :], 0)
            met = ((1 << m) - 1) & ~np.bitwise_or.reduce(failed, axis=2)  # (leaves, ways)
            values = np.take_along_axis(shapley, met[:, :, None], axis=1)  # (leaves, ways, m)
            tree = np.asarray([leaf.tree for leaf in leaves])
            tree_slot = np.asarray(
                [[self.tree_features[leaf.tree].index(f) for f in leaf.features] for leaf in leaves]
            )  # (leaves, m)
            where = (tree_slot[:, None, :] * n_trees + tree[:, None, None]) * patterns + ways[None, :, None]
            summed += np.bincount(where.ravel(), weights=values.ravel(), minlength=len(summed))
        return summed.reshape(slots, n_trees * patterns)

    def _splits(self) -> Splits:
        largest = max((int(cats.max()) for _, _, cats in self.categorical if len(cats)), default=0)
        right = np.zeros((len(self.categorical), largest + 1), dtype=bool)
        for k, (_, _, cats) in enumerate(self.categorical):
            right[k, cats.astype(np.int64)] = True
        return Splits(
            feature=np.asarray(self.feature, dtype=np.int64),
            threshold=np.asarray(self.threshold, dtype=np.float32),
            default_left=np.asarray(self.default_left, dtype=bool),
            categorical_split=np.asarray([split for split, _, _ in self.categorical], dtype=np.int64),
            categorical_feature=np.asarray([feature for _, feature, _ in self.categorical], dtype=np.int64),
            categorical_right=right,
        )


def _categories(tree: dict) -> dict[int, np.ndarray]:
    """Each categorical split's categories (those that go right), as floats like the rows."""
    flat = tree.get("categories", [])
    return {
        int(node): np.asarray(flat[start : start + size], dtype=np.float32)
        for node, start, size in zip(
            tree.get("categories_nodes", []),
            tree.get("categories_segments", []),
            tree.get("categories_sizes", []),
            strict=True,
        )
    }


def _leaf_shapley(values: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """(leaves, 2^m patterns, m) Shapley values of g(S) = v * prod_{j in S} z_j *
    prod_{j not in S} c_j, for every pattern z of m bits, leaves of m features each."""
    m = ratios.shape[1]
    bits = ((np.arange(2**m)[:, None] >> np.arange(m)) & 1).astype(bool)  # subsets and patterns
    sizes = bits.sum(axis=1)
    out = np.empty((len(values), 2**m, m), dtype=np.float64)
    step = max(1, 2_000_000 // (4**m * m))  # leaves at a time: bounded memory for wide ones
    for lo in range(0, len(values), step):
        # game[l, S, z] = v_l * prod_j (z_j if j in S else c_lj)
        factors = np.where(
            bits[None, :, None, :], bits[None, None, :, :], ratios[lo : lo + step, None, None, :]
        )
        game = values[lo : lo + step, None, None] * factors.prod(axis=3)
        for i in range(m):
            without = np.flatnonzero(~bits[:, i])
            weight = np.asarray([math.factorial(s) * math.factorial(m - s - 1) for s in sizes[without]])
            out[lo : lo + step, :, i] = np.einsum(
                "s,lsz->lz", weight / math.factorial(m), game[:, without | (1 << i), :] - game[:, without, :]
            )
    return out
