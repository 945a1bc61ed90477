"""Every command through typer's CliRunner: exit codes and messages, no tracebacks."""

import json
import shutil

import pandas as pd
import pytest

from conftest import FIXTURES as DATA
from conftest import STARTER, one_line_error
from conftest import run_cli as run


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("train", "tag", "suggest", "evaluate"):
        assert command in result.output


def test_train_evaluate_tag_suggest_round_trip(tmp_path, small_labelled, corpus_train):
    model = tmp_path / "model"
    result = run("train", small_labelled, "--out", model)
    assert result.exit_code == 0, result.output
    assert "Model written to" in result.output and (model / "meta.json").exists()

    held = tmp_path / "held.csv"
    corpus_train.iloc[400:500].to_csv(held, index=False)
    result = run("evaluate", held, "--model", model, "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["rows"] == 100 and "per_label" in metrics["themes"]
    assert set(metrics["category"]["confusion"]) == {
        "service_provision",
        "assessment_review",
        "staff",
    }
    result = run("evaluate", held, "--model", model)
    assert (
        result.exit_code == 0
        and "macro-F1" in result.output
        and "Category confusion" in result.output
    )

    out = tmp_path / "tagged.xlsx"
    result = run("tag", held, "--out", out, "--model", model)
    assert result.exit_code == 0, result.output
    tagged = pd.read_excel(out, dtype=str, keep_default_na=False)
    assert len(tagged) == 100
    assert tagged["reference"].tolist() == corpus_train.iloc[400:500]["reference"].tolist()

    result = run(
        "suggest",
        "Nobody rings me back and the CIN meeting was cancelled again",
        "--model",
        model,
        "--json",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["kind"]["label"] in {"complaint", "compliment", "comment"}
    assert isinstance(payload["themes"], list) and "confidence" in payload
    result = run(
        "suggest", "Nobody rings me back and the CIN meeting was cancelled again", "--model", model
    )
    assert result.exit_code == 0 and "Confidence" in result.output


def test_suggest_reads_a_file(tmp_path, small_model):
    letter = tmp_path / "letter.txt"
    letter.write_bytes("The £40 allowance hasn\u2019t been paid for three months.".encode("cp1252"))
    result = run("suggest", "--file", letter, "--model", small_model, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kind"]["label"]


def test_missing_text_column_is_one_line_listing_columns(tmp_path, small_model):
    # Not given, the text column is found and named on stderr (issue 18).
    result = run(
        "tag", DATA / "semicolon_bom.csv", "--out", tmp_path / "o.csv", "--model", small_model
    )
    assert result.exit_code == 0, result.output
    assert "text column: 'Summary'" in " ".join(result.stderr.split())
    # Given and missing, it is one line listing the columns.
    result = run(
        "tag",
        DATA / "semicolon_bom.csv",
        "--out",
        tmp_path / "o.csv",
        "--model",
        small_model,
        "--text-column",
        "text",
    )
    one_line_error(
        result,
        "column 'text' not found",
        "columns are: Ref, Summary, Received",
        "--text-column",
    )


def test_tag_with_named_text_column(tmp_path, small_model):
    out = tmp_path / "o.csv"
    result = run(
        "tag",
        DATA / "semicolon_bom.csv",
        "--out",
        out,
        "--model",
        small_model,
        "--text-column",
        "Summary",
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["Ref"].tolist() == ["S1", "S2"]


def test_windows1252_text_survives_unchanged(tmp_path, small_model):
    out = tmp_path / "o.csv"
    result = run("tag", DATA / "windows1252.csv", "--out", out, "--model", small_model)
    assert result.exit_code == 0, result.output
    original = pd.read_csv(
        DATA / "windows1252.csv", encoding="cp1252", dtype=str, keep_default_na=False
    )
    tagged = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert tagged["text"].tolist() == original["text"].tolist()
    assert "£150" in tagged.loc[0, "text"] and "\u2019" in tagged.loc[0, "text"]


def test_rows_and_order_kept_with_empty_texts(tmp_path, small_model, log_with_blanks):
    out = tmp_path / "o.jsonl"
    result = run("tag", log_with_blanks, "--out", out, "--model", small_model)
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["reference"] for r in rows] == ["L1", "L2", "L3", "L4", "L5"]
    assert [r["date_received"] for r in rows] == [
        "03/04/2023",
        "",
        "1 May 2023",
        "2023-06-01",
        "45000",
    ]
    assert rows[1]["needs_review"] is True and rows[3]["needs_review"] is True
    assert "2 rows had no text" in result.output


def test_refuses_to_overwrite_input(tmp_path, small_model, log_with_blanks):
    before = log_with_blanks.read_bytes()
    result = run("tag", log_with_blanks, "--out", log_with_blanks, "--model", small_model)
    one_line_error(result, "is the input file")
    assert log_with_blanks.read_bytes() == before


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["tag", "nothere.csv", "--out", "o.csv"], ["not found"]),
        (["tag", str(DATA / "empty.csv"), "--out", "o.csv"], ["is empty"]),
        (["tag", str(DATA / "malformed.csv"), "--out", "o.csv"], ["not a well-formed CSV"]),
        (["tag", str(DATA / "windows1252.csv"), "--out", "o.docx"], ["expected one of"]),
    ],
)
def test_bad_input_files(tmp_path, small_model, monkeypatch, args, fragments):
    monkeypatch.chdir(tmp_path)
    one_line_error(run(*args, "--model", small_model), *fragments)


