"""`themes serve`: review files in the page's API: opened in review-queue order, corrected,
saved atomically in the same format, retrained from, and versions switched (issue 14)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from conftest import RUNNER as runner  # noqa: E402
from themes.cli import app as cli_app  # noqa: E402
from themes.flows.tag import TagOptions, tag_file  # noqa: E402
from themes.io import read_table  # noqa: E402
from themes.serve import ServeSettings, create_app  # noqa: E402
from themes.store import load_model  # noqa: E402

MARKER = "QZX#7741#MARKER"
# A local server answers only requests addressed to this machine.
LOCAL = "http://127.0.0.1:8765"


@pytest.fixture()
def folder(tmp_path, small_model, corpus_train) -> Path:
    """A folder with a review file (CSV and Excel) tagged by the small model, plus an
    officer's own column and a row with a marker in its text."""
    here = tmp_path / "reviews"
    here.mkdir()
    log = tmp_path / "log.csv"
    rows = corpus_train.iloc[400:440][["reference", "date_received", "text"]].copy()
    rows["officer_note"] = [f"note {i:03d}" for i in range(len(rows))]
    rows.iloc[3, rows.columns.get_loc("text")] = "Nobody rang me back " + MARKER
    rows.to_csv(log, index=False)
    model = load_model(small_model).model
    tag_file(model, log, here / "review.csv", TagOptions(jobs=1))
    tag_file(model, log, here / "review.xlsx", TagOptions(jobs=1))
    (here / "notes.txt").write_text("not a review file")
    return here


@pytest.fixture()
def client(small_model, folder, tmp_path) -> TestClient:
    settings = ServeSettings(model=small_model, registry=tmp_path / "models", folder=folder)
    with TestClient(create_app(settings), base_url=LOCAL) as test_client:
        yield test_client


def test_lists_and_opens_review_files_in_queue_order(client, folder, small_model, tmp_path):
    assert client.get("/api/review/files").json() == {
        "folder": True,
        "files": ["review.csv", "review.xlsx"],
    }
    opened = client.post("/api/review/open", json={"file": "review.csv"}).json()
    rows = opened["rows"]
    assert len(rows) == 40 and sorted(r["row"] for r in rows) == list(range(40))
    queue_out = tmp_path / "queue.csv"
    done = runner.invoke(
        cli_app,
        [
            "review-queue",
            str(folder / "review.csv"),
            "--out",
            str(queue_out),
            "--model",
            str(small_model),
        ],
    )
    assert done.exit_code == 0, done.output
    queue = pd.read_csv(queue_out, dtype=str, keep_default_na=False)
    assert 0 < len(queue) < 40 and opened["queued"] == len(queue)
    # The queue's rows first, in its order, with its reasons; then the rest in file order.
    assert [r["reference"] for r in rows[: len(queue)]] == list(queue["reference"])
    assert [r["queue_reason"] for r in rows[: len(queue)]] == list(queue["queue_reason"])
    rest = [r["row"] for r in rows[len(queue) :]]
    assert rest == sorted(rest) and all(r["queue_rank"] is None for r in rows[len(queue) :])
    first = rows[0]
    assert first["line"] == first["row"] + 2  # spreadsheet row number (header on row 1)
    assert first["suggested"]["suggested_kind"] in {"complaint", "compliment", "comment"}


