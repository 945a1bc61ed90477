"""The fast tagging path gives exactly what the straightforward computation gives."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from conftest import RUNNER, STARTER
from themes.cli import app
from themes.flows.tag import TagOptions, _scored_chunks, tag_file
from themes.model import TextConfig, ThemesModel
from themes.model.normaliser import Normaliser, _phrases, _placeholders
from themes.store import load_model

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
    frame = pd.read_csv(STARTER / "test.csv", dtype=str, keep_default_na=False)
    return frame["text"].tolist()[:600] + ODD_TEXTS


@pytest.mark.parametrize(
    "config", [TextConfig(), TextConfig(lowercase=False, expand_abbreviations=False)]
)
def test_piecewise_normalisation_equals_spacy_docs(texts, config):
    processor = Normaliser(config)
    prepared = [_placeholders(t) for t in texts]
    if config.expand_abbreviations:
        prepared = [_phrases(t) for t in prepared]
    by_doc = [" ".join(processor._doc_words(d)) for d in processor.nlp.tokenizer.pipe(prepared)]
    assert processor.normalise_many(texts) == by_doc
    assert processor.normalise_many(texts) == by_doc  # again, from the cache


def test_featuriser_counts_equal_scikit_learn(small_model, texts):
    model = load_model(small_model).model
    f = model.featuriser_
    normalised = f.normaliser_.transform(texts)
    word, char = f.step("word_tfidf"), f.step("char_tfidf")
    expected = sp.hstack(
        [word.plain_transform(normalised), char.plain_transform(normalised)], "csr"
    )
    for _ in range(2):  # cold, then warm per-word cache
        got = f.transform(texts)
        assert got.shape == expected.shape
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)
    # The cache is never saved with a model.
    assert not any(k.startswith("_cache") for k in char.__getstate__())


def test_stacked_theme_heads_equal_each_estimator(small_model, texts):
    model = load_model(small_model).model
    head = model.theme_head_
    X = model.featuriser_.transform(texts)
    # Each theme's own decision_function, then its calibration sigmoid.
    expected = head.calibrated(head.scores(head.estimators_, head.constant_, X))
    np.testing.assert_allclose(head.predict_proba(X), expected, rtol=1e-12, atol=1e-15)
    assert "_stacked" not in head.__getstate__()


def test_suggest_matches_predict(small_model, texts):
    model = load_model(small_model).model
    predictions = model.suggest(texts).predictions()
    s = model.suggest(texts)
    assert s.kinds == [p.kind for p in predictions]
    assert s.themes == [p.themes for p in predictions]
    assert s.categories == [p.category for p in predictions]
    assert s.confidence == [p.confidence for p in predictions]
    assert s.review_reasons == [p.review_reasons for p in predictions]


# ------------------------------------------------------------------ worker processes
@pytest.fixture(scope="module")
def many_rows(tmp_path_factory, corpus_train) -> Path:
    """A log of 230 rows, including empty texts and officer entries, for 60-row chunks."""
    frame = corpus_train.head(230)[["reference", "text", "kind", "themes"]].copy()
    frame.loc[[3, 70, 140], "text"] = ["", "   ", ""]
    frame.loc[frame.index % 3 == 0, ["kind", "themes"]] = ""
    path = tmp_path_factory.mktemp("many") / "many.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_jobs_2_writes_exactly_what_jobs_1_writes(small_model, many_rows, tmp_path, suffix):
    model = load_model(small_model).model
    outputs, summaries = [], []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}{suffix}"
        counted: list[int] = []
        options = TagOptions(chunk_rows=60, jobs=jobs)
        summaries.append(tag_file(model, many_rows, out, options, progress=counted.append))
        assert counted == [60, 60, 60, 50]
        outputs.append(out)
    if suffix == ".xlsx":
        frames = [pd.read_excel(p, dtype=str, keep_default_na=False) for p in outputs]
        pd.testing.assert_frame_equal(*frames)
    else:
        assert outputs[0].read_bytes() == outputs[1].read_bytes()
    assert summaries[0] == replace(summaries[1], output=summaries[0].output)
    assert multiprocessing.active_children() == []


def test_cli_jobs_option_gives_the_same_file(small_model, many_rows, tmp_path):
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"cli{jobs}.csv"
        args = ["tag", str(many_rows), "--out", str(out), "--model", str(small_model)]
        result = RUNNER.invoke(app, [*args, "--jobs", jobs])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    refused = RUNNER.invoke(app, [*args, "--jobs", "0"])
    assert refused.exit_code == 2


def test_worker_chunks_stay_in_order_and_bounded(small_model, corpus_train):
    model = load_model(small_model).model
    frame = corpus_train.head(100)[["reference", "text"]].reset_index(drop=True)
    pulled = []

    def chunks():
        for start in range(0, 100, 10):
            pulled.append(start)
            yield frame.iloc[start : start + 10]

    seen = []
    for chunk, texts, suggestions in _scored_chunks(model, chunks(), "text", jobs=2):
        # In flight: what was read but not yet handed back, at most jobs + 1.
        assert len(pulled) - len(seen) <= 3
        seen.append(chunk.index[0])
        assert suggestions.themes == model.suggest(texts).themes
    assert seen == list(range(0, 100, 10))


def _fail_on_marker(self, texts):
    if any("FAIL-HERE" in t for t in texts):
        raise ValueError("scoring failed")
    return _real_suggest(self, texts)


_real_suggest = ThemesModel.suggest


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="the patch reaches workers by fork"
)
def test_worker_error_reaches_the_caller_and_nothing_is_written(
    small_model, many_rows, tmp_path, monkeypatch
):
    frame = pd.read_csv(many_rows, dtype=str, keep_default_na=False)
    frame.loc[150, "text"] = "FAIL-HERE"
    source = tmp_path / "bad.csv"
    frame.to_csv(source, index=False)
    monkeypatch.setattr(ThemesModel, "suggest", _fail_on_marker)
    out = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="scoring failed"):
        tag_file(load_model(small_model).model, source, out, TagOptions(chunk_rows=20, jobs=2))
    assert list(tmp_path.iterdir()) == [source]  # no output, no partial file
    assert multiprocessing.active_children() == []


def test_interrupt_stops_workers_and_writes_nothing(small_model, many_rows, tmp_path):
    out = tmp_path / "out.csv"

    written: list[int] = []

    def interrupt(rows: int) -> None:
        # Ctrl-C after the third chunk: workers are running and more chunks are queued.
        written.append(rows)
        if len(written) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tag_file(
            load_model(small_model).model,
            many_rows,
            out,
            TagOptions(chunk_rows=20, jobs=2),
            progress=interrupt,
        )
    assert written == [20, 20, 20]
    assert list(tmp_path.iterdir()) == []
    assert multiprocessing.active_children() == []


def test_default_jobs_follows_idle_cores(monkeypatch):
    from themes.flows import tag as tagger

    monkeypatch.setattr(tagger.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    for load, expected in [(0.1, 2), (0.8, 1), (1.2, 1), (5.0, 1)]:
        monkeypatch.setattr(tagger.os, "getloadavg", lambda load=load: (load, load, load))
        assert tagger.default_jobs() == expected


@pytest.mark.parametrize("word_ngrams", [(1, 1), (1, 3), (2, 3)])
def test_featuriser_counts_for_other_ngram_ranges(texts, word_ngrams):
    from themes.model import Featuriser, ModelConfig

    f = Featuriser(
        ModelConfig(engine="fast", word_ngrams=word_ngrams, char_ngrams=(2, 4), min_df=1)
    )
    f.fit(texts[:400])
    normalised = f.normaliser_.transform(texts)
    word, char = f.step("word_tfidf"), f.step("char_tfidf")
    expected = sp.hstack(
        [word.plain_transform(normalised), char.plain_transform(normalised)], "csr"
    )
    got = f.transform(texts)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


ORPHAN_RUN = """
import sys
from themes.flows.tag import TagOptions, tag_file
from themes.store import load_model

calls = []

def stall(rows):
    calls.append(rows)
    if len(calls) == 2:  # the second chunk came from a worker
        print("written", flush=True)
        import time
        time.sleep(600)  # killed here, with workers started and chunks in flight

model = load_model(sys.argv[3]).model
tag_file(model, sys.argv[1], sys.argv[2], TagOptions(chunk_rows=20, jobs=2), progress=stall)
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="fork start method")
def test_workers_leave_when_the_main_process_is_killed(small_model, many_rows, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "run.py"
    script.write_text(ORPHAN_RUN)
    args = [sys.executable, str(script), str(many_rows), str(tmp_path / "o.csv"), str(small_model)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "written"
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _children(process.pid)
            time.sleep(0.05)
        assert len(workers) == 2
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    deadline = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if _alive(pid)]
    for pid in alive:  # do not leave them behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
