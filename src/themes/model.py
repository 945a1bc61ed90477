"""The classifier: features, the three heads (kind, category, themes), thresholds, predictions.

One shared feature space (TF-IDF over word 1-2 grams and character 2-5 grams of
spaCy-normalised text) feeds three heads, each trained only on the rows that
carry its label:

* kind: complaint / compliment (/ comment), a multinomial logistic regression;
* category: one per categorised record, a multinomial logistic regression;
* themes: one balanced linear SVM per theme, its scores turned into probabilities
  by a sigmoid fitted on out-of-fold scores, each theme with its own decision
  threshold (drawn towards one shared threshold) chosen on those probabilities.

Class weights are balanced throughout because the labels are imbalanced (a
council sees many more communication complaints than data breaches).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from themes.errors import TrainingError
from themes.taxonomy import Taxonomy
from themes.text import TextConfig, TextProcessor, word_count

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the features and heads. Saved in meta.json."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (2, 5)
    min_df: int = 2
    max_features_word: int = 200_000
    max_features_char: int = 300_000
    # Theme heads are linear SVMs (LinearSVC's C); their scores become probabilities
    # through a sigmoid fitted on out-of-fold scores (Platt scaling). On the NHS
    # benchmark this beat balanced logistic regression (same thresholds, same CPU) by
    # about 0.015 macro-F1 and 0.005 micro-F1. Named apart from the former
    # logistic-regression "theme_c" so that retraining a model saved before keeps 0.3
    # rather than that model's logistic-regression C.
    theme_svm_c: float = 0.3
    # A loose stopping tolerance: same scores on the benchmark, about 30% less fit time.
    theme_tol: float = 1e-2
    # Each theme's threshold is this share of its own F1-best threshold plus the rest of
    # one threshold shared by all themes (the one best for micro-F1). Per-theme thresholds
    # alone over-fit rare themes and cost micro-F1; shared alone costs macro-F1.
    theme_threshold_own: float = 0.4
    category_c: float = 4.0
    kind_c: float = 4.0
    # Out-of-fold predictions (theme calibration and thresholds, training metrics).
    # Three folds: about the same benchmark scores as five, about 30% less training time.
    cv_folds: int = 3
    # A theme whose probability is within this of its threshold is "near" it. Set so
    # that flagged rows carry clearly more errors than unflagged ones while leaving
    # most rows unflagged (measured in the default model's closing note).
    review_margin: float = 0.03
    # Kind or category probabilities below these need a person's look.
    category_review_below: float = 0.55
    kind_review_below: float = 0.6
    # Texts with fewer words than this are too short to judge.
    min_words: int = 4
    # Fewer positives than this: no threshold search, keep 0.5.
    min_positives_for_threshold: int = 5
    seed: int = 13
    text: TextConfig = field(default_factory=TextConfig)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = self.text.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        data = dict(data)
        data.pop("theme_c", None)  # logistic-regression C of models saved before theme SVMs
        text = TextConfig(**data.pop("text", {}))
        for key in ("word_ngrams", "char_ngrams"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(text=text, **data)


@dataclass
class LabelledData:
    """Training rows: texts and whichever labels exist (None where a row lacks that label)."""

    texts: list[str]
    kinds: list[str | None] | None = None
    categories: list[str | None] | None = None
    themes: list[list[str] | None] | None = None
    weights: list[float] | None = None

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Prediction:
    """Suggestions for one text."""

    kind: str
    kind_probability: float | None
    category: str
    category_probability: float | None
    themes: list[str]
    theme_probabilities: dict[str, float]
    confidence: float
    needs_review: bool
    review_reasons: list[str]


class CharNgrams:
    """Character n-grams within word boundaries, as scikit-learn's "char_wb", cached per word.

    The same words recur across a log, so each distinct word's n-grams are worked
    out once; this makes the character features several times faster to compute.
    """

    def __init__(self, ngram_range: tuple[int, int]) -> None:
        self.ngram_range = tuple(ngram_range)
        self._cache: dict[str, list[str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"ngram_range": self.ngram_range}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.ngram_range = tuple(state["ngram_range"])
        self._cache = {}

    def _word(self, word: str) -> list[str]:
        min_n, max_n = self.ngram_range
        padded = f" {word} "
        size = len(padded)
        grams: list[str] = []
        for n in range(min_n, max_n + 1):
            if size <= n:
                # A word shorter than n is counted once, whole (as char_wb does).
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
        return grams

    def __call__(self, text: str) -> list[str]:
        cache = self._cache
        out: list[str] = []
        for word in text.split():
            grams = cache.get(word)
            if grams is None:
                grams = self._word(word)
                if len(cache) < 500_000:
                    cache[word] = grams
            out.extend(grams)
        return out


class Featuriser:
    """Word and character TF-IDF over normalised text, stacked side by side."""

    def __init__(self, config: ModelConfig) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.config = config
        self.word = TfidfVectorizer(
            analyzer="word",
            token_pattern=r"\S+",
            lowercase=False,
            ngram_range=config.word_ngrams,
            min_df=config.min_df,
            max_features=config.max_features_word,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.char = (
            TfidfVectorizer(
                analyzer=CharNgrams(config.char_ngrams),
                lowercase=False,
                min_df=config.min_df,
                max_features=config.max_features_char,
                sublinear_tf=True,
                dtype=np.float32,
            )
            if config.char_ngrams
            else None
        )

    def fit_transform(self, normalised: Sequence[str]) -> sp.csr_matrix:
        parts = [self.word.fit_transform(normalised)]
        if self.char is not None:
            parts.append(self.char.fit_transform(normalised))
        # The terms cut by min_df are only kept for introspection; they include words
        # seen once (names, addresses), so they are dropped before the model is saved.
        for vectoriser in (self.word, self.char):
            if vectoriser is not None and hasattr(vectoriser, "stop_words_"):
                del vectoriser.stop_words_
        return sp.hstack(parts, format="csr")

    def transform(self, normalised: Sequence[str]) -> sp.csr_matrix:
        parts = [self.word.transform(normalised)]
        if self.char is not None:
            parts.append(self.char.transform(normalised))
        return sp.hstack(parts, format="csr")


def _multiclass(c: float, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)


def best_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Threshold on ``scores`` that maximises F1, smoothed over neighbouring thresholds.

    Smoothing (the mean F1 of a threshold and its two neighbours) avoids picking a
    lucky spike on small data.
    """
    grid = np.arange(0.05, 0.951, 0.01)
    positives = y_true.sum()
    f1s = np.empty(len(grid))
    for i, t in enumerate(grid):
        predicted = scores >= t
        tp = np.logical_and(predicted, y_true).sum()
        fp = predicted.sum() - tp
        denom = 2 * tp + fp + (positives - tp)
        f1s[i] = 0.0 if denom == 0 else 2 * tp / denom
    smoothed = np.convolve(np.pad(f1s, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    # Among equally good thresholds take the one nearest 0.5: on cleanly separable
    # data every threshold scores the same and an extreme one would generalise badly.
    best = np.flatnonzero(smoothed >= smoothed.max() - 1e-9)
    chosen = best[np.argmin(np.abs(grid[best] - 0.5))]
    return float(round(grid[chosen], 2))


def best_shared_threshold(Y: np.ndarray, proba: np.ndarray) -> float:
    """The one threshold for every theme that maximises micro-F1 over all themes."""
    grid = np.arange(0.05, 0.951, 0.01)
    truth = Y.astype(bool)
    positives = truth.sum()
    f1s = np.empty(len(grid))
    for i, t in enumerate(grid):
        predicted = proba >= t
        tp = np.logical_and(predicted, truth).sum()
        denom = predicted.sum() + positives
        f1s[i] = 0.0 if denom == 0 else 2 * tp / denom
    return float(round(grid[int(np.argmax(f1s))], 2))


def _svm(c: float, tol: float, seed: int) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, class_weight="balanced", tol=tol, random_state=seed)


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of a sigmoid mapping one theme's scores to probabilities."""
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        # A theme that never (or always) occurs: a flat 0 (or 1) whatever the score.
        return 0.0, 30.0 if y[0] else -30.0
    # Nearly unregularised: two parameters fitted on thousands of rows.
    fitted = LogisticRegression(C=100.0).fit(scores[:, None], y)
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])


