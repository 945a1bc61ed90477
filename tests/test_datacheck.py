"""The starter corpus passes its own checks, and the checks themselves catch problems."""

from pathlib import Path

import pandas as pd

from themes.datacheck import check_folder, check_frame, main, shared_runs
from themes.taxonomy import default_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"


def test_starter_corpus_passes_data_check(capsys):
    assert main([str(DATA)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "data-check: OK" in out and "complaint_themes" in out


def test_split_is_about_a_fifth_and_disjoint():
    train = pd.read_csv(DATA / "train.csv", dtype=str, keep_default_na=False)
    test = pd.read_csv(DATA / "test.csv", dtype=str, keep_default_na=False)
    assert 0.17 < len(test) / (len(train) + len(test)) < 0.23
    assert not set(train["reference"]) & set(test["reference"])
    assert not set(train["text"]) & set(test["text"])
    # Every theme and category is in the test split in roughly its overall share.
    counts = check_folder(DATA).counts
    for theme, n in counts["complaint_themes"].items():
        in_test = (
            test[test["kind"] == "complaint"]["themes"]
            .str.split(";")
            .map(lambda t, th=theme: th in t)
            .sum()
        )
        assert 0.12 < in_test / n < 0.28, theme


def test_shared_runs_are_found():
    texts = [
        "one two three four five six seven eight nine ten eleven",
        "unrelated words here",
        "zero one two three four five six seven eight nine ten",
    ]
    assert [(a, b) for a, b, _ in shared_runs(texts)] == [(0, 2)]
    assert shared_runs(texts[:2]) == []


def test_check_catches_bad_labels_and_dates():
    frame = pd.read_csv(DATA / "test.csv", dtype=str, keep_default_na=False).head(50).copy()
    frame.loc[0, "themes"] = "delays"
    frame.loc[1, "date_received"] = "not a date"
    frame.loc[2, "category"] = ""
    frame.loc[2, "kind"] = "complaint"
    result = check_frame(frame, default_taxonomy())
    text = " ".join(result.problems)
    assert "did you mean 'delay'" in text
    assert "unreadable date_received" in text
    assert "complaints have no category" in text
    assert "records; at least 2000" in text
