"""The three heads on the shared features, as scikit-learn estimators.

* ``SingleLabelHead``: kind or category, a balanced multinomial logistic regression,
  its probabilities calibrated by temperature scaling on out-of-fold rows;
* ``ThemeHead``: one balanced linear SVM per theme, its scores turned into
  probabilities by a sigmoid fitted on out-of-fold scores, each theme with its own
  threshold (drawn towards one shared threshold) chosen on those probabilities.

Both take their parameters in ``__init__``, return ``self`` from ``fit`` and give
``predict_proba`` with one column per label (in ``labels`` order, whether or not a
label occurred in training). After ``fit``, ``oof_proba_`` holds the out-of-fold
probabilities (None when there were too few rows to fold); it is not saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin

if TYPE_CHECKING:
    from themes.model.config import ModelConfig

from themes.model.thresholds import (
    apply_temperature,
    blended_thresholds,
    fit_temperature,
    platt,
)


def _sub(weights: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if weights is None else weights[idx]


def _given_splits(folds: np.ndarray, k: int):
    """(train, validation) row indices from fixed fold ids (e.g. a hash of each record),
    so that adding rows moves no other row to another fold."""
    ids = np.asarray(folds) % k
    for f in range(k):
        val = np.flatnonzero(ids == f)
        train = np.flatnonzero(ids != f)
        if len(val) and len(train):
            yield train, val


class _Head(ClassifierMixin, BaseEstimator):
    def __getstate__(self) -> dict[str, Any]:
        # Out-of-fold predictions and derived caches are never saved with a model.
        skip = {"oof_proba_", "_stacked"}
        return {k: v for k, v in self.__dict__.items() if k not in skip}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class SingleLabelHead(_Head):
    """One label per row (kind or category)."""

    def __init__(
        self, labels: list[str] | None = None, C: float = 4.0, cv_folds: int = 3, seed: int = 13
    ) -> None:
        self.labels = labels
        self.C = C
        self.cv_folds = cv_folds
        self.seed = seed

    def _estimator(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=3000, random_state=self.seed
        )

    def fit(
        self,
        X: sp.csr_matrix,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        folds: np.ndarray | None = None,
    ):
        """Fit; ``folds`` (a fold id per row) fixes the out-of-fold split instead of a
        stratified shuffle."""
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(y)
        self.classes_ = list(self.labels) if self.labels is not None else sorted(set(y.tolist()))
        self.oof_proba_ = None
        self.estimator_ = None
        self.constant_ = None
        # Temperature and class offsets fitted on out-of-fold rows; None: uncalibrated.
        self.calibration_ = None
        present = sorted(set(y.tolist()))
        if len(present) == 1:
            self.constant_ = present[0]
            return self
        counts = np.unique(y, return_counts=True)[1]
        n_folds = min(self.cv_folds, int(counts.min()))
        if n_folds >= 2:
            oof = np.zeros((len(y), len(self.classes_)))
            stratified = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=self.seed)
            splits = _given_splits(folds, n_folds) if folds is not None else stratified.split(X, y)
            for train_idx, val_idx in splits:
                est = self._estimator()
                est.fit(X[train_idx], y[train_idx], sample_weight=_sub(sample_weight, train_idx))
                oof[val_idx] = self._aligned(est, X[val_idx])
            truth = np.array([self.classes_.index(v) for v in y.tolist()])
            self.calibration_ = fit_temperature(oof, truth)
            self.oof_proba_ = apply_temperature(oof, *self.calibration_)
        self.estimator_ = self._estimator()
        self.estimator_.fit(X, y, sample_weight=sample_weight)
        return self

    def _aligned(self, est: Any, X: sp.csr_matrix) -> np.ndarray:
        proba = est.predict_proba(X)
        out = np.zeros((X.shape[0], len(self.classes_)))
        for j, cls in enumerate(est.classes_):
            out[:, self.classes_.index(cls)] = proba[:, j]
        return out

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        if self.constant_ is not None:
            out = np.zeros((X.shape[0], len(self.classes_)))
            out[:, self.classes_.index(self.constant_)] = 1.0
            return out
        proba = self._aligned(self.estimator_, X)
        calibration = getattr(self, "calibration_", None)
        return proba if calibration is None else apply_temperature(proba, *calibration)

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


def _svm(c: float, tol: float, seed: int) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, class_weight="balanced", tol=tol, random_state=seed)


class ThemeHead(_Head):
    """Any number of themes per row: Y is a (rows x themes) 0/1 matrix."""

    def __init__(
        self,
        labels: list[str] | None = None,
        C: float = 0.3,
        tol: float = 1e-2,
        cv_folds: int = 3,
        seed: int = 13,
        threshold_own: float = 0.4,
        min_positives_for_threshold: int = 5,
    ) -> None:
        self.labels = labels
        self.C = C
        self.tol = tol
        self.cv_folds = cv_folds
        self.seed = seed
        self.threshold_own = threshold_own
        self.min_positives_for_threshold = min_positives_for_threshold

    @classmethod
    def from_config(cls, labels: list[str], config: ModelConfig) -> ThemeHead:
        """An unfitted head with the theme settings of a model's config."""
        return cls(
            labels,
            C=config.theme_svm_c,
            tol=config.theme_tol,
            cv_folds=config.cv_folds,
            seed=config.seed,
            threshold_own=config.theme_threshold_own,
            min_positives_for_threshold=config.min_positives_for_threshold,
        )

    def _fit_matrix(
        self, X: sp.csr_matrix, Y: np.ndarray, weights: np.ndarray | None
    ) -> tuple[list[Any], list[float | None]]:
        estimators: list[Any] = []
        constant: list[float | None] = []
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():
                # A label that never (or always) occurs here: predict that constant.
                estimators.append(None)
                constant.append(float(y[0]))
                continue
            est = _svm(self.C, self.tol, self.seed)
            est.fit(X, y, sample_weight=weights)
            estimators.append(est)
            constant.append(None)
        return estimators, constant

    @staticmethod
    def scores(estimators: list[Any], constant: list[float | None], X: sp.csr_matrix) -> np.ndarray:
        """SVM scores, each estimator on its own; a constant label scores at the margin
        (+1 always, -1 never)."""
        out = np.empty((X.shape[0], len(estimators)))
        for j, (est, const) in enumerate(zip(estimators, constant, strict=True)):
            out[:, j] = 2 * const - 1 if est is None else est.decision_function(X)
        return out

    def calibrated(self, scores: np.ndarray) -> np.ndarray:
        """Scores through each theme's sigmoid."""
        slope, intercept = self.calibration_[:, 0], self.calibration_[:, 1]
        return expit(scores * slope + intercept)

    def fit(
        self,
        X: sp.csr_matrix,
        Y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        folds: np.ndarray | None = None,
    ):
        """Fit, calibrating and choosing thresholds on out-of-fold scores; ``folds`` (a
        fold id per row) fixes the out-of-fold split instead of a shuffle."""
        from sklearn.model_selection import KFold

        Y = np.asarray(Y)
        n_labels = Y.shape[1]
        self.classes_ = list(self.labels) if self.labels is not None else list(range(n_labels))
        self.thresholds_ = np.full(n_labels, 0.5)
        # Sigmoid slope and intercept per theme (rows: themes); identity until fitted.
        self.calibration_ = np.tile([1.0, 0.0], (n_labels, 1))
        self.oof_proba_ = None
        self.__dict__.pop("_stacked", None)
        # liblinear works in float64: converting once here, not once per theme and fold,
        # saves about a third of the training time.
        X = sp.csr_matrix(X, dtype=np.float64)
        n_folds = min(self.cv_folds, len(Y))
        if n_folds >= 2:
            scores = np.zeros(Y.shape, dtype=float)
            splits = (
                _given_splits(folds, n_folds)
                if folds is not None
                else KFold(n_splits=n_folds, shuffle=True, random_state=self.seed).split(X)
            )
            for train_idx, val_idx in splits:
                est, const = self._fit_matrix(
                    X[train_idx], Y[train_idx], _sub(sample_weight, train_idx)
                )
                scores[val_idx] = self.scores(est, const, X[val_idx])
            self.calibration_ = np.array([platt(scores[:, j], Y[:, j]) for j in range(n_labels)])
            self.oof_proba_ = self.calibrated(scores)
            self.thresholds_ = blended_thresholds(
                Y, self.oof_proba_, self.threshold_own, self.min_positives_for_threshold
            )
        self.estimators_, self.constant_ = self._fit_matrix(X, Y, sample_weight)
        return self

    def _stacked_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Every theme's coefficients as one (features x themes) matrix, and intercepts.

        Constant themes get zero weights; their column is overwritten after scoring.
        """
        stacked = self.__dict__.get("_stacked")
        if stacked is None:
            fitted = [est for est in self.estimators_ if est is not None]
            n_features = fitted[0].coef_.shape[1] if fitted else 0
            weights = np.zeros((n_features, len(self.estimators_)))
            intercepts = np.zeros(len(self.estimators_))
            for j, est in enumerate(self.estimators_):
                if est is not None:
                    weights[:, j] = est.coef_[0]
                    intercepts[j] = est.intercept_[0]
            stacked = self.__dict__["_stacked"] = (weights, intercepts)
        return stacked

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """P(theme) for each row and theme, from one sparse product for all themes' scores.

        The same arithmetic as each estimator's decision_function (X @ coef +
        intercept) without 15-36 separate calls, each re-validating X; then each
        theme's calibration sigmoid.
        """
        if all(_plain_linear(est) for est in self.estimators_):
            weights, intercepts = self._stacked_weights()
            scores = np.asarray(X @ weights) + intercepts
            for j, const in enumerate(self.constant_):
                if const is not None:
                    scores[:, j] = 2 * const - 1
        else:
            scores = self.scores(self.estimators_, self.constant_, X)
        return self.calibrated(scores)

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        """0/1 per row and theme: probability at or above the theme's threshold."""
        return (self.predict_proba(X) >= self.thresholds_[None, :]).astype(int)


def _plain_linear(est: Any) -> bool:
    """Whether an estimator's decision function is X @ coef + intercept for one class."""
    return est is None or (len(getattr(est, "classes_", ())) == 2 and est.coef_.shape[0] == 1)
