"""The starter corpus passes its own checks, and the checks themselves catch problems."""

from pathlib import Path

import pandas as pd

from themes.datacheck import check_folder, check_frame, main, near_duplicates, shared_runs
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
    assert "records; at least 6000" in text


def test_registers_and_near_duplicates_are_checked():
    frame = pd.read_csv(DATA / "test.csv", dtype=str, keep_default_na=False).head(60).copy()
    frame.loc[0, "register"] = "tweet"
    frame.loc[5, "text"] = frame.loc[4, "text"] + " Thanks."
    result = check_frame(frame, default_taxonomy())
    text = " ".join(result.problems)
    assert "register has unexpected values: ['tweet']" in text
    refs = frame["reference"].tolist()
    assert f"records {refs[4]} and {refs[5]} are near-duplicates" in text
    assert "register comment has" in text  # 60 rows cannot meet the per-register minimum


def test_near_duplicates_threshold():
    texts = [
        "The social worker did not ring me back after the conference in May, and nobody"
        " sent me the minutes or the plan, so I still do not know what was agreed for my son.",
        "The social worker did not ring me back after the conference in May, and nobody"
        " sent me the minutes or the plan, so I still do not know what was agreed for my boy.",
        "Foster carer thanked the team for the respite weekend.",
    ]
    assert [(a, b) for a, b, _ in near_duplicates(texts)] == [(0, 1)]
    assert near_duplicates(texts, threshold=0.99) == []


def test_heldout_set_is_checked_and_separate():
    counts = check_folder(DATA).counts
    assert sum(counts["heldout_registers"].values()) >= 400
    heldout = pd.read_csv(DATA / "heldout.csv", dtype=str, keep_default_na=False)
    corpus = pd.concat([pd.read_csv(DATA / f"{s}.csv", dtype=str) for s in ("train", "test")])
    assert not set(heldout["text"]) & set(corpus["text"])