class ThemeHead:
    """One linear SVM per theme, its scores calibrated to probabilities, each with its threshold."""

    def __init__(self, labels: list[str], config: ModelConfig) -> None:
        self.labels = labels
        self.config = config
        self.estimators: list[Any] = []
        self.thresholds = np.full(len(labels), 0.5)
        self.constant: list[float | None] = []
        # Sigmoid slope and intercept per theme (rows: themes); identity until fitted.
        self.calibration = np.tile([1.0, 0.0], (len(labels), 1))

    def _fit_matrix(
        self, X: sp.csr_matrix, Y: np.ndarray, weights: np.ndarray | None
    ) -> tuple[list[Any], list[float | None]]:
        estimators: list[Any] = []
        constant: list[float | None] = []
        cfg = self.config
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():
                # A label that never (or always) occurs here: predict that constant.
                estimators.append(None)
                constant.append(float(y[0]))
                continue
            est = _svm(cfg.theme_svm_c, cfg.theme_tol, cfg.seed)
            est.fit(X, y, sample_weight=weights)
            estimators.append(est)
            constant.append(None)
        return estimators, constant

    @staticmethod
    def _scores(
        estimators: list[Any], constant: list[float | None], X: sp.csr_matrix
    ) -> np.ndarray:
        """SVM scores; a constant label scores at the margin (+1 always, -1 never)."""
        out = np.empty((X.shape[0], len(estimators)))
        for j, (est, const) in enumerate(zip(estimators, constant, strict=True)):
            out[:, j] = 2 * const - 1 if est is None else est.decision_function(X)
        return out

    def _calibrated(self, scores: np.ndarray) -> np.ndarray:
        slope, intercept = self.calibration[:, 0], self.calibration[:, 1]
        return expit(scores * slope + intercept)

    def fit(self, X: sp.csr_matrix, Y: np.ndarray, weights: np.ndarray | None) -> np.ndarray | None:
        """Fit, calibrating and choosing thresholds by cross-validation; returns
        out-of-fold probabilities."""
        from sklearn.model_selection import KFold

        cfg = self.config
        # liblinear works in float64: converting once here, not once per theme and fold,
        # saves about a third of the training time.
        X = sp.csr_matrix(X, dtype=np.float64)
        oof: np.ndarray | None = None
        folds = min(cfg.cv_folds, len(Y))
        if folds >= 2:
            scores = np.zeros(Y.shape, dtype=float)
            splitter = KFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
            for train_idx, val_idx in splitter.split(X):
                w = None if weights is None else weights[train_idx]
                est, const = self._fit_matrix(X[train_idx], Y[train_idx], w)
                scores[val_idx] = self._scores(est, const, X[val_idx])
            self.calibration = np.array([_platt(scores[:, j], Y[:, j]) for j in range(Y.shape[1])])
            oof = self._calibrated(scores)
            own = self.thresholds.copy()
            for j in range(Y.shape[1]):
                if Y[:, j].sum() >= cfg.min_positives_for_threshold:
                    own[j] = best_threshold(Y[:, j].astype(bool), oof[:, j])
            shared = best_shared_threshold(Y, oof)
            share = cfg.theme_threshold_own
            self.thresholds = np.round(share * own + (1 - share) * shared, 3)
        self.estimators, self.constant = self._fit_matrix(X, Y, weights)
        return oof

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        if not hasattr(self, "calibration"):
            # A model saved before calibration: its heads are logistic regressions.
            out = np.empty((X.shape[0], len(self.estimators)))
            for j, (est, const) in enumerate(zip(self.estimators, self.constant, strict=True)):
                out[:, j] = const if est is None else est.predict_proba(X)[:, 1]
            return out
        return self._calibrated(self._scores(self.estimators, self.constant, X))


