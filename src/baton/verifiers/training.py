"""Fitting the aggregator: L2-regularised logistic regression (Newton/IRLS in numpy, no
scikit-learn at run time or fit time) and claim-grouped k-fold cross-validation.

Features are standardised for the fit and the scaling is folded back into the coefficients,
so the shipped ``LogisticModel`` works on raw feature values.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from baton.verifiers.aggregate import LogisticModel

L2 = 1.0
"""Ridge penalty on the standardised coefficients (the intercept is not penalised)."""


def fit_logistic(
    rows: Sequence[dict[str, float]],
    labels: Sequence[bool],
    feature_names: Sequence[str],
    *,
    l2: float = L2,
    iterations: int = 50,
) -> LogisticModel:
    """Fit P(supported | features). ``rows``: one feature dict per item (a missing feature
    takes the mean of the rows that have it); ``labels``: True for supported.

    Both classes are weighted to equal total weight, matching the balanced-accuracy target.
    """
    names = tuple(feature_names)
    raw = np.array([[r.get(f, np.nan) for f in names] for r in rows], dtype=float)
    means = (
        np.nanmean(np.where(np.isnan(raw), np.nan, raw), axis=0)
        if len(raw)
        else np.zeros(len(names))
    )
    means = np.where(np.isnan(means), 0.0, means)
    x = np.where(np.isnan(raw), means, raw)
    sd = x.std(axis=0)
    sd = np.where(sd < 1e-9, 1.0, sd)
    z = (x - means) / sd
    y = np.asarray(labels, dtype=float)
    pos = max(y.sum(), 1.0)
    neg = max(len(y) - y.sum(), 1.0)
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    zb = np.hstack([z, np.ones((len(z), 1))])
    w = np.zeros(zb.shape[1])
    reg = np.eye(zb.shape[1]) * l2
    reg[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(zb @ w, -30, 30)))
        hess = zb.T @ (zb * (p * (1 - p) * sw)[:, None]) + reg
        grad = zb.T @ ((p - y) * sw) + reg @ w
        step = np.linalg.solve(hess + 1e-9 * np.eye(len(w)), grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coef = w[:-1] / sd
    intercept = float(w[-1] - (coef * means).sum())
    return LogisticModel(
        names, tuple(float(c) for c in coef), intercept, tuple(float(m) for m in means)
    )


def grouped_folds(groups: Sequence[str], k: int = 5, seed: int = 0) -> list[int]:
    """Fold index (0..k-1) of each item so that items sharing a group (e.g. the same claim
    text) always fall in the same fold."""
    distinct = sorted(set(groups))
    random.Random(seed).shuffle(distinct)
    fold = {g: i % k for i, g in enumerate(distinct)}
    return [fold[g] for g in groups]
