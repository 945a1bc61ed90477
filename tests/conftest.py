"""Shared fixtures: paths, a CLI runner, a small labelled set drawn from the starter corpus
and models trained on it once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from themes.model import ModelConfig
from themes.store import Registry

REPO = Path(__file__).resolve().parents[1]
# The starter corpus (train.csv, test.csv, sample_log.csv, taxonomy.yaml).
STARTER = REPO / "data"
# Small files made for the tests (odd encodings, bad taxonomies...).
FIXTURES = Path(__file__).resolve().parent / "data"
# One runner for every CLI test.
RUNNER = CliRunner()


def run_cli(*args: object):
    """Run the themes command line in-process with ``args`` (made strings)."""
    from themes.cli import app

    return RUNNER.invoke(app, [str(a) for a in args])


def one_line_error(result, *fragments: str) -> str:
    """The command failed with exit 2 and one error line (no traceback) holding each
    fragment; returns the message."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    text = " ".join(lines)
    assert text.startswith("error:"), result.output
    for fragment in fragments:
        assert fragment in text, text
    return text


# Small enough to train in a few seconds, large enough that every label occurs.
SMALL_ROWS = 400
FAST = ModelConfig(engine="fast", cv_folds=3, char_ngrams=(3, 4))


@pytest.fixture(autouse=True)
def _own_themes_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """No test reads or writes the user's own registry of model versions."""
    monkeypatch.setenv("THEMES_HOME", str(tmp_path_factory.getbasetemp() / "themes_home"))
    monkeypatch.delenv("THEMES_MODEL", raising=False)


@pytest.fixture()
def runner() -> CliRunner:
    return RUNNER


@pytest.fixture(scope="session")
def corpus_train() -> pd.DataFrame:
    frame = pd.read_csv(STARTER / "train.csv", dtype=str, keep_default_na=False)
    # The file is sorted by reference (kind first); shuffle so any slice mixes kinds.
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def small_labelled(tmp_path_factory: pytest.TempPathFactory, corpus_train: pd.DataFrame) -> Path:
    """A 400-row labelled CSV drawn from the starter training split."""
    path = tmp_path_factory.mktemp("data") / "small.csv"
    corpus_train.head(SMALL_ROWS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def base_model(tmp_path_factory: pytest.TempPathFactory, small_labelled: Path) -> Path:
    """A small model with held-out metrics on the starter test split (so the gate has it)."""
    from themes.flows.train import train_from_file

    out = tmp_path_factory.mktemp("base") / "default"
    train_from_file(small_labelled, out, config=FAST, eval_path=STARTER / "test.csv")
    return out


@pytest.fixture(scope="session")
def small_model(base_model: Path) -> Path:
    """The small model folder (trained once per test session)."""
    return base_model


@pytest.fixture()
def registry(tmp_path: Path, base_model: Path) -> Registry:
    root = tmp_path / "models"
    root.mkdir()
    shutil.copytree(base_model, root / "default")
    return Registry(root)


@pytest.fixture()
def log_with_blanks(tmp_path: Path) -> Path:
    """A log whose texts include empty and missing values, to check nothing is lost."""
    path = tmp_path / "log.csv"
    frame = pd.DataFrame(
        {
            "reference": ["L1", "L2", "L3", "L4", "L5"],
            "date_received": ["03/04/2023", "", "1 May 2023", "2023-06-01", "45000"],
            "text": [
                "Nobody from the duty team rang me back for a week and the CIN meeting was "
                "cancelled.",
                "",
                "Thank you to Ms Farrow for the kind support with the respite application.",
                "  ",
                "Contact with my grandson was cancelled again at an hour's notice",
            ],
        }
    )
    frame.to_csv(path, index=False)
    return path