class SingleLabelHead:
    """A multinomial classifier for kind or category, with out-of-fold predictions."""

    def __init__(self, labels: list[str], c: float, config: ModelConfig) -> None:
        self.labels = labels
        self.c = c
        self.config = config
        self.estimator: Any = None
        self.constant: str | None = None

    def fit(self, X: sp.csr_matrix, y: np.ndarray, weights: np.ndarray | None) -> np.ndarray | None:
        from sklearn.model_selection import StratifiedKFold

        present = sorted(set(y.tolist()))
        if len(present) == 1:
            self.constant = present[0]
            return None
        oof: np.ndarray | None = None
        counts = np.unique(y, return_counts=True)[1]
        folds = min(self.config.cv_folds, int(counts.min()))
        if folds >= 2:
            oof = np.zeros((len(y), len(self.labels)))
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.config.seed)
            for train_idx, val_idx in splitter.split(X, y):
                est = _multiclass(self.c, self.config.seed)
                est.fit(X[train_idx], y[train_idx], sample_weight=_sub(weights, train_idx))
                oof[val_idx] = self._aligned(est, X[val_idx])
        self.estimator = _multiclass(self.c, self.config.seed)
        self.estimator.fit(X, y, sample_weight=weights)
        return oof

    def _aligned(self, est: Any, X: sp.csr_matrix) -> np.ndarray:
        proba = est.predict_proba(X)
        out = np.zeros((X.shape[0], len(self.labels)))
        for j, cls in enumerate(est.classes_):
            out[:, self.labels.index(cls)] = proba[:, j]
        return out

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        if self.constant is not None:
            out = np.zeros((X.shape[0], len(self.labels)))
            out[:, self.labels.index(self.constant)] = 1.0
            return out
        return self._aligned(self.estimator, X)