@pytest.mark.parametrize("name", ["review.csv", "review.xlsx"])
def test_a_correction_is_saved_in_place_and_nothing_else_changes(client, folder, name):
    before = read_table(folder / name)
    opened = client.post("/api/review/open", json={"file": name}).json()
    target = opened["rows"][0]
    theme_ids = [t["id"] for t in client.get("/api/taxonomy").json()["themes"]]
    new_themes = [t for t in theme_ids if t not in target["themes"]][:2]
    edit = {
        "row": target["row"],
        "kind": "complaint",
        "category": "staff",
        "themes": new_themes,
        "reviewed": True,
    }
    saved = client.post(f"/api/review/{opened['id']}/save", json={"edits": [edit]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["saved"] == name
    after = read_table(folder / name)
    assert list(after.columns) == list(before.columns)
    assert len(after) == len(before)
    i = target["row"]
    assert after.at[i, "kind"] == "complaint" and after.at[i, "category"] == "staff"
    assert after.at[i, "themes"] == ";".join(new_themes)
    assert after.at[i, "reviewed"] == "yes"
    untouched = [c for c in before.columns if c not in ("kind", "category", "themes", "reviewed")]
    pd.testing.assert_frame_equal(after[untouched], before[untouched])
    others = before.index != i
    pd.testing.assert_frame_equal(after[others], before[others])
    assert not list(folder.glob(".*.part"))  # written through a temporary file, renamed
    # Opened again, the row shows the correction.
    again = client.post("/api/review/open", json={"file": name}).json()
    row = next(r for r in again["rows"] if r["row"] == i)
    assert (row["kind"], row["category"], row["themes"], row["reviewed"]) == (
        "complaint",
        "staff",
        new_themes,
        True,
    )


def test_save_as_writes_a_new_file_and_leaves_the_original(client, folder):
    original = (folder / "review.csv").read_bytes()
    opened = client.post("/api/review/open", json={"file": "review.csv"}).json()
    edit = {"row": 5, "kind": "compliment", "category": "", "themes": [], "reviewed": True}
    done = client.post(
        f"/api/review/{opened['id']}/save", json={"edits": [edit], "save_as": "checked.csv"}
    )
    assert done.status_code == 200 and done.json()["saved"] == "checked.csv"
    assert (folder / "review.csv").read_bytes() == original
    checked = read_table(folder / "checked.csv")
    assert checked.at[5, "kind"] == "compliment" and checked.at[5, "reviewed"] == "yes"
    again = client.post(
        f"/api/review/{opened['id']}/save", json={"edits": [], "save_as": "review.csv"}
    )
    assert again.status_code == 422 and "already exists" in again.json()["error"]
    wrong = client.post(
        f"/api/review/{opened['id']}/save", json={"edits": [], "save_as": "other.xlsx"}
    )
    assert wrong.status_code == 422 and ".csv" in wrong.json()["error"]


def test_bad_corrections_and_names_are_refused_without_text(client, folder, caplog):
    caplog.set_level(logging.INFO)
    original = (folder / "review.csv").read_bytes()
    opened = client.post("/api/review/open", json={"file": "review.csv"}).json()
    url = f"/api/review/{opened['id']}/save"
    cases = [
        ({"edits": [{"row": 3, "kind": MARKER}]}, "row 5: the kind"),
        ({"edits": [{"row": 3, "themes": [MARKER]}]}, "row 5: 1 theme(s)"),
        ({"edits": [{"row": 3, "category": MARKER}]}, "row 5: the category"),
        ({"edits": [{"row": 400}]}, "no data row 400"),
        ({"edits": [{"row": "3"}]}, "edits[0].row must be a whole number"),
    ]
    for body, says in cases:
        response = client.post(url, json=body)
        assert response.status_code == 422, response.text
        assert says in response.json()["error"]
        assert MARKER not in response.text
    assert (folder / "review.csv").read_bytes() == original
    for name in ["../review.csv", "/etc/passwd", ".hidden.csv", "notes.txt", "missing.csv"]:
        response = client.post("/api/review/open", json={"file": name})
        assert response.status_code == 422, name
    assert client.post("/api/review/nope/save", json={"edits": []}).status_code == 404
    for record in caplog.records:
        assert MARKER not in record.getMessage()


def test_a_file_changed_on_disk_is_not_overwritten(client, folder):
    opened = client.post("/api/review/open", json={"file": "review.csv"}).json()
    path = folder / "review.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    response = client.post(
        f"/api/review/{opened['id']}/save", json={"edits": [{"row": 0, "reviewed": True}]}
    )
    assert response.status_code == 409 and "changed on disk" in response.json()["error"]


def test_an_uploaded_file_is_saved_privately_and_downloaded(small_model, folder, tmp_path):
    settings = ServeSettings(model=small_model, registry=tmp_path / "models")
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        assert client.post("/api/review/open", json={"file": "review.csv"}).status_code == 422
        data = (folder / "review.xlsx").read_bytes()
        opened = client.post(
            "/api/review/upload?name=review.xlsx",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert opened.status_code == 200, opened.text
        opened = opened.json()
        assert opened["uploaded"] and len(opened["rows"]) == 40
        edit = {"row": 7, "kind": "complaint", "category": "staff", "themes": [], "reviewed": True}
        saved = client.post(f"/api/review/{opened['id']}/save", json={"edits": [edit]})
        assert saved.status_code == 200 and saved.json()["uploaded"]
        download = client.get(f"/api/review/{opened['id']}/download")
        assert download.status_code == 200
        assert 'filename="review.xlsx"' in download.headers["content-disposition"]
        back = tmp_path / "back.xlsx"
        back.write_bytes(download.content)
        table = read_table(back)
        assert table.at[7, "category"] == "staff" and table.at[7, "reviewed"] == "yes"
        assert (folder / "review.xlsx").read_bytes() == data  # the officer's copy untouched
        bad = client.post("/api/review/upload?name=log.xls", content=b"x")
        assert bad.status_code == 422 and ".xlsx" in bad.json()["error"]
        empty = client.post("/api/review/upload?name=log.csv", content=b"")
        assert empty.status_code == 422


def test_retrain_from_reviewed_rows_shows_the_gate_and_versions_switch(
    registry, tmp_path, corpus_train
):
    """A registry whose default is the small model; corrections from the starter labels."""
    log = tmp_path / "log.csv"
    corpus_train.iloc[400:520][["reference", "date_received", "text"]].to_csv(log, index=False)
    folder = tmp_path / "files"
    folder.mkdir()
    review = folder / "review.csv"
    tag_file(load_model(registry.active_path()).model, log, review, TagOptions(jobs=1))
    settings = ServeSettings(registry=registry.root, folder=folder)
    truth = corpus_train.set_index("reference")
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        assert client.get("/health").json()["model"] == "default"
        opened = client.post("/api/review/open", json={"file": "review.csv"}).json()
        edits = []
        for row in opened["rows"]:
            labels = truth.loc[row["reference"]]
            edits.append(
                {
                    "row": row["row"],
                    "kind": labels["kind"].lower(),
                    "category": labels["category"],
                    "themes": [t for t in labels["themes"].split(";") if t],
                    "reviewed": True,
                }
            )
        saved = client.post(f"/api/review/{opened['id']}/save", json={"edits": edits})
        assert saved.status_code == 200, saved.text
        started = client.post("/api/retrain", json={"review": opened["id"]})
        assert started.status_code == 202 and started.json()["state"] == "running"
        client.app.state.services.job.wait(600)
        status = client.get("/api/retrain").json()
        assert status["state"] == "done", status
        result = status["result"]
        assert result["version"] == "v001" and result["corrections"] > 0
        # The page says what the CLI says: learnt, judged, then all learnt.
        n = result["corrections"]
        assert result["summary"].startswith(f"{n} corrections: ")
        assert f"{result['corrections_held_out']} kept out" in result["summary"]
        measures = [row["measure"] for row in result["table"]]
        assert "themes macro-F1" in measures and "category macro-F1" in measures
        assert result["activated"] == (result["passed"] or False)
        models = client.get("/api/models").json()
        assert [v["version"] for v in models["versions"]] == ["default", "v001"]
        assert models["serving"] == ("v001" if result["activated"] else "default")
        assert status["serving"] == models["serving"]
        # Switch versions both ways; the served model follows.
        other = "default" if result["activated"] else "v001"
        assert client.post("/api/models/use", json={"version": other}).json() == {"serving": other}
        assert client.get("/health").json()["model"] == other
        assert registry.active_name() == other
        missing = client.post("/api/models/use", json={"version": "v009"})
        assert missing.status_code == 422 and "v001" in missing.json()["error"]
        assert client.get("/health").json()["model"] == other


def test_retrain_without_reviewed_rows_fails_with_the_reason(registry, tmp_path, corpus_train):
    log = tmp_path / "log.csv"
    corpus_train.iloc[400:420][["reference", "text"]].to_csv(log, index=False)
    folder = tmp_path / "files"
    folder.mkdir()
    tag_file(load_model(registry.active_path()).model, log, folder / "r.csv", TagOptions(jobs=1))
    with TestClient(
        create_app(ServeSettings(registry=registry.root, folder=folder)), base_url=LOCAL
    ) as client:
        opened = client.post("/api/review/open", json={"file": "r.csv"}).json()
        assert client.post("/api/retrain", json={"review": opened["id"]}).status_code == 202
        client.app.state.services.job.wait(120)
        status = client.get("/api/retrain").json()
        assert status["state"] == "failed" and "marked reviewed" in status["error"]
