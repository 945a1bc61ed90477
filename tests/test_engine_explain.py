"""Explanations from the shipped default model (encoder engine): a word that looks like a
theme but means something else here must not be suggested as that theme, nor be the
evidence for it; evidence comes from occlusion through the whole model."""

from __future__ import annotations

import time

import pytest

from themes.flows.explain import candidate_words, explain
from themes.store import load_model, shipped_model_dir

# (text, theme it must not get, the misleading word)
MISLEADING = [
    # "left" voicemails, not a worker who left; "SW" is the social worker. Fixed by data:
    # 44 records written for this (data/tools/add_records.py) teach that messages left
    # for a worker who is still there are communication, and that a worker who left is
    # worker_changes even when voicemails are mentioned.
    (
        "Left three voicemails for the SW this week and nobody rings back.",
        "worker_changes",
        "left",
    ),
    ("I left a note for the IRO before the review and heard nothing.", "worker_changes", "left"),
    # Getting in touch with a worker is communication, not contact (family time).
    ("I rang to ask about contact with the SW but nobody picked up.", "contact", "contact"),
    # A message the worker left, not a change of worker.
    (
        "The social worker left a message on my phone and then never called me back.",
        "worker_changes",
        "left",
    ),
    # Paying attention is not money.
    (
        "She paid real attention to what my son wanted and we are so grateful to her.",
        "finance",
        "paid",
    ),
]


@pytest.fixture(scope="module")
def default():
    return load_model(shipped_model_dir()).model


def test_shipped_model_uses_the_encoder_engine(default):
    assert default.engine == "encoder"
    assert "encoder" in default.featuriser_.step_names


@pytest.mark.parametrize(("text", "theme", "word"), MISLEADING)
def test_misleading_word_is_not_taken_for_its_theme(default, text, theme, word):
    explained = explain(default, text)
    assert theme not in explained.prediction.themes
    for evidence in explained.themes.values():
        assert all(e.word for e in evidence)
    assert word in candidate_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "Our social worker left in March and we have had three since; nobody told us.",
        "The SW has left the council and I only found out when my voicemails bounced.",
    ],
)
def test_a_worker_who_really_left_is_still_worker_changes(default, text):
    """The contrast: the fix above must not come from never suggesting worker_changes."""
    explained = explain(default, text)
    assert "worker_changes" in explained.prediction.themes


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # Praise with a joke in it (issue 15: read as a complaint by the old model).
        (
            "She needs an award and if not, I'll buy her a trophy. Best social worker ever.",
            "compliment",
        ),
        # "Thank you" used sarcastically.
        ("Thank you for nothing. Three weeks and still no reply from the duty team.", "complaint"),
    ],
)
def test_kind_is_not_fooled_by_a_single_word(default, text, kind):
    assert explain(default, text).prediction.kind == kind


def test_evidence_for_a_right_theme_is_a_word_of_the_text(default):
    text = "Left three voicemails for the SW this week and nobody rings back."
    explained = explain(default, text)
    assert "communication" in explained.prediction.themes
    words = [e.word for e in explained.themes["communication"]]
    assert words and set(words) <= set(candidate_words(text))


def test_suggest_is_quick_once_loaded(default):
    text = (
        "No call back from the SW for two weeks and the CIN meeting was cancelled again. "
        "Nobody told me why and I have asked three times for the minutes of the last one."
    )
    explain(default, text)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        explain(default, text)
        times.append(time.perf_counter() - started)
    # 250 ms is the budget on a quiet 2-core machine; the test machine is shared, so
    # the test allows four times that (the measured figures are in speed_engines.md).
    assert sorted(times)[2] < 1.0