def _sub(weights: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if weights is None else weights[idx]


@dataclass
class TrainingReport:
    """What training saw and measured (cross-validated, on the training data only)."""

    rows: int
    rows_per_head: dict[str, int]
    oof: dict[str, Any]


class ThemesModel:
    """A fitted model: text processor, features, heads and thresholds."""

    def __init__(self, taxonomy: Taxonomy, config: ModelConfig | None = None) -> None:
        self.taxonomy = taxonomy
        self.config = config or ModelConfig()
        self.processor = TextProcessor(self.config.text)
        self.featuriser = Featuriser(self.config)
        self.kind_head: SingleLabelHead | None = None
        self.category_head: SingleLabelHead | None = None
        self.theme_head: ThemeHead | None = None

    # ----------------------------------------------------------------- training
    def fit(self, data: LabelledData, progress: ProgressCallback | None = None) -> TrainingReport:
        """Fit every head that has labels; returns out-of-fold predictions for metrics."""
        say = progress or (lambda _msg: None)
        if len(data) == 0:
            raise TrainingError("no training rows; the file has a header but no data")
        say("normalising text")
        normalised = self.processor.normalise_many(data.texts)
        say("building features")
        X = self.featuriser.fit_transform(normalised)
        weights = None if data.weights is None else np.asarray(data.weights, dtype=float)
        rows_per_head: dict[str, int] = {}
        oof: dict[str, Any] = {}

        def single(name: str, values: list[str | None] | None, labels: list[str], c: float):
            if values is None or not labels:
                return None
            idx = np.array([i for i, v in enumerate(values) if v])
            if not len(idx):
                return None
            say(f"training {name} on {len(idx)} rows")
            head = SingleLabelHead(labels, c, self.config)
            y = np.array([values[i] for i in idx])
            oof[name] = (idx, y, head.fit(X[idx], y, _sub(weights, idx)))
            rows_per_head[name] = len(idx)
            return head

        self.kind_head = single("kind", data.kinds, self.taxonomy.kind_ids, self.config.kind_c)
        self.category_head = single(
            "category", data.categories, self.taxonomy.category_ids, self.config.category_c
        )

        if data.themes is not None and self.taxonomy.theme_ids:
            idx = np.array([i for i, t in enumerate(data.themes) if t is not None])
            if len(idx):
                say(f"training {len(self.taxonomy.theme_ids)} themes on {len(idx)} rows")
                labels = self.taxonomy.theme_ids
                Y = np.zeros((len(idx), len(labels)), dtype=int)
                for r, i in enumerate(idx):
                    for theme in data.themes[i] or []:
                        Y[r, labels.index(theme)] = 1
                self.theme_head = ThemeHead(labels, self.config)
                oof["themes"] = (idx, Y, self.theme_head.fit(X[idx], Y, _sub(weights, idx)))
                rows_per_head["themes"] = len(idx)

        if not rows_per_head:
            raise TrainingError(
                "no labelled rows: expected at least one of the label columns "
                "(kind, themes, category) to have values"
            )
        return TrainingReport(rows=len(data), rows_per_head=rows_per_head, oof=oof)

    # --------------------------------------------------------------- prediction
    @property
    def thresholds(self) -> dict[str, float]:
        if self.theme_head is None:
            return {}
        return dict(
            zip(self.theme_head.labels, map(float, self.theme_head.thresholds), strict=True)
        )

    def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Raw probabilities per head for a batch of texts."""
        normalised = self.processor.normalise_many(texts)
        X = self.featuriser.transform(normalised)
        out: dict[str, np.ndarray] = {}
        if self.kind_head is not None:
            out["kind"] = self.kind_head.predict_proba(X)
        if self.category_head is not None:
            out["category"] = self.category_head.predict_proba(X)
        if self.theme_head is not None:
            out["themes"] = self.theme_head.predict_proba(X)
        return out

    def predict(self, texts: Sequence[str], *, always_categorise: bool = False) -> list[Prediction]:
        """Suggestions for each text, in order.

        ``always_categorise`` gives a category even to records predicted as
        compliments (used when scoring category accuracy).
        """
        texts = [t if isinstance(t, str) else "" for t in texts]
        probs = self.probabilities(texts)
        return self.decide(texts, probs, always_categorise=always_categorise)

    def decide(
        self, texts: Sequence[str], probs: dict[str, np.ndarray], *, always_categorise: bool = False
    ) -> list[Prediction]:
        """Turn probabilities into suggestions, vectorised over the batch."""
        cfg = self.config
        n = len(texts)
        # Certainty of each decision: 1 at the extremes, 0.5 on the decision boundary.
        certainty = np.ones(n)
        kinds = [""] * n
        kind_p: np.ndarray | None = None
        if self.kind_head is not None:
            k_idx = probs["kind"].argmax(axis=1)
            kind_p = probs["kind"][np.arange(n), k_idx]
            labels = self.kind_head.labels
            kinds = [labels[j] for j in k_idx]
            certainty = np.minimum(certainty, kind_p)
        categories = [""] * n
        category_p: np.ndarray | None = None
        if self.category_head is not None:
            c_idx = probs["category"].argmax(axis=1)
            category_p = probs["category"][np.arange(n), c_idx]
            labels = self.category_head.labels
            categorised = [
                always_categorise or self.kind_head is None or k in self.taxonomy.categorised_kinds
                for k in kinds
            ]
            categories = [labels[j] if c else "" for j, c in zip(c_idx, categorised, strict=True)]
            mask = np.array(categorised)
            certainty = np.where(mask, np.minimum(certainty, category_p), certainty)
        theme_p: np.ndarray | None = None
        chosen: np.ndarray | None = None
        near: np.ndarray | None = None
        if self.theme_head is not None:
            theme_p = probs["themes"]
            t = self.theme_head.thresholds[None, :]
            chosen = theme_p >= t
            above = 0.5 + 0.5 * (theme_p - t) / np.maximum(1e-9, 1 - t)
            below = 0.5 + 0.5 * (t - theme_p) / np.maximum(1e-9, t)
            certainty = np.minimum(certainty, np.where(chosen, above, below).min(axis=1))
            near = np.abs(theme_p - t) < cfg.review_margin
        predictions = []
        theme_labels = self.theme_head.labels if self.theme_head is not None else []
        # Rounded once for the whole batch: per-value rounding was a visible share of tagging.
        rounded = np.round(theme_p, 4).tolist() if theme_p is not None else []
        for i in range(n):
            reasons: list[str] = []
            themes: list[str] = []
            theme_probs: dict[str, float] = {}
            if theme_p is not None and chosen is not None and near is not None:
                row = theme_p[i]
                theme_probs = dict(zip(theme_labels, rounded[i], strict=True))
                picked = np.flatnonzero(chosen[i])
                themes = [theme_labels[j] for j in picked[np.argsort(-row[picked])]]
                if not themes:
                    reasons.append("no theme above its threshold")
                if near[i].any():
                    names = ", ".join(theme_labels[j] for j in np.flatnonzero(near[i]))
                    reasons.append("near threshold: " + names)
            cat_prob = None
            if categories[i] and category_p is not None:
                cat_prob = round(float(category_p[i]), 4)
                if category_p[i] < cfg.category_review_below:
                    reasons.insert(0, "category uncertain")
            k_prob = None if kind_p is None else round(float(kind_p[i]), 4)
            if k_prob is not None and k_prob < cfg.kind_review_below:
                reasons.append("kind uncertain")
            if word_count(texts[i]) < cfg.min_words:
                reasons.append("text too short to judge")
            predictions.append(
                Prediction(
                    kind=kinds[i],
                    kind_probability=k_prob,
                    category=categories[i],
                    category_probability=cat_prob,
                    themes=themes,
                    theme_probabilities=theme_probs,
                    confidence=round(float(certainty[i]), 4),
                    needs_review=bool(reasons),
                    review_reasons=reasons,
                )
            )
        return predictions


def suppress_sklearn_warnings() -> None:
    """Silence convergence chatter that means nothing to an officer."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
