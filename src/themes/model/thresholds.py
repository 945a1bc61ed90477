"""Choosing theme thresholds and calibrating scores to probabilities."""

from __future__ import annotations

import numpy as np

GRID = np.arange(0.05, 0.951, 0.01)


def best_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Threshold on ``scores`` that maximises F1, smoothed over neighbouring thresholds.

    Smoothing (the mean F1 of a threshold and its two neighbours) avoids picking a
    lucky spike on small data.
    """
    positives = y_true.sum()
    f1s = np.empty(len(GRID))
    for i, t in enumerate(GRID):
        predicted = scores >= t
        tp = np.logical_and(predicted, y_true).sum()
        fp = predicted.sum() - tp
        denom = 2 * tp + fp + (positives - tp)
        f1s[i] = 0.0 if denom == 0 else 2 * tp / denom
    smoothed = np.convolve(np.pad(f1s, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    # Among equally good thresholds take the one nearest 0.5: on cleanly separable
    # data every threshold scores the same and an extreme one would generalise badly.
    best = np.flatnonzero(smoothed >= smoothed.max() - 1e-9)
    chosen = best[np.argmin(np.abs(GRID[best] - 0.5))]
    return float(round(GRID[chosen], 2))


def best_shared_threshold(Y: np.ndarray, proba: np.ndarray) -> float:
    """The one threshold for every theme that maximises micro-F1 over all themes."""
    truth = Y.astype(bool)
    positives = truth.sum()
    f1s = np.empty(len(GRID))
    for i, t in enumerate(GRID):
        predicted = proba >= t
        tp = np.logical_and(predicted, truth).sum()
        denom = predicted.sum() + positives
        f1s[i] = 0.0 if denom == 0 else 2 * tp / denom
    return float(round(GRID[int(np.argmax(f1s))], 2))


def blended_thresholds(
    Y: np.ndarray, proba: np.ndarray, own_share: float, min_positives: int
) -> np.ndarray:
    """Each theme's threshold: ``own_share`` of its own F1-best one plus the rest of the
    shared one; themes with fewer than ``min_positives`` positives keep 0.5 as their own."""
    own = np.full(Y.shape[1], 0.5)
    for j in range(Y.shape[1]):
        if Y[:, j].sum() >= min_positives:
            own[j] = best_threshold(Y[:, j].astype(bool), proba[:, j])
    shared = best_shared_threshold(Y, proba)
    return np.round(own_share * own + (1 - own_share) * shared, 3)


def platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of a sigmoid mapping one theme's scores to probabilities."""
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        # A theme that never (or always) occurs: a flat 0 (or 1) whatever the score.
        return 0.0, 30.0 if y[0] else -30.0
    # Nearly unregularised: two parameters fitted on thousands of rows.
    fitted = LogisticRegression(C=100.0).fit(scores[:, None], y)
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])


def fit_temperature(proba: np.ndarray, truth: np.ndarray) -> tuple[float, np.ndarray]:
    """Scale and per-class offsets of log-probabilities, fitted to out-of-fold rows.

    A balanced classifier's probabilities lean towards rare classes and are often
    over- or under-confident; ``softmax(scale * log p + offset)`` (temperature scaling
    with a prior shift) fixes both with len(classes) + 1 numbers. ``truth`` holds
    column indices into ``proba``.
    """
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    logp = np.log(np.clip(proba, 1e-12, 1.0))
    n_classes = proba.shape[1]
    rows = np.arange(len(truth))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        scale, offset = params[0], params[1:]
        z = scale * logp + offset
        logq = log_softmax(z, axis=1)
        q = np.exp(logq)
        onehot = np.zeros_like(q)
        onehot[rows, truth] = 1.0
        diff = (q - onehot) / len(truth)
        grad = np.concatenate([[float((diff * logp).sum())], diff.sum(axis=0)])
        return float(-logq[rows, truth].mean()), grad

    start = np.concatenate([[1.0], np.zeros(n_classes)])
    found = minimize(loss, start, jac=True, method="L-BFGS-B")
    params = found.x if found.success or found.fun < loss(start)[0] else start
    return float(params[0]), np.asarray(params[1:])


def apply_temperature(proba: np.ndarray, scale: float, offset: np.ndarray) -> np.ndarray:
    """Probabilities through a fitted ``fit_temperature``; a class the classifier never
    gives (probability 0: not seen in training) stays at 0."""
    from scipy.special import softmax

    out = softmax(scale * np.log(np.clip(proba, 1e-12, 1.0)) + offset, axis=1)
    out[proba <= 0] = 0.0
    return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
