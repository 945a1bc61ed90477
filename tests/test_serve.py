"""`themes serve`: the JSON API and the page's routes through FastAPI's test client (issue 14).

Every refusal is checked for a marker string sent in the text: it must never come back
in a response or reach a log line.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from conftest import RUNNER as runner  # noqa: E402
from themes.cli import app as cli_app  # noqa: E402
from themes.errors import ConfigError  # noqa: E402
from themes.flows.tag import SUGGESTION_COLUMNS, TagOptions, tag_file  # noqa: E402
from themes.serve import ServeSettings, create_app  # noqa: E402
from themes.store import load_model  # noqa: E402

# Never a single word to the explainer (its word pattern splits on '#'), so it cannot come
# back even as an evidence word: any appearance is the text itself leaking.
MARKER = "QZX#7741#MARKER"
# A local server answers only requests addressed to this machine.
LOCAL = "http://127.0.0.1:8765"
TEXT = f"No call back from the SW for two weeks and the CIN meeting was cancelled {MARKER}"


@pytest.fixture()
def client(small_model: Path, tmp_path: Path) -> TestClient:
    settings = ServeSettings(model=small_model, registry=tmp_path / "models", max_records=50)
    with TestClient(create_app(settings), base_url=LOCAL) as test_client:
        yield test_client


def _no_marker(response, caplog) -> None:
    assert MARKER not in response.text
    assert MARKER.lower() not in response.text.lower()
    for record in caplog.records:
        assert MARKER.lower() not in record.getMessage().lower()


def test_health_answers_with_the_model(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model": "default (--model)"}


def test_suggest_returns_what_suggest_json_prints(client, small_model, caplog):
    caplog.set_level(logging.INFO)
    printed = runner.invoke(cli_app, ["suggest", TEXT, "--json", "--model", str(small_model)])
    assert printed.exit_code == 0, printed.output
    response = client.post("/api/suggest", json={"text": TEXT})
    assert response.status_code == 200
    assert response.json() == json.loads(printed.stdout)
    assert set(response.json()) >= {"kind", "category", "themes", "confidence", "needs_review"}
    _no_marker(response, caplog)


def test_tag_returns_the_columns_tag_writes_in_order(client, small_model, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    texts = [TEXT, "", "Thank you to the fostering team for their kindness", "late again"]
    log = tmp_path / "log.csv"
    pd.DataFrame({"reference": ["A", "B", "C", "D"], "text": texts}).to_csv(log, index=False)
    written = tmp_path / "tagged.jsonl"
    tag_file(load_model(small_model).model, log, written, TagOptions(prefill=False, jobs=1))
    expected = [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()]
    records = [{"reference": r, "text": t} for r, t in zip("ABCD", texts, strict=True)]
    response = client.post("/api/tag", json={"records": records})
    assert response.status_code == 200
    got = response.json()["records"]
    assert [list(r) for r in got] == [["reference", *SUGGESTION_COLUMNS]] * 4
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == {c: theirs[c] for c in ["reference", *SUGGESTION_COLUMNS]}
    _no_marker(response, caplog)


BAD = [
    ("/api/suggest", b'{"text": "' + TEXT.encode() + b'"', 422, "not valid JSON"),
    ("/api/suggest", b'{"words": "' + TEXT.encode() + b'"}', 422, "text is missing"),
    ("/api/suggest", b'{"text": ["' + TEXT.encode() + b'"]}', 422, "text must be a string"),
    ("/api/suggest", b'{"text": 12}', 422, "text must be a string"),
    ("/api/suggest", b'{"text": "   "}', 422, "empty"),
    ("/api/suggest", b'["' + TEXT.encode() + b'"]', 422, "JSON object"),
    ("/api/tag", b'{"records": "' + TEXT.encode() + b'"}', 422, "records must be a list"),
    (
        "/api/tag",
        b'{"records": [{"text": 5, "reference": "' + MARKER.encode() + b'"}]}',
        422,
        "records[0].text must be a string",
    ),
    ("/api/tag", b'{"records": [{"reference": "A"}]}', 422, "records[0].text is missing"),
    (
        "/api/tag",
        b'{"records": [{"reference": ["' + TEXT.encode() + b'"], "text": "x"}]}',
        422,
        "records[0].reference must be",
    ),
]


@pytest.mark.parametrize(("path", "body", "status", "says"), BAD)
def test_bad_input_is_refused_without_echoing_text(client, caplog, path, body, status, says):
    caplog.set_level(logging.INFO)
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert says in response.json()["error"]
    assert list(response.json()) == ["error"]
    _no_marker(response, caplog)


def test_too_many_records_are_refused(client, caplog):
    caplog.set_level(logging.INFO)
    records = [{"reference": str(i), "text": TEXT} for i in range(51)]
    response = client.post("/api/tag", json={"records": records})
    assert response.status_code == 413
    assert "51 records" in response.json()["error"] and "--max-records" in response.json()["error"]
    _no_marker(response, caplog)


def test_a_body_over_the_limit_is_refused_before_parsing(small_model, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    settings = ServeSettings(model=small_model, registry=tmp_path / "m", max_body=2_000)
    with TestClient(create_app(settings), base_url=LOCAL) as small:
        big = json.dumps({"text": TEXT * 40}).encode()
        # Declared length over the limit.
        response = small.post(
            "/api/suggest", content=big, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413 and "--max-body" in response.json()["error"]
        _no_marker(response, caplog)
        # No declared length (chunked): counted while it arrives, and broken JSON past the
        # limit is still refused as too large, since it is never parsed.
        chunks = (part for part in [big[:1500], big[1500:], b"{broken"])
        response = small.post(
            "/api/suggest", content=chunks, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        _no_marker(response, caplog)
        # Just under the limit is served.
        fits = json.dumps({"text": TEXT}).encode()
        response = small.post(
            "/api/suggest", content=fits, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 200


def test_access_log_has_method_path_status_and_no_body(client, caplog):
    caplog.set_level(logging.INFO, logger="themes.serve.access")
    client.post("/api/suggest?note=" + "Q", json={"text": TEXT})
    client.post("/api/suggest", content=b"{", headers={"Content-Type": "application/json"})
    lines = [r.getMessage() for r in caplog.records if r.name == "themes.serve.access"]
    assert len(lines) == 2
    assert lines[0].startswith("POST /api/suggest 200 ") and "note" not in lines[0]
    assert lines[1].startswith("POST /api/suggest 422 ")
    assert all(MARKER.lower() not in line.lower() and "{" not in line for line in lines)


def test_a_failure_inside_a_route_is_json_and_logs_only_its_type(client, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    holder = client.app.state.services.holder

    def broken(_work):
        raise ValueError(f"something about {TEXT}")

    monkeypatch.setattr(holder, "run", broken)
    response = client.post("/api/suggest", json={"text": TEXT})
    assert response.status_code == 500
    assert "internal error" in response.json()["error"]
    assert any("ValueError" in r.getMessage() for r in caplog.records)
    _no_marker(response, caplog)


def test_the_page_and_the_api_description_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<label for="text">' in page.text and 'lang="en"' in page.text
    assert "default (--model)" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/health", "/api/suggest", "/api/tag"} <= set(schema["paths"])
    assert client.get("/api/taxonomy").json()["themes"]


def test_settings_are_validated(tmp_path):
    with pytest.raises(ConfigError, match="--max-body"):
        ServeSettings(max_body=0)
    with pytest.raises(ConfigError, match="port"):
        ServeSettings(port=70000)
    with pytest.raises(ConfigError, match="--folder"):
        ServeSettings(folder=tmp_path / "missing")
    assert ServeSettings().local_only and ServeSettings().url == "http://127.0.0.1:8765"
    assert not ServeSettings(host="0.0.0.0").local_only


def test_serve_command_binds_locally_and_warns_for_another_host(small_model, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    result = runner.invoke(cli_app, ["serve", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765" in result.stdout and "warning" not in result.output
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["access_log"] is False
    result = runner.invoke(cli_app, ["serve", "--model", str(small_model), "--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert "warning" in result.stderr and "network" in result.stderr
    assert calls[-1]["host"] == "0.0.0.0"
    bad = runner.invoke(cli_app, ["serve", "--model", str(small_model), "--max-body", "0"])
    assert bad.exit_code == 2 and "--max-body" in bad.stderr


def test_a_local_server_answers_only_requests_to_this_machine(client, small_model, tmp_path):
    assert client.get("/health", headers={"host": "localhost:8765"}).status_code == 200
    assert client.get("/health", headers={"host": "[::1]:8765"}).status_code == 200
    refused = client.get("/health", headers={"host": "rebound.example:8765"})
    assert refused.status_code == 400 and "127.0.0.1" in refused.json()["error"]
    settings = ServeSettings(model=small_model, registry=tmp_path / "m", host="0.0.0.0")
    with TestClient(create_app(settings), base_url="http://192.0.2.7:8765") as anywhere:
        assert anywhere.get("/health").status_code == 200
