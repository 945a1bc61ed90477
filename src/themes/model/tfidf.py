"""Word and character TF-IDF feature steps, with a fast counting path for tagging.

Each step is a scikit-learn transformer holding a fitted ``TfidfVectorizer``
(``vectorizer_``). ``transform`` counts n-grams itself rather than through
scikit-learn, whose per-n-gram Python loop was the largest cost of tagging, then
weighs the counts exactly as the vectoriser does (sublinear tf, idf, l2 norm) from
its public ``idf_``, ``sublinear_tf`` and ``norm``. ``plain_transform`` is the
vectoriser's own transform; tests check the two agree to the last bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize

# Distinct words remembered per process (bounded so memory stays flat).
_CACHE_LIMIT = 500_000


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

    def word(self, word: str) -> list[str]:
        """The n-grams of one word, padded with a space each side."""
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
                grams = self.word(word)
                if len(cache) < _CACHE_LIMIT:
                    cache[word] = grams
            out.extend(grams)
        return out


def weigh(vectorizer: Any, counts: sp.csr_matrix) -> sp.csr_matrix:
    """TF-IDF of a count matrix, as ``vectorizer.transform`` computes it from the same counts."""
    if vectorizer.binary:
        counts.data.fill(1)
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if vectorizer.use_idf:
        counts.data *= vectorizer.idf_[counts.indices]
    if vectorizer.norm is not None:
        counts = normalize(counts, norm=vectorizer.norm, copy=False)
    return counts


class _TfidfStep(TransformerMixin, BaseEstimator):
    """Shared fitting of a TF-IDF step; subclasses build the vectoriser and count fast."""

    def __init__(
        self, ngram_range: tuple[int, int] = (1, 2), min_df: int = 2, max_features: int = 200_000
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features

    def _vectorizer(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X: Sequence[str], y: Any = None) -> _TfidfStep:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Sequence[str], y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        self.vectorizer_ = self._vectorizer()
        out = self.vectorizer_.fit_transform(X)
        # The terms cut by min_df are only kept for introspection; they include words
        # seen once (names, addresses), so they are dropped before the model is saved.
        if hasattr(self.vectorizer_, "stop_words_"):
            del self.vectorizer_.stop_words_
        return out

    def plain_transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """The vectoriser's own transform (the reference the fast path is tested against)."""
        return self.vectorizer_.transform(X)

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        counts = self._counts(list(X))
        if counts is None:
            return self.plain_transform(X)
        return weigh(self.vectorizer_, counts)

    def _counts(self, texts: list[str]) -> sp.csr_matrix | None:  # pragma: no cover
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        # Per-process caches are rebuilt on use, never saved with a model.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_cache")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _csr(data_len: int, columns: Any, indptr: Any, shape: tuple[int, int], dtype: Any):
    return sp.csr_matrix(
        (
            np.ones(data_len, dtype=dtype),
            np.asarray(columns, dtype=np.int32),
            np.asarray(indptr, dtype=np.int64),
        ),
        shape=shape,
    )


class WordTfidf(_TfidfStep):
    """TF-IDF of word n-grams of normalised text (tokens are the space-separated words)."""

    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            analyzer="word",
            token_pattern=r"\S+",
            lowercase=False,
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )

    def _counts(self, texts: list[str]) -> sp.csr_matrix | None:
        """Word n-gram counts (as CountVectorizer with token pattern \\S+ would count)."""
        v = self.vectorizer_
        plain = (
            v.analyzer == "word"
            and v.token_pattern == r"\S+"
            and v.tokenizer is None
            and v.preprocessor is None
            and not v.lowercase
            and v.strip_accents is None
            and v.stop_words is None
            and v.input == "content"
        )
        if not plain:
            return None
        get = v.vocabulary_.get
        min_n, max_n = v.ngram_range
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
        shape = (len(texts), len(v.vocabulary_))
        counts = _csr(len(columns), columns, indptr, shape, v.dtype)
        counts.sum_duplicates()  # sums repeats and sorts indices, as scikit-learn's are
        return counts


class CharTfidf(_TfidfStep):
    """TF-IDF of character n-grams within words of normalised text."""

    def __init__(
        self, ngram_range: tuple[int, int] = (2, 5), min_df: int = 2, max_features: int = 300_000
    ) -> None:
        super().__init__(ngram_range, min_df, max_features)

    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            analyzer=CharNgrams(tuple(self.ngram_range)),
            lowercase=False,
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )

    def _counts(self, texts: list[str]) -> sp.csr_matrix | None:
        """Character n-gram counts: (texts x words) @ (words x n-grams), with each word's
        in-vocabulary n-grams worked out once per process."""
        v = self.vectorizer_
        if not isinstance(v.analyzer, CharNgrams):
            return None
        vocabulary = v.vocabulary_
        analyzer: CharNgrams = v.analyzer
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_cache_char_ids", {})
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
                found = [vocabulary.get(g) for g in analyzer.word(word)]
                ids = np.array([j for j in found if j is not None], dtype=np.int32)
                if len(cache) < _CACHE_LIMIT:
                    cache[word] = ids
            grams.append(ids)
        lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        word_grams = sp.csr_matrix(
            (
                np.ones(int(lengths.sum()), dtype=v.dtype),
                np.concatenate(grams) if grams else np.zeros(0, dtype=np.int32),
                np.concatenate([[0], np.cumsum(lengths)]),
            ),
            shape=(len(word_ids), len(vocabulary)),
        )
        text_words = _csr(len(columns), columns, indptr, (len(texts), len(word_ids)), v.dtype)
        counts = sp.csr_matrix(text_words @ word_grams)
        counts.sum_duplicates()
        return counts


def fitted_step(step_class: type[_TfidfStep], vectorizer: Any) -> _TfidfStep:
    """A step around an already fitted vectoriser (used to upgrade older model files)."""
    step = step_class(
        ngram_range=tuple(
            vectorizer.ngram_range
            if not isinstance(vectorizer.analyzer, CharNgrams)
            else vectorizer.analyzer.ngram_range
        ),
        min_df=vectorizer.min_df,
        max_features=vectorizer.max_features,
    )
    step.vectorizer_ = vectorizer
    return step
