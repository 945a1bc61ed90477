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
from themes.practice import PracticeRules
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
    # The council's rules (themes.practice) that changed this suggestion, in short.
    practice: list[str] = field(default_factory=list)


@dataclass
class Suggestions:
    """Suggestions for a batch of texts, one list per field (item i is for text i)."""

    kinds: list[str]
    kind_probabilities: list[float | None]
    categories: list[str]
    category_probabilities: list[float | None]
    themes: list[list[str]]  # most probable first
    theme_probabilities: np.ndarray | None  # texts x themes, unrounded
    confidence: list[float]
    review_reasons: list[list[str]]  # empty: no review needed
    # The council's rules (themes.practice) that changed each suggestion, in short.
    practice: list[list[str]] = field(default_factory=list)


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

    def __getstate__(self) -> dict[str, Any]:
        # The per-word feature cache is rebuilt on use, never saved with a model.
        state = dict(self.__dict__)
        state.pop("_char_ids", None)
        return state

    def transform(self, normalised: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF features of normalised texts, equal to the vectorisers' own ``transform``.

        Counting is done here rather than by scikit-learn, whose per-n-gram Python loop
        was the largest cost of tagging; the TF-IDF weighting and normalisation are
        still scikit-learn's, applied to the same count matrix.
        """
        texts = list(normalised)
        parts = [self._tfidf(self.word, texts)]
        if self.char is not None:
            parts.append(self._tfidf(self.char, texts))
        return sp.hstack(parts, format="csr")

    def _tfidf(self, vectoriser: Any, texts: list[str]) -> sp.csr_matrix:
        if vectoriser is self.word and _plain_word_vectoriser(vectoriser):
            counts = self._word_counts(texts)
        elif vectoriser is self.char and isinstance(vectoriser.analyzer, CharNgrams):
            counts = self._char_counts(texts)
        else:
            return vectoriser.transform(texts)
        if vectoriser.binary:
            counts.data.fill(1)
        return vectoriser._tfidf.transform(counts, copy=False)

    def _word_counts(self, texts: list[str]) -> sp.csr_matrix:
        """Word n-gram counts (as CountVectorizer with token pattern \\S+ would count)."""
        vocabulary = self.word.vocabulary_
        get = vocabulary.get
        min_n, max_n = self.word.ngram_range
        columns: list[int] = []
        indptr = [0]
        for text in texts:
            tokens = text.split()
            grams = list(tokens) if min_n == 1 else []
            for n in range(max(min_n, 2), max_n + 1):
                if n == 2:  # the default; pairs by zip are cheaper than slices
                    grams += [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
                else:
                    grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
            columns.extend([j for j in map(get, grams) if j is not None])
            indptr.append(len(columns))
        counts = sp.csr_matrix(
            (
                np.ones(len(columns), dtype=self.word.dtype),
                np.asarray(columns, dtype=np.int32),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(texts), len(vocabulary)),
        )
        counts.sum_duplicates()  # sums repeats and sorts indices, as scikit-learn's are
        return counts

    def _char_counts(self, texts: list[str]) -> sp.csr_matrix:
        """Character n-gram counts: (texts x words) @ (words x n-grams), with each word's
        in-vocabulary n-grams worked out once per process."""
        assert self.char is not None
        vectoriser = self.char
        vocabulary = vectoriser.vocabulary_
        analyzer: CharNgrams = vectoriser.analyzer
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_char_ids", {})
        word_ids: dict[str, int] = {}
        add = word_ids.setdefault
        columns: list[int] = []
        indptr = [0]
        for text in texts:
            columns.extend([add(word, len(word_ids)) for word in text.split()])
            indptr.append(len(columns))
        grams: list[np.ndarray] = []
        for word in word_ids:
            ids = cache.get(word)
            if ids is None:
                found = [vocabulary.get(g) for g in analyzer._word(word)]
                ids = np.array([j for j in found if j is not None], dtype=np.int32)
                if len(cache) < 500_000:
                    cache[word] = ids
            grams.append(ids)
        dtype = vectoriser.dtype
        lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        word_grams = sp.csr_matrix(
            (
                np.ones(int(lengths.sum()), dtype=dtype),
                np.concatenate(grams) if grams else np.zeros(0, dtype=np.int32),
                np.concatenate([[0], np.cumsum(lengths)]),
            ),
            shape=(len(word_ids), len(vocabulary)),
        )
        text_words = sp.csr_matrix(
            (
                np.ones(len(columns), dtype=dtype),
                np.asarray(columns, dtype=np.int32),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(texts), len(word_ids)),
        )
        counts = sp.csr_matrix(text_words @ word_grams)
        counts.sum_duplicates()
        return counts


def _plain_word_vectoriser(vectoriser: Any) -> bool:
    """Whether a word vectoriser is configured as Featuriser makes it (so counts match)."""
    return (
        vectoriser.analyzer == "word"
        and vectoriser.token_pattern == r"\S+"
        and vectoriser.tokenizer is None
        and vectoriser.preprocessor is None
        and not vectoriser.lowercase
        and vectoriser.strip_accents is None
        and vectoriser.stop_words is None
        and vectoriser.input == "content"
    )


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

    def __getstate__(self) -> dict[str, Any]:
        # The stacked coefficients are derived from the estimators: never saved twice.
        state = dict(self.__dict__)
        state.pop("_stacked", None)
        return state

    def _stacked_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Every theme's coefficients as one (features x themes) matrix, and intercepts.

        Constant themes get zero weights; their column is overwritten after scoring.
        """
        stacked = self.__dict__.get("_stacked")
        if stacked is None:
            fitted = [est for est in self.estimators if est is not None]
            n_features = fitted[0].coef_.shape[1] if fitted else 0
            weights = np.zeros((n_features, len(self.estimators)))
            intercepts = np.zeros(len(self.estimators))
            for j, est in enumerate(self.estimators):
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
        if all(_plain_linear(est) for est in self.estimators):
            weights, intercepts = self._stacked_weights()
            scores = np.asarray(X @ weights) + intercepts
            for j, const in enumerate(self.constant):
                if const is not None:
                    scores[:, j] = 2 * const - 1
        else:
            scores = self._scores(self.estimators, self.constant, X)
        if "calibration" not in self.__dict__:
            # A model saved before calibration: its heads are binary liblinear logistic
            # regressions, whose probability is the logistic of the score.
            out = expit(scores)
            for j, const in enumerate(self.constant):
                if const is not None:
                    out[:, j] = const
            return out
        return self._calibrated(scores)


def _plain_linear(est: Any) -> bool:
    """Whether an estimator's decision function is X @ coef + intercept for one class."""
    return est is None or (len(getattr(est, "classes_", ())) == 2 and est.coef_.shape[0] == 1)


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
        # A council's habits learnt from its corrections (themes.practice); set by retrain.
        self.practice: PracticeRules | None = None

    # ----------------------------------------------------------------- training
    def fit(self, data: LabelledData, progress: ProgressCallback | None = None) -> TrainingReport:
        """Fit every head that has labels; returns out-of-fold predictions for metrics."""
        say = progress or (lambda _msg: None)
        self.practice = None
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

    def suggest(self, texts: Sequence[str]) -> Suggestions:
        """Suggestions for a batch of texts as columns (what batch tagging writes).

        The same decisions as ``predict`` without building a Prediction per text.
        """
        texts = [t if isinstance(t, str) else "" for t in texts]
        return self.suggestions(texts, self.probabilities(texts))

    def decide(
        self, texts: Sequence[str], probs: dict[str, np.ndarray], *, always_categorise: bool = False
    ) -> list[Prediction]:
        """Turn probabilities into suggestions, one Prediction per text."""
        s = self.suggestions(texts, probs, always_categorise=always_categorise)
        theme_labels = self.theme_head.labels if self.theme_head is not None else []
        rounded = (
            np.round(s.theme_probabilities, 4).tolist()
            if s.theme_probabilities is not None
            else [[] for _ in texts]
        )
        return [
            Prediction(
                kind=s.kinds[i],
                kind_probability=s.kind_probabilities[i],
                category=s.categories[i],
                category_probability=s.category_probabilities[i],
                themes=s.themes[i],
                theme_probabilities=dict(zip(theme_labels, rounded[i], strict=True)),
                confidence=s.confidence[i],
                needs_review=bool(s.review_reasons[i]),
                review_reasons=s.review_reasons[i],
                practice=s.practice[i],
            )
            for i in range(len(texts))
        ]

    def suggestions(
        self, texts: Sequence[str], probs: dict[str, np.ndarray], *, always_categorise: bool = False
    ) -> Suggestions:
        """Turn probabilities into suggestions, vectorised over the batch."""
        cfg = self.config
        n = len(texts)
        # Certainty of each decision: 1 at the extremes, 0.5 on the decision boundary.
        certainty = np.ones(n)
        kinds = [""] * n
        kind_probs: list[float | None] = [None] * n
        if self.kind_head is not None:
            k_idx = probs["kind"].argmax(axis=1)
            kind_p = probs["kind"][np.arange(n), k_idx]
            labels = self.kind_head.labels
            kinds = [labels[j] for j in k_idx]
            kind_probs = [round(x, 4) for x in kind_p.tolist()]
            certainty = np.minimum(certainty, kind_p)
        c_idx: np.ndarray | None = None
        if self.category_head is not None:
            c_idx = probs["category"].argmax(axis=1)
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

        # The council's rules act on the text model's decisions; certainty stays the text
        # model's, about its own decisions (models saved before rules have no attribute).
        practice = getattr(self, "practice", None)
        applied: list[list[str]] = [[] for _ in range(n)]
        rule_set_category = np.zeros(n, dtype=bool)
        if practice and chosen is not None:
            before = c_idx
            chosen, c_idx, applied = practice.apply(chosen, c_idx)
            if before is not None and c_idx is not None:
                rule_set_category = c_idx != before

        categories = [""] * n
        category_probs: list[float | None] = [None] * n
        category_uncertain = [False] * n
        if self.category_head is not None and c_idx is not None:
            category_p = probs["category"][np.arange(n), c_idx]
            labels = self.category_head.labels
            categorised = [
                always_categorise or self.kind_head is None or k in self.taxonomy.categorised_kinds
                for k in kinds
            ]
            categories = [labels[j] if c else "" for j, c in zip(c_idx, categorised, strict=True)]
            mask = np.array(categorised, dtype=bool) & ~rule_set_category
            certainty = np.where(mask, np.minimum(certainty, category_p), certainty)
            low = ((category_p < cfg.category_review_below) & ~rule_set_category).tolist()
            for i, (category, p) in enumerate(zip(categories, category_p.tolist(), strict=True)):
                if category:
                    category_probs[i] = round(p, 4)
                    category_uncertain[i] = low[i]

        themes: list[list[str]] = [[] for _ in range(n)]
        no_theme = [False] * n
        near_names: list[str | None] = [None] * n
        if self.theme_head is not None and theme_p is not None and chosen is not None:
            assert near is not None
            theme_labels = self.theme_head.labels
            # Rows are visited only where something was picked or is near a threshold.
            picks = chosen.sum(axis=1)
            no_theme = (picks == 0).tolist()
            rows, cols = np.nonzero(chosen)
            starts = np.concatenate([[0], np.cumsum(picks)]).tolist()
            for i in np.flatnonzero(picks).tolist():
                picked = cols[starts[i] : starts[i + 1]]
                if len(picked) > 1:
                    picked = picked[np.argsort(-theme_p[i, picked])]
                themes[i] = [theme_labels[j] for j in picked.tolist()]
            for i in np.flatnonzero(near.any(axis=1)).tolist():
                near_names[i] = ", ".join(theme_labels[j] for j in np.flatnonzero(near[i]))
        reasons: list[list[str]] = []
        for i in range(n):
            row: list[str] = []
            if category_uncertain[i]:
                row.append("category uncertain")
            if no_theme[i]:
                row.append("no theme above its threshold")
            if near_names[i] is not None:
                row.append("near threshold: " + str(near_names[i]))
            k_prob = kind_probs[i]
            if k_prob is not None and k_prob < cfg.kind_review_below:
                row.append("kind uncertain")
            if word_count(texts[i]) < cfg.min_words:
                row.append("text too short to judge")
            reasons.append(row)
        return Suggestions(
            kinds=kinds,
            kind_probabilities=kind_probs,
            categories=categories,
            category_probabilities=category_probs,
            themes=themes,
            theme_probabilities=theme_p,
            confidence=[round(x, 4) for x in certainty.tolist()],
            review_reasons=reasons,
            practice=applied,
        )


def suppress_sklearn_warnings() -> None:
    """Silence convergence chatter that means nothing to an officer."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