def test_bad_model_folders(tmp_path, small_model, log_with_blanks):
    one_line_error(
        run("tag", log_with_blanks, "--out", tmp_path / "o.csv", "--model", tmp_path / "none"),
        "not found",
    )
    broken = tmp_path / "broken"
    shutil.copytree(small_model, broken)
    (broken / "meta.json").write_text("{not json")
    one_line_error(
        run("tag", log_with_blanks, "--out", tmp_path / "o.csv", "--model", broken), "corrupt"
    )


def test_bad_taxonomy_and_unknown_labels(tmp_path, small_labelled):
    one_line_error(
        run(
            "train",
            small_labelled,
            "--out",
            tmp_path / "m",
            "--taxonomy",
            DATA / "bad_taxonomy.yaml",
        ),
        "duplicate themes id 'delay'",
    )
    frame = pd.read_csv(small_labelled, dtype=str, keep_default_na=False).head(50)
    frame.loc[3, "themes"] = "delay;comunication"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    one_line_error(run("train", bad, "--out", tmp_path / "m"), "did you mean 'communication'")
    one_line_error(
        run(
            "train",
            bad,
            "--out",
            tmp_path / "m",
            "--taxonomy",
            STARTER / "taxonomy.yaml",
        ),
        "did you mean 'communication'",
        "first at row 5, reference",
    )


def test_own_taxonomy_trains(tmp_path):
    rows = [
        {"text": f"nobody returned my calls about {i}", "themes": "calls", "category": "service"}
        for i in range(15)
    ]
    rows += [
        {"text": f"the worker was rude to me on {i}", "themes": "attitude", "category": "staff"}
        for i in range(15)
    ]
    data = tmp_path / "own.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    result = run("train", data, "--out", tmp_path / "m", "--taxonomy", DATA / "own_taxonomy.yaml")
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert [t["id"] for t in meta["taxonomy"]["themes"]] == ["calls", "attitude"]


def test_suggest_without_text(small_model):
    one_line_error(run("suggest", "--model", small_model), "no text given")


def test_report_from_tagged_demo_log(tmp_path):
    """tag the shipped sample, then build the report from its suggestions."""
    tagged = tmp_path / "tagged.csv"
    sample = STARTER / "sample_log.csv"
    assert run("tag", sample, "--out", tagged).exit_code == 0
    out = tmp_path / "report"
    result = run("report", tagged, "--out", out, "--year", "2023/24")
    assert result.exit_code == 0, result.output
    assert "Labels used" in result.output
    assert (out / "report.md").exists() and (out / "report.xlsx").exists()
    table = pd.read_csv(out / "tables" / "category_outcome.csv")
    total_row = table[table.iloc[:, 0] == "Total"]
    frame = pd.read_csv(sample, dtype=str, keep_default_na=False)
    year = frame[(frame["date_received"] >= "2023-04-01") & (frame["kind"] == "complaint")]
    # One row per complaint (the stage column is the highest reached): each counts once.
    assert int(total_row["Total"].iloc[0]) == len(year)
    assert "Columns read" in result.output
    assert sorted(p.name for p in (out / "charts").glob("*.png"))


def test_report_bad_year_is_one_line(tmp_path):
    sample = STARTER / "sample_log.csv"
    one_line_error(run("report", sample, "--out", tmp_path / "r", "--year", "1999/00"), "1999/00")
