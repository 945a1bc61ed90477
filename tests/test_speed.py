"""The fast tagging path gives exactly what the straightforward computation gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from conftest import DATA
from themes.registry import load_model
from themes.text import TextConfig, TextProcessor, _placeholders

ODD_TEXTS = [
    "",
    "   ",
    "\n\n",
    "SW didn't call back!!  ICPC moved   to 3pm.",
    "email me at a.b@c.com or 07700 900123",
    "[NAME] said\tthe CP plan w/o info",
    "Ça va? naïve café — “quoted” ‘text’ 😀",
    "a\u00a0b\u2003c\u2028d\x1ce\x85f",
    "no. not. never... :) : ) can't ca n't U.S.A. e.g. Mr.",
    "https://example.org/x?y=1 www.foo.com £50.00 50% 1/2/2023",
    "aaaaaa aaaaaa a a a",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    frame = pd.read_csv(DATA / "test.csv", dtype=str, keep_default_na=False)
    return frame["text"].tolist()[:600] + ODD_TEXTS


@pytest.mark.parametrize(
    "config", [TextConfig(), TextConfig(lowercase=False, expand_abbreviations=False)]
)
def test_piecewise_normalisation_equals_spacy_docs(texts, config):
    processor = TextProcessor(config)
    prepared = [_placeholders(t) for t in texts]
    by_doc = [" ".join(processor._doc_words(d)) for d in processor.nlp.tokenizer.pipe(prepared)]
    assert processor.normalise_many(texts) == by_doc
    assert processor.normalise_many(texts) == by_doc  # again, from the cache


def test_featuriser_counts_equal_scikit_learn(small_model, texts):
    model = load_model(small_model).model
    normalised = model.processor.normalise_many(texts)
    f = model.featuriser
    expected = sp.hstack([f.word.transform(normalised), f.char.transform(normalised)], "csr")
    for _ in range(2):  # cold, then warm per-word cache
        got = f.transform(normalised)
        assert got.shape == expected.shape
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)
    # The cache is never saved with a model.
    assert "_char_ids" not in f.__getstate__()


def test_stacked_theme_heads_equal_each_estimator(small_model, texts):
    model = load_model(small_model).model
    head = model.theme_head
    X = model.featuriser.transform(model.processor.normalise_many(texts))
    expected = head._proba(head.estimators, head.constant, X)
    np.testing.assert_array_equal(head.predict_proba(X), expected)
    assert "_stacked" not in head.__getstate__()


def test_suggest_matches_predict(small_model, texts):
    model = load_model(small_model).model
    predictions = model.predict(texts)
    s = model.suggest(texts)
    assert s.kinds == [p.kind for p in predictions]
    assert s.themes == [p.themes for p in predictions]
    assert s.categories == [p.category for p in predictions]
    assert s.confidence == [p.confidence for p in predictions]
    assert s.review_reasons == [p.review_reasons for p in predictions]
